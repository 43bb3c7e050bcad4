"""Session state: what one agent conversation has already done, which narrows what it may do next.

Labels (``untrusted_content``, ``private_data``, ``secret``, ``credential_file_read``), the
participants of email threads read, the destinations the user named, per-capability and per-tool
counts, and a short history for risk. JSON-serialisable, so the daemon keeps it across restarts.
"""

from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from agentd.decide.hosts import emails_in_text, hosts_in_text
from agentd.events import Finding, FindingKind

RECENT_CALLS = 512  # history kept for the frequency baseline
PENDING_CALLS = 512  # calls whose results are awaited
MAX_PARTICIPANTS = 2000
MAX_TRUSTED = 500
MAX_TOOLS = 1000
SCAN_CHARS = 256 * 1024  # of a prompt or result, read for hosts and addresses
FORMAT = 1


class Label(StrEnum):
    UNTRUSTED_CONTENT = "untrusted_content"
    PRIVATE_DATA = "private_data"
    SECRET = "secret"  # noqa: S105 - a label name, not a password
    CREDENTIAL_FILE_READ = "credential_file_read"


@dataclass(frozen=True, slots=True)
class PendingCall:
    """A call allowed to run whose result has not been seen: what that result will bring."""

    tool: str
    labels: tuple[Label, ...]
    email: bool = False  # the result is an email thread: its addresses become participants


@dataclass(frozen=True, slots=True)
class RecentCall:
    at: float  # POSIX seconds
    tool: str
    destructive: bool


