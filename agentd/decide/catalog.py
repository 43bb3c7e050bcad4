"""The tool catalog: what a tool can do (capabilities) and what its arguments mean (roles).

A classification comes from, in order: an override in the policy bundle, the built-in table
(agents' own tools, well-known MCP integrations), or heuristics over the tool's name,
description and input schema. Each carries its origin, a one-line why, and a suggested risk.
"""

import fnmatch
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from agentd.decide import known_tools as known
from agentd.errors import PolicyError
from agentd.normalize.model import ToolSpec


class Capability(StrEnum):
    READS_PRIVATE = "reads_private"
    READS_UNTRUSTED = "reads_untrusted"
    SENDS_EXTERNAL = "sends_external"
    WRITES_LOCAL = "writes_local"
    EXECUTES_CODE = "executes_code"
    DESTRUCTIVE = "destructive"
    READS_CREDENTIALS = "reads_credentials"


class ArgRole(StrEnum):
    RECIPIENTS = "recipients"
    URL = "url"
    PATH = "path"
    COMMAND = "command"
    QUERY = "query"
    CONTENT = "content"
    PATCH = "patch"


class Origin(StrEnum):
    OVERRIDE = "override"
    BUILTIN = "builtin"
    HEURISTIC = "heuristic"


@dataclass(frozen=True, slots=True)
class ToolClass:
    """How agentd understands one tool."""

    name: str  # as the agent calls it, e.g. mcp__github__create_issue
    tool: str  # without the server prefix, e.g. create_issue
    server: str | None  # the MCP server's name, None for an agent's own tool
    integration: str  # claude-code, github, email, unknown, ...
    capabilities: frozenset[Capability]
    roles: Mapping[str, ArgRole]
    origin: Origin
    risk: int
    why: str
    shell: bool = False
    patch: bool = False
    email: bool = False

    def has(self, capability: Capability) -> bool:
        return capability in self.capabilities


@dataclass(frozen=True, slots=True)
class ToolOverride:
    """A policy bundle's word on a tool: ``match`` is a glob over the full name or ``server/tool``."""

    match: str
    capabilities: frozenset[Capability] | None = None
    add: frozenset[Capability] = frozenset()
    remove: frozenset[Capability] = frozenset()
    roles: Mapping[str, ArgRole] = field(default_factory=dict)
    risk: int | None = None
    integration: str | None = None

    def matches(self, name: str, server: str | None, tool: str) -> bool:
        candidates = [name, tool] if server is None else [name, f"{server}/{tool}"]
        return any(fnmatch.fnmatchcase(c.lower(), self.match.lower()) for c in candidates)


def split_name(name: str, server: str | None = None) -> tuple[str | None, str]:
    """(server, tool) from a tool name: ``mcp__srv__tool`` (Claude Code, Codex) or ``mcp_srv_tool``
    (Gemini CLI); a given ``server`` wins over what the name says."""
    if name.startswith("mcp__"):
        parts = name[5:].split("__", 1)
        if len(parts) == 2 and parts[0] and parts[1]:
            return server or parts[0], parts[1]
    elif name.startswith("mcp_") and server is None:
        parts = name[4:].split("_", 1)
        if len(parts) == 2 and parts[0] and parts[1]:
            return parts[0], parts[1]
    return server, name


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def words(text: str) -> list[str]:
    """``createPullRequest`` / ``create_pull-request`` -> ``["create", "pull", "request"]``."""
    return [w for w in _NON_ALNUM.split(_CAMEL.sub(" ", text).lower()) if w]


def role_of_key(key: str) -> ArgRole | None:
    """The role an argument plays, judged from its name alone."""
    role = known.ARGUMENT_ROLES.get(_NON_ALNUM.sub("", key.lower()))
    return ArgRole(role) if role else None


def suggested_risk(capabilities: Iterable[Capability], origin: Origin) -> int:
    weights = sorted((known.CAPABILITY_RISK[c] for c in capabilities), reverse=True)
    risk = (weights[0] + 5 * (len(weights) - 1)) if weights else 5
    if origin is Origin.HEURISTIC:
        risk += 10  # a guess deserves a little more attention than a known tool
    return min(risk, 100)


_CACHE_LIMIT = 4096
# Words that make an unknown tool an email tool: reading it yields participants, sending through
# it is held to them.
_EMAIL_WORDS = frozenset({"email", "emails", "mail", "mailbox", "inbox", "thread", "gmail", "outlook"})


