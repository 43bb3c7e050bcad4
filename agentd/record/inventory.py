"""The host's inventory of agents, MCP servers and tools: first and last seen, call counts, the
catalog's capabilities and suggested risk, and review state, kept in the state store.

Fed two ways: `observe_tools` with the tool definitions the pipeline captures (answering with
ToolChanged, Alert and injection findings), and `InventorySink`, which reads the events on
their way to the spool (config changes, agent processes, tool calls). New and changed servers
and tools stay unreviewed until the policy bundle's review list names them.
"""

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from agentd.decide.catalog import Catalog
from agentd.detect.scanner import Scanner
from agentd.events import (
    AgentConfigChanged,
    AgentKind,
    AgentProcessSeen,
    AgentRef,
    Alert,
    ConfigChange,
    Event,
    EventSink,
    FindingRaised,
    ProcessState,
    SessionStarted,
    Severity,
    Source,
    Stamper,
    ToolCall,
    ToolChanged,
)
from agentd.normalize.model import ToolSpec
from agentd.normalize.tool_inventory import ToolStatus, canonical, compare, split_mcp_name
from agentd.record.statestore import StateStore

log = logging.getLogger(__name__)

AGENTS = "inventory.agents"
SERVERS = "inventory.servers"
TOOLS = "inventory.tools"
REVIEWS = "inventory.reviews"
# last_seen of an unchanged tool is written at most this often: agents resend their tools
# with every request.
LAST_SEEN_RESOLUTION = timedelta(seconds=60)


def _iso(when: datetime) -> str:
    return when.isoformat()


@dataclass
class AgentRecord:
    kind: str
    first_seen: str
    last_seen: str
    exe: str | None = None
    running: list[int] = field(default_factory=list)
    processes: int = 0
    sessions: int = 0
    calls: int = 0


@dataclass
class ServerRecord:
    key: str
    name: str
    agent: str
    scope: str
    file: str
    first_seen: str
    last_seen: str
    transport: str | None = None
    command: str | None = None
    url: str | None = None
    env: str | None = None
    project: str | None = None
    removed: str | None = None
    changed: str | None = None
    calls: int = 0
    reviewed: bool = False
    risk: int | None = None  # the highest suggested risk of its tools


@dataclass
class ToolRecord:
    key: str
    agent: str
    server: str | None
    name: str
    definition_hash: str
    first_seen: str
    last_seen: str
    previous_hash: str | None = None
    changed: str | None = None
    changes: int = 0
    calls: int = 0
    capabilities: list[str] = field(default_factory=list)
    risk: int | None = None
    integration: str | None = None
    reviewed: bool = False


Kind = Literal["agents", "servers", "tools"]


