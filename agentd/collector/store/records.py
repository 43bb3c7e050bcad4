"""What the collector stores, as plain records, and how an incoming event becomes a row.

Both backends speak these; the admin CLI prints them as JSON Lines.
"""

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from google.protobuf.message import Message

from agentd.wire._generated.agentd.v1 import events_pb2

ZERO_DIGEST = b"\x00" * 32


def to_ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def from_ms(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


@dataclass(frozen=True)
class HostFacts:
    hostname: str = ""
    os: str = ""
    os_version: str = ""
    arch: str = ""
    agentd_version: str = ""
    users: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChainState:
    """Where a host's batch chain stands at the collector."""

    epoch: int = 0
    sequence: int = 0
    digest: bytes = ZERO_DIGEST
    last_event_seq: int = 0


@dataclass(frozen=True)
class HostRecord:
    host_id: str
    public_key: bytes
    key_id: str
    facts: HostFacts
    enrolled: datetime
    token_hash: str | None = None
    chain: ChainState = ChainState()
    last_seen: datetime | None = None
    policy_version: str | None = None
    spool_depth: int | None = None
    dropped: dict[str, int] = field(default_factory=dict)
    components: list[dict[str, str]] = field(default_factory=list)
    events_stored: int = 0

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("public_key")
        data.pop("token_hash")
        chain = data.pop("chain")
        data["chain"] = {
            "epoch": chain["epoch"],
            "sequence": chain["sequence"],
            "digest": self.chain.digest.hex(),
            "last_event_seq": chain["last_event_seq"],
        }
        data["enrolled"] = self.enrolled.isoformat()
        data["last_seen"] = self.last_seen.isoformat() if self.last_seen else None
        return data


@dataclass(frozen=True)
class EventRow:
    host_id: str
    epoch: int
    seq: int
    id: str
    time_ms: int
    kind: str
    severity: str
    session_id: str | None
    agent_kind: str
    agent_pid: int | None
    agent_exe: str | None
    agent_user: str | None
    batch_sequence: int
    received_ms: int
    details: str

    def params(self) -> tuple[Any, ...]:
        return (
            self.host_id,
            self.epoch,
            self.seq,
            self.id,
            self.time_ms,
            self.kind,
            self.severity,
            self.session_id,
            self.agent_kind,
            self.agent_pid,
            self.agent_exe,
            self.agent_user,
            self.batch_sequence,
            self.received_ms,
            self.details,
        )

    def as_json(self) -> dict[str, Any]:
        """The documented JSON Lines shape: envelope fields, ``agent``, then the kind's own."""
        return {
            "id": self.id,
            "host_id": self.host_id,
            "seq": self.seq,
            "epoch": self.epoch,
            "time": _iso(self.time_ms),
            "kind": self.kind,
            "severity": self.severity,
            "session_id": self.session_id,
            "agent": {
                "kind": self.agent_kind,
                "pid": self.agent_pid,
                "exe": self.agent_exe,
                "user": self.agent_user,
            },
            **json.loads(self.details),
        }


@dataclass(frozen=True)
class AlertRow:
    host_id: str
    time_ms: int
    rule_id: str
    title: str
    reason: str
    severity: str
    source: str  # "collector" (it refused something) or "host" (an alert event the host sent)
    event_id: str | None = None
    details: str = "{}"
    id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "host_id": self.host_id,
            "time": _iso(self.time_ms),
            "rule_id": self.rule_id,
            "title": self.title,
            "reason": self.reason,
            "severity": self.severity,
            "source": self.source,
            "event_id": self.event_id,
            "details": json.loads(self.details),
        }


@dataclass(frozen=True)
class InventoryRow:
    host_id: str
    category: str  # agent | mcp_server | tool
    name: str
    detail: str
    first_seen_ms: int
    last_seen_ms: int

    def as_json(self) -> dict[str, Any]:
        return {
            "host_id": self.host_id,
            "category": self.category,
            "name": self.name,
            "detail": json.loads(self.detail),
            "first_seen": _iso(self.first_seen_ms),
            "last_seen": _iso(self.last_seen_ms),
        }


@dataclass(frozen=True)
class StoredPolicy:
    serial: int
    version: str
    created_ms: int
    payload: bytes
    signature: bytes


@dataclass(frozen=True)
class BatchRows:
    """Everything one accepted batch adds, written in one transaction."""

    host_id: str
    epoch: int
    sequence: int
    digest: bytes
    first_seq: int
    last_seq: int
    received_ms: int
    events: list[EventRow]
    alerts: list[AlertRow]
    inventory: list[InventoryRow]


def _iso(ms: int) -> str:
    moment = from_ms(ms)
    assert moment is not None
    return moment.isoformat().replace("+00:00", "Z")