class Catalog:
    """Classifies tools; cheap to call repeatedly (results are cached per name and definition)."""

    def __init__(self, overrides: Sequence[ToolOverride] = ()) -> None:
        self.overrides = tuple(overrides)
        self._cache: dict[tuple[str, str | None, str | None, str], ToolClass] = {}

    def classify(
        self, name: str, server: str | None = None, spec: ToolSpec | None = None, agent: str | None = None
    ) -> ToolClass:
        """The classification of tool ``name`` (``server`` for MCP calls seen on the wire, ``spec``
        when its definition is known, ``agent`` the agent kind whose built-ins to try first)."""
        key = (name, server, agent, _spec_key(spec))
        cached = self._cache.get(key)
        if cached is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            cached = self._cache[key] = self._classify(name, server, spec, agent)
        return cached

    def _classify(self, name: str, server: str | None, spec: ToolSpec | None, agent: str | None) -> ToolClass:
        server, tool = split_name(name, server or (spec.server if spec else None))
        base = self._builtin(name, server, tool, agent) or _heuristic(name, server, tool, spec)
        for override in self.overrides:
            if override.matches(name, server, tool):
                base = _apply(base, override)
        return base

    def _builtin(self, name: str, server: str | None, tool: str, agent: str | None) -> ToolClass | None:
        if server is None:
            agents: list[str | None] = [agent] if agent in known.AGENT_TOOLS else []
            agents += [a for a in known.AGENT_TOOLS if a != agent]
            for kind in agents:
                found = known.AGENT_TOOLS[kind].get(tool) if kind is not None else None
                if found is not None and kind is not None:
                    return _from_entry(name, tool, None, kind, found, f"built-in {kind} tool")
            return None
        family = _integration_of(server)
        if family is None:
            return None
        entry = family.tools.get(tool)
        if entry is not None:
            return _from_entry(name, tool, server, family.name, entry, f"built-in {family.name} tool")
        verb, caps = _verb_capabilities(tool, family)
        return ToolClass(
            name=name,
            tool=tool,
            server=server,
            integration=family.name,
            capabilities=caps,
            roles={k: ArgRole(v) for k, v in family.roles.items()},
            origin=Origin.BUILTIN,
            risk=suggested_risk(caps, Origin.BUILTIN),
            why=f"{family.name} server, verb {verb!r}",
            email=family.email,
        )


def _spec_key(spec: ToolSpec | None) -> str:
    if spec is None:
        return ""
    return f"{len(spec.description)}:{hash(spec.description)}:{hash(repr(spec.input_schema))}"


def _integration_of(server: str) -> known.Integration | None:
    server_words = set(words(server))
    for integration in known.INTEGRATIONS:
        if server_words.intersection(integration.aliases):
            return integration
    return None


def _from_entry(
    name: str, tool: str, server: str | None, integration: str, entry: known.Entry, why: str
) -> ToolClass:
    caps = frozenset(Capability(c) for c in entry.capabilities)
    return ToolClass(
        name=name,
        tool=tool,
        server=server,
        integration=integration,
        capabilities=caps,
        roles={k: ArgRole(v) for k, v in entry.roles.items()},
        origin=Origin.BUILTIN,
        risk=entry.risk if entry.risk is not None else suggested_risk(caps, Origin.BUILTIN),
        why=why,
        shell=entry.shell,
        patch=entry.patch,
    )


def _verb_capabilities(tool: str, integration: known.Integration) -> tuple[str, frozenset[Capability]]:
    tool_words = words(tool)
    for word in tool_words:
        if word in known.DELETE_VERBS:
            return word, frozenset(Capability(c) for c in integration.deletes)
        if word in known.WRITE_VERBS:
            return word, frozenset(Capability(c) for c in integration.writes)
        if word in known.READ_VERBS:
            return word, frozenset(Capability(c) for c in integration.reads)
    # No verb: assume the tool may do what the integration can do at most, short of deleting.
    return "", frozenset(Capability(c) for c in integration.reads | integration.writes)


def _heuristic(name: str, server: str | None, tool: str, spec: ToolSpec | None) -> ToolClass:
    tool_words = words(tool)
    description_words = set(words(spec.description[:4000])) if spec and spec.description else set()
    caps: set[Capability] = set()
    clues: list[str] = []
    verbs = [w for w in tool_words if w in known.DELETE_VERBS | known.WRITE_VERBS | known.READ_VERBS]
    verb = verbs[0] if verbs else ""
    if any(w in known.EXEC_VERBS for w in tool_words):
        caps.add(Capability.EXECUTES_CODE)
        clues.append("runs code")
    if verb in known.DELETE_VERBS:
        caps.add(Capability.DESTRUCTIVE)
        clues.append(f"verb {verb!r}")
    elif verb in known.WRITE_VERBS:
        caps.add(Capability.SENDS_EXTERNAL if server is not None else Capability.WRITES_LOCAL)
        clues.append(f"verb {verb!r}")
    elif verb in known.READ_VERBS:
        caps.add(Capability.READS_PRIVATE)
        clues.append(f"verb {verb!r}")
    nouns = set(tool_words) | description_words
    if nouns & known.UNTRUSTED_NOUNS and (verb in known.READ_VERBS or not verb):
        caps.add(Capability.READS_UNTRUSTED)
        clues.append("reads outside content")
    if set(tool_words) & known.SEND_NOUNS:
        caps.add(Capability.SENDS_EXTERNAL)
        clues.append("sends messages")
    roles = _schema_roles(spec.input_schema if spec else None)
    if ArgRole.URL in roles.values():
        caps.update((Capability.SENDS_EXTERNAL, Capability.READS_UNTRUSTED))
        clues.append("takes a URL")
    if ArgRole.RECIPIENTS in roles.values():
        caps.add(Capability.SENDS_EXTERNAL)
        clues.append("takes recipients")
    if ArgRole.COMMAND in roles.values():
        caps.add(Capability.EXECUTES_CODE)
        clues.append("takes a command")
    if description_words & {"permanently", "irreversibly", "irreversible"}:
        caps.add(Capability.DESTRUCTIVE)
        clues.append("description says it cannot be undone")
    if not caps and server is not None:
        # An MCP tool we know nothing about: its results come from outside the agent.
        caps.add(Capability.READS_UNTRUSTED)
        clues.append("unknown MCP tool")
    frozen = frozenset(caps)
    return ToolClass(
        name=name,
        tool=tool,
        server=server,
        integration="unknown",
        capabilities=frozen,
        roles=roles,
        origin=Origin.HEURISTIC,
        risk=suggested_risk(frozen, Origin.HEURISTIC),
        why="; ".join(clues) or "no clue in name, description or schema",
        shell=ArgRole.COMMAND in roles.values() and Capability.EXECUTES_CODE in caps,
        email=bool((set(tool_words) | description_words) & _EMAIL_WORDS),
    )