@dataclass(slots=True)
class SessionState:
    session_id: str
    agent: str = "unknown"
    labels: dict[str, str] = field(default_factory=dict)  # label -> why it was first set
    participants: set[str] = field(default_factory=set)
    trusted_hosts: set[str] = field(default_factory=set)
    trusted_recipients: set[str] = field(default_factory=set)
    capability_counts: dict[str, int] = field(default_factory=dict)
    tool_counts: dict[str, int] = field(default_factory=dict)
    calls: int = 0
    recent: deque[RecentCall] = field(default_factory=lambda: deque(maxlen=RECENT_CALLS))
    pending: OrderedDict[str, PendingCall] = field(default_factory=OrderedDict)

    def has(self, label: Label) -> bool:
        return label.value in self.labels

    def add_label(self, label: Label, why: str) -> bool:
        """Set ``label``; True when it is new to the session."""
        if label.value in self.labels:
            return False
        self.labels[label.value] = why[:200]
        return True

    def observe_prompt(self, text: str, findings: Sequence[Finding] = ()) -> list[Label]:
        """The user's own words: hosts and addresses they name become trusted destinations."""
        sample = text[:SCAN_CHARS]
        _add_capped(self.trusted_hosts, hosts_in_text(sample), MAX_TRUSTED)
        _add_capped(self.trusted_recipients, emails_in_text(sample), MAX_TRUSTED)
        return self._from_findings(findings, "the prompt")

    def record_call(
        self,
        call_id: str | None,
        tool: str,
        capabilities: Iterable[str],
        at: datetime,
        *,
        destructive: bool,
        result: PendingCall | None,
    ) -> None:
        """Count a call that will run; remember what its result brings (by ``call_id``)."""
        self.calls += 1
        for capability in capabilities:
            self.capability_counts[capability] = self.capability_counts.get(capability, 0) + 1
        if tool in self.tool_counts or len(self.tool_counts) < MAX_TOOLS:
            self.tool_counts[tool] = self.tool_counts.get(tool, 0) + 1
        self.recent.append(RecentCall(at=at.timestamp(), tool=tool, destructive=destructive))
        if call_id and result is not None:
            self.pending[call_id] = result
            while len(self.pending) > PENDING_CALLS:
                self.pending.popitem(last=False)

    def knows_call(self, call_id: str | None) -> bool:
        return bool(call_id) and call_id in self.pending

    def observe_result(
        self, call_id: str | None, content: str, findings: Sequence[Finding] = ()
    ) -> list[Label]:
        """A tool's output entered the context: set the labels its call promised, harvest email
        participants, and learn from findings in it. Returns the labels that are new."""
        added: list[Label] = []
        pending = self.pending.pop(call_id, None) if call_id else None
        if pending is not None:
            added.extend(
                label for label in pending.labels if self.add_label(label, f"result of {pending.tool}")
            )
            if pending.email:
                _add_capped(
                    self.participants,
                    emails_in_text(content[:SCAN_CHARS], MAX_PARTICIPANTS),
                    MAX_PARTICIPANTS,
                )
        added.extend(self._from_findings(findings, f"result of {pending.tool if pending else 'a tool'}"))
        return added

    def _from_findings(self, findings: Sequence[Finding], where: str) -> list[Label]:
        added = []
        for finding in findings:
            label = {
                FindingKind.SECRET: Label.SECRET,
                FindingKind.PII: Label.PRIVATE_DATA,
                FindingKind.INJECTION: Label.UNTRUSTED_CONTENT,
            }[finding.kind]
            if self.add_label(label, f"{finding.rule_id} in {where}"):
                added.append(label)
        return added

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "session_id": self.session_id,
            "agent": self.agent,
            "labels": dict(self.labels),
            "participants": sorted(self.participants),
            "trusted_hosts": sorted(self.trusted_hosts),
            "trusted_recipients": sorted(self.trusted_recipients),
            "capability_counts": dict(self.capability_counts),
            "tool_counts": dict(self.tool_counts),
            "calls": self.calls,
            "recent": [[c.at, c.tool, c.destructive] for c in self.recent],
            "pending": {k: [p.tool, [str(x) for x in p.labels], p.email] for k, p in self.pending.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "SessionState":
        """Rebuild a saved state; anything malformed is dropped rather than trusted or raised."""
        state = cls(session_id=str(data.get("session_id", "")), agent=str(data.get("agent", "unknown")))
        labels = data.get("labels")
        if isinstance(labels, Mapping):
            valid = {label.value for label in Label}
            state.labels = {str(k): str(v) for k, v in labels.items() if k in valid}
        state.participants = _strings(data.get("participants"), MAX_PARTICIPANTS)
        state.trusted_hosts = _strings(data.get("trusted_hosts"), MAX_TRUSTED)
        state.trusted_recipients = _strings(data.get("trusted_recipients"), MAX_TRUSTED)
        state.capability_counts = _counts(data.get("capability_counts"))
        state.tool_counts = _counts(data.get("tool_counts"))
        calls = data.get("calls")
        state.calls = calls if isinstance(calls, int) and calls >= 0 else 0
        for item in data.get("recent") or []:
            if isinstance(item, list) and len(item) == 3 and isinstance(item[0], int | float):
                state.recent.append(
                    RecentCall(at=float(item[0]), tool=str(item[1]), destructive=bool(item[2]))
                )
        pending = data.get("pending")
        if isinstance(pending, Mapping):
            for call_id, item in list(pending.items())[-PENDING_CALLS:]:
                if isinstance(item, list) and len(item) == 3 and isinstance(item[1], list):
                    labels_ = tuple(Label(x) for x in item[1] if x in {label.value for label in Label})
                    state.pending[str(call_id)] = PendingCall(str(item[0]), labels_, bool(item[2]))
        return state


def _add_capped(target: set[str], values: Iterable[str], cap: int) -> None:
    for value in values:
        if len(target) >= cap:
            return
        target.add(value)


def _strings(value: object, cap: int) -> set[str]:
    if not isinstance(value, list):
        return set()
    return {str(v) for v in value[:cap] if isinstance(v, str)}


def _counts(value: object) -> dict[str, int]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): v for k, v in list(value.items())[:MAX_TOOLS] if isinstance(v, int) and v >= 0}


Loader = Callable[[str], Mapping[str, Any] | None]
Saver = Callable[[str, Mapping[str, Any]], None]


class SessionTable:
    """Live session states, least recently used dropped first; ``load``/``save`` reach the
    daemon's state store, so a session evicted or from before a restart comes back whole."""

    def __init__(self, load: Loader | None = None, save: Saver | None = None, capacity: int = 10_000) -> None:
        self._load = load
        self._save = save
        self._capacity = capacity
        self._states: OrderedDict[str, SessionState] = OrderedDict()

    def get(self, session_id: str, agent: str = "unknown") -> SessionState:
        state = self._states.get(session_id)
        if state is not None:
            self._states.move_to_end(session_id)
            return state
        saved = self._load(session_id) if self._load is not None else None
        state = SessionState.from_json(saved) if saved else SessionState(session_id=session_id, agent=agent)
        state.session_id = session_id
        self._states[session_id] = state
        while len(self._states) > self._capacity:
            self._states.popitem(last=False)
        return state

    def save(self, state: SessionState) -> None:
        if self._save is not None:
            self._save(state.session_id, state.to_json())

    def __len__(self) -> int:
        return len(self._states)