def event_row(message: events_pb2.Event, *, epoch: int, batch_sequence: int, received_ms: int) -> EventRow:
    """The queryable columns and JSON details of one event as the host sent it."""
    kind = message.WhichOneof("body") or "unknown"
    body = message_dict(getattr(message, kind))
    agent = message.agent
    return EventRow(
        host_id=message.host_id,
        epoch=epoch,
        seq=message.seq,
        id=message.id,
        time_ms=message.time.seconds * 1000 + message.time.nanos // 1_000_000,
        kind=kind,
        severity=message.severity,
        session_id=message.session_id if message.HasField("session_id") else None,
        agent_kind=agent.kind,
        agent_pid=agent.pid if agent.HasField("pid") else None,
        agent_exe=agent.exe if agent.HasField("exe") else None,
        agent_user=agent.user if agent.HasField("user") else None,
        batch_sequence=batch_sequence,
        received_ms=received_ms,
        details=json.dumps(
            {"source": message.source, "capture_level": message.capture_level, **body}, separators=(",", ":")
        ),
    )


def derived_rows(message: events_pb2.Event, row: EventRow) -> tuple[list[AlertRow], list[InventoryRow]]:
    """Alerts and inventory entries an event implies (host alerts; agents, servers, tools seen)."""
    kind = row.kind
    alerts: list[AlertRow] = []
    inventory: list[InventoryRow] = []

    def seen(category: str, name: str, detail: dict[str, Any]) -> None:
        inventory.append(
            InventoryRow(
                row.host_id, category, name, json.dumps(detail, sort_keys=True), row.time_ms, row.time_ms
            )
        )

    if kind == "alert":
        body = message.alert
        alerts.append(
            AlertRow(
                host_id=row.host_id,
                time_ms=row.time_ms,
                rule_id=body.rule_id,
                title=body.title,
                reason=body.reason,
                severity=row.severity,
                source="host",
                event_id=row.id,
                details=row.details,
            )
        )
    elif kind == "agent_process":
        body_p = message.agent_process
        name = row.agent_exe or row.agent_kind
        seen("mcp_server" if body_p.role == "mcp_server" else "agent", name, {"kind": row.agent_kind})
    elif kind == "tool_definitions_seen":
        for tool in message.tool_definitions_seen.tools:
            server = tool.server if tool.HasField("server") else ""
            seen("tool", f"{server}/{tool.name}" if server else tool.name, {"hash": tool.definition_hash})
    elif kind == "agent_config_change":
        body_c = message.agent_config_change
        if body_c.HasField("server") and body_c.change in ("server_added", "server_changed"):
            seen("mcp_server", body_c.server, {"agent": body_c.config_agent, "file": body_c.file})
    elif kind == "session_started" and row.agent_kind:
        seen("agent", row.agent_exe or row.agent_kind, {"kind": row.agent_kind})
    return alerts, inventory


def message_dict(message: Message) -> dict[str, Any]:
    """A message as JSON-ready values: numbers stay numbers (protobuf's JSON form would quote
    64-bit integers), unset optional fields are null, timestamps are ISO strings.

    Hand-rolled because it runs for every stored event: several times faster than json_format."""
    out: dict[str, Any] = {}
    for name, shape, presence in _plan(message.DESCRIPTOR):
        if shape == _SCALAR:
            out[name] = getattr(message, name) if not presence or message.HasField(name) else None
        elif shape == _LIST:
            out[name] = list(getattr(message, name))
        elif shape == _MAP:
            out[name] = dict(getattr(message, name))
        elif shape == _MESSAGES:
            out[name] = [message_dict(item) for item in getattr(message, name)]
        elif not message.HasField(name):
            out[name] = None
        elif shape == _TIME:
            out[name] = getattr(message, name).ToDatetime(tzinfo=UTC).isoformat().replace("+00:00", "Z")
        else:
            out[name] = message_dict(getattr(message, name))
    return out


_SCALAR, _LIST, _MAP, _MESSAGES, _TIME, _MESSAGE = range(6)
_PLANS: dict[str, list[tuple[str, int, bool]]] = {}


def _plan(descriptor: Any) -> list[tuple[str, int, bool]]:
    plan = _PLANS.get(descriptor.full_name)
    if plan is None:
        plan = []
        for field in descriptor.fields:
            target = field.message_type
            if target is None:
                shape = _LIST if field.is_repeated else _SCALAR
            elif target.GetOptions().map_entry:
                shape = _MAP
            elif field.is_repeated:
                shape = _MESSAGES
            elif target.full_name == "google.protobuf.Timestamp":
                shape = _TIME
            else:
                shape = _MESSAGE
            plan.append((field.name, shape, field.has_presence))
        _PLANS[descriptor.full_name] = plan
    return plan
