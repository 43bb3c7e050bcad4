"""The event vocabulary: one envelope shared by every event, and one model per kind.

Events are immutable and hold no raw secret: content fields are filled according to the
capture level (``metadata``: none, ``redacted``: masked, ``full``: as seen) before an event
is built, and findings carry previews and keyed fingerprints only.
"""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("event times must be timezone-aware")
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}


class CaptureLevel(StrEnum):
    METADATA = "metadata"
    REDACTED = "redacted"
    FULL = "full"


class AgentKind(StrEnum):
    CLAUDE_CODE = "claude-code"
    CODEX = "codex"
    GEMINI_CLI = "gemini-cli"
    COPILOT = "copilot"
    CURSOR = "cursor"
    UNKNOWN = "unknown"


class Source(StrEnum):
    """Which part of agentd observed the event."""

    PROXY = "proxy"
    HOOK = "hook"
    WATCHER = "watcher"
    PROCESSES = "processes"
    DAEMON = "daemon"
    COLLECTOR = "collector"


class AgentRef(Frozen):
    """The process an event is attributed to; fields are None when unknown."""

    kind: AgentKind = AgentKind.UNKNOWN
    pid: int | None = None
    exe: str | None = None
    user: str | None = None
    version: str | None = None


class FindingKind(StrEnum):
    SECRET = "secret"  # noqa: S105 - a finding kind, not a password
    PII = "pii"
    INJECTION = "injection"


class Finding(Frozen):
    """Something the scanner recognised, described without its value."""

    kind: FindingKind
    rule_id: str
    severity: Severity
    location: str = Field(description="field path, e.g. messages[12].content[0].tool_result")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    length: int = Field(ge=0)
    preview: str = Field(description="a few leading characters and the length, never the value")
    fingerprint: str = Field(description="HMAC-SHA256 of the value under the host key, hex")


