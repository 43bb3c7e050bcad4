"""The host's tool inventory as policy sees it: each MCP tool's definition as first seen (so a
changed description is noticed) and the MCP servers already used (so a new server's first call
is noticed). JSON-serialisable; the daemon keeps it across restarts.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentd.decide.catalog import split_name
from agentd.normalize.model import ToolSpec
from agentd.normalize.tool_inventory import definition_hash

MAX_TOOLS = 20_000
MAX_SERVERS = 2_000


@dataclass(frozen=True, slots=True)
class DefinitionChange:
    server: str
    tool: str
    previous_hash: str | None  # None: the tool is new
    new_hash: str


@dataclass(slots=True)
class ToolInventory:
    pinned: dict[str, str] = field(default_factory=dict)  # "server/tool" -> hash accepted
    current: dict[str, str] = field(default_factory=dict)  # "server/tool" -> hash last seen
    specs: dict[str, ToolSpec] = field(default_factory=dict)  # last seen, for classification
    servers_used: set[str] = field(default_factory=set)

    def observe(self, specs: Sequence[ToolSpec]) -> list[DefinitionChange]:
        """Tool definitions an agent offered (or an MCP server listed); returns the new and the
        changed ones. Only MCP tools are pinned: agents' own tools change with every release."""
        changes = []
        for spec in specs:
            server, tool = split_name(spec.name, spec.server)
            if server is None:
                continue
            key = f"{server}/{tool}"
            digest = definition_hash(spec)
            previous = self.current.get(key)
            if key not in self.pinned:
                if len(self.pinned) >= MAX_TOOLS:
                    continue
                self.pinned[key] = digest
            self.current[key] = digest
            self.specs[key] = spec
            if previous != digest:
                changes.append(DefinitionChange(server, tool, previous, digest))
        return changes

    def spec(self, server: str | None, tool: str) -> ToolSpec | None:
        return self.specs.get(f"{server}/{tool}") if server else None

    def changed(self, server: str | None, tool: str) -> bool:
        """The tool's last seen definition differs from the one first seen (and accepted)."""
        if server is None:
            return False
        key = f"{server}/{tool}"
        return key in self.current and self.current[key] != self.pinned.get(key)

    def is_new_server(self, server: str | None) -> bool:
        return server is not None and server not in self.servers_used

    def mark_used(self, server: str | None, tool: str) -> bool:
        """A call to ``server``'s ``tool`` went ahead: the server is known from now on and the
        tool's current definition is accepted. True when anything changed."""
        if server is None:
            return False
        key = f"{server}/{tool}"
        changed = False
        if server not in self.servers_used and len(self.servers_used) < MAX_SERVERS:
            self.servers_used.add(server)
            changed = True
        if key in self.current and self.pinned.get(key) != self.current[key]:
            self.pinned[key] = self.current[key]
            changed = True
        return changed

    def to_json(self) -> dict[str, Any]:
        return {
            "pinned": dict(self.pinned),
            "current": dict(self.current),
            "servers_used": sorted(self.servers_used),
            "specs": {
                k: {
                    "name": s.name,
                    "description": s.description,
                    "input_schema": s.input_schema,
                    "server": s.server,
                }
                for k, s in self.specs.items()
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ToolInventory":
        inventory = cls()
        for name in ("pinned", "current"):
            value = data.get(name)
            if isinstance(value, Mapping):
                setattr(inventory, name, {str(k): str(v) for k, v in list(value.items())[:MAX_TOOLS]})
        used = data.get("servers_used")
        if isinstance(used, list):
            inventory.servers_used = {str(s) for s in used[:MAX_SERVERS]}
        specs = data.get("specs")
        if isinstance(specs, Mapping):
            for key, spec in list(specs.items())[:MAX_TOOLS]:
                if isinstance(spec, Mapping) and isinstance(spec.get("name"), str):
                    schema = spec.get("input_schema")
                    inventory.specs[str(key)] = ToolSpec(
                        name=spec["name"],
                        description=str(spec.get("description") or ""),
                        input_schema=schema if isinstance(schema, Mapping) else None,
                        server=spec.get("server") if isinstance(spec.get("server"), str) else None,
                    )
        return inventory