def _schema_roles(schema: Mapping[str, Any] | None) -> dict[str, ArgRole]:
    roles: dict[str, ArgRole] = {}
    if not isinstance(schema, Mapping):
        return roles
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return roles
    for key in list(properties)[:200]:
        if isinstance(key, str) and (role := role_of_key(key)) is not None:
            roles[key] = role
    return roles


def _apply(base: ToolClass, override: ToolOverride) -> ToolClass:
    caps = override.capabilities if override.capabilities is not None else base.capabilities
    caps = (caps | override.add) - override.remove
    return ToolClass(
        name=base.name,
        tool=base.tool,
        server=base.server,
        integration=override.integration or base.integration,
        capabilities=caps,
        roles={**base.roles, **override.roles},
        origin=Origin.OVERRIDE,
        risk=override.risk if override.risk is not None else suggested_risk(caps, Origin.BUILTIN),
        why=f"override {override.match!r} (was: {base.why})",
        shell=base.shell,
        patch=base.patch,
        email=base.email or override.integration == "email",
    )


def parse_overrides(text: str, source: str = "catalog.toml") -> tuple[ToolOverride, ...]:
    """Overrides from a bundle's ``catalog.toml``: ``[[tool]]`` tables with ``match``,
    ``capabilities`` | ``add`` | ``remove``, ``roles``, ``risk``, ``integration``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML: {exc}") from None
    entries = data.get("tool", [])
    if not isinstance(entries, list):
        raise PolicyError(f"{source}: [[tool]] must be an array of tables")
    overrides = []
    for index, entry in enumerate(entries):
        where = f"{source}: tool[{index}]"
        if not isinstance(entry, dict):
            raise PolicyError(f"{where}: must be a table")
        unknown = set(entry) - {"match", "capabilities", "add", "remove", "roles", "risk", "integration"}
        if unknown:
            raise PolicyError(f"{where}: unknown keys {sorted(unknown)}")
        match = entry.get("match")
        if not isinstance(match, str) or not match:
            raise PolicyError(f"{where}: 'match' must be a non-empty string")
        risk = entry.get("risk")
        if risk is not None and (not isinstance(risk, int) or not 0 <= risk <= 100):
            raise PolicyError(f"{where}: 'risk' must be an integer 0..100")
        integration = entry.get("integration")
        if integration is not None and not isinstance(integration, str):
            raise PolicyError(f"{where}: 'integration' must be a string")
        roles = entry.get("roles", {})
        if not isinstance(roles, dict):
            raise PolicyError(f"{where}: 'roles' must be a table of argument = role")
        overrides.append(
            ToolOverride(
                match=match,
                capabilities=_caps(entry["capabilities"], where) if "capabilities" in entry else None,
                add=_caps(entry.get("add", []), where),
                remove=_caps(entry.get("remove", []), where),
                roles={str(k): _role(v, where) for k, v in roles.items()},
                risk=risk,
                integration=integration,
            )
        )
    return tuple(overrides)


def _caps(values: object, where: str) -> frozenset[Capability]:
    if not isinstance(values, list):
        raise PolicyError(f"{where}: capabilities must be a list")
    try:
        return frozenset(Capability(v) for v in values)
    except ValueError:
        known_names = ", ".join(c.value for c in Capability)
        raise PolicyError(f"{where}: unknown capability in {values!r} (known: {known_names})") from None


def _role(value: object, where: str) -> ArgRole:
    try:
        return ArgRole(str(value))
    except ValueError:
        known_names = ", ".join(r.value for r in ArgRole)
        raise PolicyError(f"{where}: unknown role {value!r} (known: {known_names})") from None