class Outcome(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    REQUIRES_APPROVAL = "requires_approval"


class PolicyMode(StrEnum):
    ENFORCE = "enforce"
    MONITOR = "monitor"


class EnforcementPoint(StrEnum):
    NETWORK = "network"
    HOOK = "hook"


class Decision(Frozen):
    """The policy's answer for one tool call, with the policies and reasons behind it."""

    outcome: Outcome
    policy_ids: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    mode: PolicyMode = PolicyMode.ENFORCE
    enforced: bool = Field(description="False when monitor mode only recorded the would-be outcome")
    point: EnforcementPoint = EnforcementPoint.NETWORK
    approval_id: str | None = None
    policy_version: str | None = None


class Risk(Frozen):
    score: int = Field(ge=0, le=100)
    factors: tuple[str, ...] = ()


class ToolDefinition(Frozen):
    name: str
    server: str | None = None
    description: str | None = None
    definition_hash: str = Field(description="sha256 of name + description + input schema")


class FieldChange(Frozen):
    """One changed field in a config diff; values are already redacted."""

    path: str
    before: str | None = None
    after: str | None = None


class EventBase(Frozen):
    """The envelope every event carries."""

    id: str
    host_id: str
    seq: int = Field(default=0, ge=0, description="per-host sequence; 0 until the spool assigns it")
    time: UtcDatetime
    severity: Severity = Severity.INFO
    session_id: str | None = None
    agent: AgentRef = AgentRef()
    source: Source = Source.DAEMON
    capture_level: CaptureLevel = CaptureLevel.REDACTED


class SessionStarted(EventBase):
    """An agent conversation seen for the first time."""

    kind: Literal["session_started"] = "session_started"
    dialect: str
    provider_host: str | None = None
    model: str | None = None


class UserPrompt(EventBase):
    """A prompt the user typed, new in this session."""

    kind: Literal["user_prompt"] = "user_prompt"
    message_index: int = Field(ge=0)
    text: str | None = None
    chars: int = Field(ge=0)


class ToolDefinitionsSeen(EventBase):
    """The tools an agent offered its model, when the set is new or changed in the session."""

    kind: Literal["tool_definitions_seen"] = "tool_definitions_seen"
    tools: tuple[ToolDefinition, ...] = ()


class ToolCall(EventBase):
    """A tool call the model asked for, with the policy decision and risk score."""

    kind: Literal["tool_call"] = "tool_call"
    call_id: str
    tool: str
    server: str | None = None
    input: str | None = Field(default=None, description="JSON arguments, per capture level")
    input_hash: str
    decision: Decision | None = None
    risk: Risk | None = None


class ToolResult(EventBase):
    """What a tool returned to the model, joined to its call by ``call_id``."""

    kind: Literal["tool_result"] = "tool_result"
    call_id: str
    tool: str | None = None
    content: str | None = None
    chars: int = Field(ge=0)
    is_error: bool = False


class ModelResponse(EventBase):
    """One model turn: model, usage, stop reason, and its text per capture level."""

    kind: Literal["model_response"] = "model_response"
    model: str | None = None
    stop_reason: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    text: str | None = None
    call_ids: tuple[str, ...] = ()


class FindingRaised(EventBase):
    """A secret, PII or injection marker found in a captured field or a watched file."""

    kind: Literal["finding"] = "finding"
    finding: Finding
    subject_event_id: str | None = None


class Alert(EventBase):
    """Something a security engineer should look at, with why and the evidence."""

    kind: Literal["alert"] = "alert"
    alert_id: str
    rule_id: str
    title: str
    reason: str
    tool: str | None = None
    integration: str | None = None
    evidence: tuple[str, ...] = Field(default=(), description="ids of the events behind it")
    count: int = Field(default=1, ge=1, description="repeats aggregated into this alert")


class FileOperation(StrEnum):
    CREATED = "created"
    MODIFIED = "modified"
    DELETED = "deleted"
    MOVED = "moved"
    OPENED = "opened"
    READ = "read"


class CredentialFileAccess(EventBase):
    """A credential file was touched; ``agent`` names the process when it could be found."""

    kind: Literal["credential_file_access"] = "credential_file_access"
    path: str
    operation: FileOperation
    dest_path: str | None = None
    sha256: str | None = None
    size: int | None = None
    finding_fingerprints: tuple[str, ...] = ()


class ConfigChange(StrEnum):
    SERVER_ADDED = "server_added"
    SERVER_CHANGED = "server_changed"
    SERVER_REMOVED = "server_removed"
    HOOKS_CHANGED = "hooks_changed"
    SETTINGS_CHANGED = "settings_changed"
    TAMPERED = "tampered"
    PARSE_ERROR = "parse_error"


class AgentConfigChanged(EventBase):
    """An agent's configuration changed: MCP servers, hooks, proxy settings."""

    kind: Literal["agent_config_change"] = "agent_config_change"
    config_agent: AgentKind
    file: str
    scope: str = Field(description="user, project, managed, ...")
    change: ConfigChange
    server: str | None = None
    transport: str | None = None
    diff: tuple[FieldChange, ...] = ()
    detail: str | None = None


class ProcessState(StrEnum):
    STARTED = "started"
    EXITED = "exited"


class AgentProcessSeen(EventBase):
    """A coding agent or an MCP server process it spawned appeared or exited."""

    kind: Literal["agent_process"] = "agent_process"
    state: ProcessState
    role: Literal["agent", "mcp_server"] = "agent"
    cmdline: tuple[str, ...] = ()
    parent_pid: int | None = None


class ToolChanged(EventBase):
    """A tool's definition hash is new for its server, or changed since first seen."""

    kind: Literal["tool_changed"] = "tool_changed"
    tool: str
    server: str | None = None
    previous_hash: str | None = None
    new_hash: str


class PolicyUpdated(EventBase):
    """A policy bundle was applied (or refused, with ``accepted`` False and the reason)."""

    kind: Literal["policy_updated"] = "policy_updated"
    version: str
    previous_version: str | None = None
    accepted: bool = True
    reason: str | None = None


class ApprovalRequested(EventBase):
    """A call needs a person's approval; ``agentd approve ID`` grants it."""

    kind: Literal["approval_requested"] = "approval_requested"
    approval_id: str
    call_id: str | None = None
    tool: str
    input_hash: str
    reason: str


class ApprovalGranted(EventBase):
    """A person approved a call, for the session's lifetime or until ``until``."""

    kind: Literal["approval_granted"] = "approval_granted"
    approval_id: str
    by_user: str | None = None
    until: UtcDatetime | None = None


class ApprovalDenied(EventBase):
    """A person refused a pending approval."""

    kind: Literal["approval_denied"] = "approval_denied"
    approval_id: str
    by_user: str | None = None


class InternalError(EventBase):
    """agentd failed to handle something; traffic went on (fail-open) and this records it."""

    kind: Literal["internal_error"] = "internal_error"
    component: str
    error: str = Field(description="error class, e.g. ParseError")
    message: str
    context: str | None = None


class TelemetryDropped(EventBase):
    """The spool's disk cap forced unshipped events out; exact counts per kind."""

    kind: Literal["telemetry_dropped"] = "telemetry_dropped"
    counts: dict[str, int] = Field(default_factory=dict)
    bytes_dropped: int = Field(default=0, ge=0)


class Heartbeat(EventBase):
    """The daemon is alive; what it runs and how far behind it is."""

    kind: Literal["heartbeat"] = "heartbeat"
    version: str
    uptime_seconds: int = Field(ge=0)
    spool_depth: int = Field(default=0, ge=0)
    policy_version: str | None = None


Event = Annotated[
    SessionStarted
    | UserPrompt
    | ToolDefinitionsSeen
    | ToolCall
    | ToolResult
    | ModelResponse
    | FindingRaised
    | Alert
    | CredentialFileAccess
    | AgentConfigChanged
    | AgentProcessSeen
    | ToolChanged
    | PolicyUpdated
    | ApprovalRequested
    | ApprovalGranted
    | ApprovalDenied
    | InternalError
    | TelemetryDropped
    | Heartbeat,
    Field(discriminator="kind"),
]

EVENT_TYPES: tuple[type[EventBase], ...] = (
    SessionStarted,
    UserPrompt,
    ToolDefinitionsSeen,
    ToolCall,
    ToolResult,
    ModelResponse,
    FindingRaised,
    Alert,
    CredentialFileAccess,
    AgentConfigChanged,
    AgentProcessSeen,
    ToolChanged,
    PolicyUpdated,
    ApprovalRequested,
    ApprovalGranted,
    ApprovalDenied,
    InternalError,
    TelemetryDropped,
    Heartbeat,
)

ENVELOPE_FIELDS: frozenset[str] = frozenset(EventBase.model_fields)


def kind_of(event_type: type[EventBase]) -> str:
    """The ``kind`` string of an event class."""
    default = event_type.model_fields["kind"].default
    assert isinstance(default, str)
    return default