def clean(text: str) -> str:
    """``text`` as valid UTF-8: a lone surrogate (legal in JSON, not in SQLite) is escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def tool_key(agent: str, server: str | None, name: str) -> str:
    return clean(f"{agent}|{server or ''}|{name}")


class Inventory:
    def __init__(
        self,
        store: StateStore,
        stamp: Stamper,
        scanner: Scanner | None = None,
        catalog: Catalog | None = None,
    ) -> None:
        self.store = store
        self.stamp = stamp
        self.scanner = scanner
        self.catalog = catalog if catalog is not None else Catalog()
        self._tools: dict[str, ToolRecord] = {key: _tool(value) for key, value in store.items(TOOLS)}
        reviews = store.get(REVIEWS, "current", {}) or {}
        self._reviewed_servers: frozenset[str] = frozenset(reviews.get("servers", ()))
        self._reviewed_tools: frozenset[str] = frozenset(reviews.get("tools", ()))

    # --- tool definitions (called by the pipeline) --------------------------------------------

    def observe_tools(
        self, agent: AgentKind, server: str | None, tools: Sequence[ToolSpec], now: datetime
    ) -> list[Event]:
        """Record the tools an agent offered its model (or an MCP server listed). Returns a
        ToolChanged per new or changed definition, an Alert when an MCP server's tool changed
        under the agent (a rug pull), and a FindingRaised per scanner finding (hidden
        instructions, secrets) in a new or changed description."""
        groups: dict[str | None, list[ToolSpec]] = {}
        for tool in tools:
            tool = ToolSpec(clean(tool.name), tool.description, tool.input_schema, tool.server)
            owner, _ = split_mcp_name(tool.name)
            group = server or tool.server or owner
            groups.setdefault(clean(group) if group else None, []).append(tool)
        events: list[Event] = []
        for group_server, specs in groups.items():
            known = {
                r.name: r.definition_hash
                for r in self._tools.values()
                if r.agent == agent.value and r.server == group_server
            }
            changed = {d.tool.name: d for d in compare(known, specs)}
            for spec in specs:
                delta = changed.get(spec.name)
                key = tool_key(agent.value, group_server, spec.name)
                record = self._tools.get(key)
                if delta is None:
                    if (
                        record is not None
                        and datetime.fromisoformat(record.last_seen) + LAST_SEEN_RESOLUTION <= now
                    ):
                        record.last_seen = _iso(now)
                        self._save_tool(record)
                    continue
                events += self._tool_delta(
                    agent, group_server, spec, delta.status, delta.new_hash, record, now
                )
        return events

    def _tool_delta(
        self,
        agent: AgentKind,
        server: str | None,
        spec: ToolSpec,
        status: ToolStatus,
        digest: str,
        record: ToolRecord | None,
        now: datetime,
    ) -> list[Event]:
        key = tool_key(agent.value, server, spec.name)
        if record is None or status is ToolStatus.NEW:
            record = ToolRecord(key, agent.value, server, spec.name, digest, _iso(now), _iso(now))
        else:
            record.previous_hash = record.definition_hash
            record.definition_hash = digest
            record.changed = record.last_seen = _iso(now)
            record.changes += 1
        if self.catalog is not None:
            try:
                classified = self.catalog.classify(spec.name, server, spec, agent.value)
            except Exception:  # the catalog is advisory here; an error must not lose the record
                log.exception("catalog classification failed for %s", spec.name)
            else:
                record.capabilities = sorted(c.value for c in classified.capabilities)
                record.risk = classified.risk
                record.integration = classified.integration
        record.reviewed = self._tool_reviewed(record)
        self._save_tool(record)

        rug_pull = status is ToolStatus.CHANGED and server is not None
        if status is ToolStatus.NEW:
            severity = Severity.LOW if server else Severity.INFO
        else:
            # An agent's own tools change with its releases; an MCP server's should not silently.
            severity = Severity.HIGH if rug_pull else Severity.LOW
        changed = self.stamp(
            ToolChanged,
            now,
            severity=severity,
            source=Source.PROXY,
            agent=_agent_ref(agent),
            tool=spec.name,
            server=server,
            previous_hash=record.previous_hash if status is ToolStatus.CHANGED else None,
            new_hash=digest,
        )
        events: list[Event] = [changed]
        if rug_pull:
            events.append(
                self.stamp(
                    Alert,
                    now,
                    severity=Severity.HIGH,
                    source=Source.PROXY,
                    agent=_agent_ref(agent),
                    alert_id=f"watch.tool_changed:{key}",
                    rule_id="watch.tool_changed",
                    title=f"MCP tool {server}/{spec.name} changed its definition",
                    reason=(
                        f"the description or input schema of {spec.name} on server {server} differs from "
                        f"the one first seen ({(record.previous_hash or '')[:12]} -> {digest[:12]}); "
                        "a server that rewrites its tools after approval can steer the agent (rug pull)"
                    ),
                    tool=spec.name,
                    integration=server,
                    evidence=(changed.id,),
                )
            )
        events += self._scan(agent, spec, changed.id, now)
        return events

    def _scan(self, agent: AgentKind, spec: ToolSpec, subject: str, now: datetime) -> list[Event]:
        if self.scanner is None:
            return []
        texts = [(f"tools[{spec.name}].description", spec.description or "")]
        if spec.input_schema:
            schema = json.dumps(canonical(spec.input_schema), ensure_ascii=False)
            texts.append((f"tools[{spec.name}].input_schema", schema))
        return [
            self.stamp(
                FindingRaised,
                now,
                severity=finding.severity,
                source=Source.PROXY,
                agent=_agent_ref(agent),
                finding=finding,
                subject_event_id=subject,
            )
            for location, text in texts
            for finding in self.scanner.scan(text, location)
        ]

    def _save_tool(self, record: ToolRecord) -> None:
        self._tools[record.key] = record
        self.store.put(TOOLS, record.key, asdict(record))

    # --- events on their way to the spool -----------------------------------------------------

    def apply(self, event: Event) -> None:
        """Update the inventory from one event (others are ignored)."""
        match event:
            case AgentConfigChanged():
                self._config(event)
            case AgentProcessSeen(role="agent"):
                self._process(event)
            case ToolCall():
                self._call(event)
            case SessionStarted():
                record = self._agent(event.agent.kind.value, event.time)
                record.sessions += 1
                self._save(AGENTS, record.kind, record)

    def _agent(self, kind: str, when: datetime) -> AgentRecord:
        data = self.store.get(AGENTS, kind)
        record = AgentRecord(**data) if data else AgentRecord(kind, _iso(when), _iso(when))
        record.last_seen = _iso(when)
        return record

    def _process(self, event: AgentProcessSeen) -> None:
        record = self._agent(event.agent.kind.value, event.time)
        pid = event.agent.pid
        if event.state is ProcessState.STARTED:
            record.processes += 1
            record.exe = event.agent.exe or record.exe
            if pid is not None and pid not in record.running:
                record.running.append(pid)
        elif pid in record.running:
            record.running.remove(pid)
        self._save(AGENTS, record.kind, record)

    def _call(self, event: ToolCall) -> None:
        agent = self._agent(event.agent.kind.value, event.time)
        agent.calls += 1
        self._save(AGENTS, agent.kind, agent)
        owner, _ = split_mcp_name(event.tool)
        server = event.server or owner
        tool = self._tools.get(tool_key(agent.kind, server, event.tool))
        if tool is not None:
            tool.calls += 1
            tool.last_seen = _iso(event.time)
            self._save_tool(tool)
        if server is not None:
            for key, data in self.store.items(SERVERS):
                if data.get("name") == server and data.get("agent") == agent.kind and not data.get("removed"):
                    data["calls"] = int(data.get("calls", 0)) + 1
                    data["last_seen"] = _iso(event.time)
                    self.store.put(SERVERS, key, data)

    def _config(self, event: AgentConfigChanged) -> None:
        if event.server is None or event.change not in (
            ConfigChange.SERVER_ADDED,
            ConfigChange.SERVER_CHANGED,
            ConfigChange.SERVER_REMOVED,
        ):
            return
        detail = event.detail or ""
        project = detail[len("project ") :] if detail.startswith("project ") else None
        key = f"{event.file}#{project or ''}#{event.server}"
        data = self.store.get(SERVERS, key)
        when = _iso(event.time)
        record = ServerRecord(**data) if data else None
        if record is None or event.change is ConfigChange.SERVER_ADDED:
            record = ServerRecord(
                key,
                event.server,
                event.config_agent.value,
                event.scope,
                event.file,
                when,
                when,
                project=project,
            )
        record.last_seen = when
        if event.change is ConfigChange.SERVER_REMOVED:
            record.removed = when
        else:
            record.removed = None
            record.transport = event.transport or record.transport
            for change in event.diff:
                if change.path in ("command", "url", "env", "transport"):
                    setattr(record, change.path, change.after)
            if event.change is ConfigChange.SERVER_CHANGED:
                record.changed = when
        record.reviewed = (
            record.name in self._reviewed_servers and event.change is not ConfigChange.SERVER_CHANGED
        )
        self._save(SERVERS, key, record)

    def _save(self, ns: str, key: str, record: AgentRecord | ServerRecord) -> None:
        self.store.put(ns, key, asdict(record))

    # --- review --------------------------------------------------------------------------------

    def review(self, servers: Iterable[str], tools: Iterable[str]) -> None:
        """Apply the policy bundle's review list: server names, and tools as ``server/name``
        (or ``name`` for an agent's own) optionally pinned to a definition hash with
        ``@sha256``; a pinned tool is reviewed only while its hash matches."""
        self._reviewed_servers = frozenset(servers)
        self._reviewed_tools = frozenset(tools)
        self.store.put(
            REVIEWS,
            "current",
            {"servers": sorted(self._reviewed_servers), "tools": sorted(self._reviewed_tools)},
        )
        for key, data in list(self.store.items(SERVERS)):
            reviewed = data.get("name") in self._reviewed_servers
            if data.get("reviewed") != reviewed:
                data["reviewed"] = reviewed
                self.store.put(SERVERS, key, data)
        for record in self._tools.values():
            reviewed = self._tool_reviewed(record)
            if record.reviewed != reviewed:
                record.reviewed = reviewed
                self._save_tool(record)

    def _tool_reviewed(self, record: ToolRecord) -> bool:
        name = f"{record.server}/{record.name}" if record.server else record.name
        return name in self._reviewed_tools or f"{name}@{record.definition_hash}" in self._reviewed_tools

    # --- queries -------------------------------------------------------------------------------

    def tool(self, agent: AgentKind, server: str | None, name: str) -> ToolRecord | None:
        return self._tools.get(tool_key(agent.value, server, name))

    def agents(self) -> list[AgentRecord]:
        return [AgentRecord(**data) for _, data in self.store.items(AGENTS)]

    def servers(self) -> list[ServerRecord]:
        records = [ServerRecord(**data) for _, data in self.store.items(SERVERS)]
        for record in records:
            risks = [
                t.risk
                for t in self._tools.values()
                if t.server == record.name and t.agent == record.agent and t.risk is not None
            ]
            record.risk = max(risks) if risks else None
        return records

    def tools(self) -> list[ToolRecord]:
        return sorted(self._tools.values(), key=lambda r: r.key)

    def rows(self, kind: Kind) -> list[dict[str, Any]]:
        """JSON-ready rows of one part of the inventory."""
        records: Sequence[AgentRecord | ServerRecord | ToolRecord]
        records = self.agents() if kind == "agents" else self.servers() if kind == "servers" else self.tools()
        return [asdict(r) for r in records]


def _tool(data: Mapping[str, Any]) -> ToolRecord:
    return ToolRecord(**data)


def _agent_ref(kind: AgentKind) -> AgentRef:
    return AgentRef(kind=kind)


class InventorySink:
    """An EventSink that keeps the inventory current from the events passing through it to
    ``inner`` (the spool); an inventory failure never stops an event."""

    def __init__(self, inner: EventSink, inventory: Inventory) -> None:
        self.inner = inner
        self.inventory = inventory
        self.errors = 0

    def emit(self, event: Event) -> None:
        try:
            self.inventory.apply(event)
        except Exception:
            self.errors += 1
            log.exception("inventory update failed for a %s event", event.kind)
        self.inner.emit(event)
