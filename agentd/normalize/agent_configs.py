"""Agent configuration files understood: MCP servers, hooks and proxy settings, and their diffs.

Pure. Secret-bearing values never survive parsing: env and header values are dropped (names
kept), arguments and URLs are redacted. Two inventories of one file compare field by field.
"""

import json
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from agentd.errors import ParseError
from agentd.events import AgentKind, ConfigChange, FieldChange


class ConfigFormat(StrEnum):
    """How a file is laid out; the app and scope come from where it lives."""

    JSON = "json"  # {"mcpServers": ..., "hooks": ..., "env": ...}: most agents' files
    JSONC = "jsonc"  # the same, with comments and trailing commas (VS Code, Gemini CLI)
    CLAUDE_STATE = "claude-state"  # ~/.claude.json: user servers plus projects[path].mcpServers
    VSCODE_MCP = "vscode-mcp"  # {"servers": ...} (JSONC)
    CODEX_TOML = "codex-toml"  # [mcp_servers.NAME], [hooks], [features]


# Product names; the event vocabulary's AgentKind is coarser (see `event_agent`).
CLAUDE_CODE = "claude-code"
CLAUDE_DESKTOP = "claude-desktop"
CODEX = "codex"
GEMINI_CLI = "gemini-cli"
CURSOR = "cursor"
VSCODE = "vscode"
COPILOT = "copilot"
WINDSURF = "windsurf"

_EVENT_AGENT = {
    CLAUDE_CODE: AgentKind.CLAUDE_CODE,
    CODEX: AgentKind.CODEX,
    GEMINI_CLI: AgentKind.GEMINI_CLI,
    CURSOR: AgentKind.CURSOR,
    VSCODE: AgentKind.COPILOT,
    COPILOT: AgentKind.COPILOT,
}


def event_agent(app: str) -> AgentKind:
    """The AgentKind an app's events carry (Claude Desktop and Windsurf have none yet)."""
    return _EVENT_AGENT.get(app, AgentKind.UNKNOWN)


@dataclass(frozen=True, slots=True)
class ConfigSource:
    """One config file: which app reads it, at which scope, in which layout."""

    path: str
    app: str
    scope: str  # user | project | local | managed | system
    format: ConfigFormat


@dataclass(frozen=True, slots=True)
class McpServer:
    name: str
    transport: str  # stdio | http | sse | ws | unknown
    command: str | None = None
    args: tuple[str, ...] = ()  # redacted
    url: str | None = None  # redacted: no userinfo, query values masked
    env: tuple[str, ...] = ()  # names only
    headers: tuple[str, ...] = ()  # names only
    cwd: str | None = None
    options: tuple[tuple[str, str], ...] = ()  # security-relevant flags, compact JSON values
    project: str | None = None  # for Claude Code's local scope: the project the entry belongs to

    @property
    def key(self) -> tuple[str, str]:
        return (self.project or "", self.name)

    def fields(self) -> dict[str, str | None]:
        """Comparable, already-redacted field values by name."""
        values: dict[str, str | None] = {
            "transport": self.transport,
            "command": self.command,
            "args": _compact(list(self.args)) if self.args else None,
            "url": self.url,
            "env": ",".join(self.env) or None,
            "headers": ",".join(self.headers) or None,
            "cwd": self.cwd,
        }
        values.update((f"options.{name}", value) for name, value in self.options)
        return values


@dataclass(frozen=True, slots=True)
class HookEntry:
    event: str
    handler: str  # command | http | prompt | ...
    target: str  # the command or URL, redacted
    matcher: str | None = None
    agentd: bool = False  # installed by agentd

    def describe(self) -> str:
        where = f" [{self.matcher}]" if self.matcher else ""
        return f"{self.handler}{where}: {self.target}"


@dataclass(frozen=True, slots=True)
class Setting:
    """A proxy/CA environment value or a hook-disabling switch, redacted."""

    name: str
    value: str
    agentd: bool = False


@dataclass(frozen=True, slots=True)
class ConfigInventory:
    source: ConfigSource
    servers: tuple[McpServer, ...] = ()
    hooks: tuple[HookEntry, ...] = ()
    settings: tuple[Setting, ...] = ()
    problems: tuple[str, ...] = ()  # entries skipped as malformed


@dataclass(frozen=True, slots=True)
class AgentdMarks:
    """How agentd recognises what it installed: hook commands or URLs naming it, and proxy
    settings pointing at its listener or its CA."""

    markers: tuple[str, ...] = ("agentd",)

    def owns(self, text: str) -> bool:
        lowered = text.lower()
        return any(marker.lower() in lowered for marker in self.markers if marker)


@dataclass(frozen=True, slots=True)
class ConfigDelta:
    """One change between two inventories of a file, ready to become an AgentConfigChanged."""

    change: ConfigChange
    server: str | None = None
    transport: str | None = None
    diff: tuple[FieldChange, ...] = ()
    detail: str | None = None
    project: str | None = None


# --- redaction -------------------------------------------------------------------------------

REDACTED = "<redacted>"
MAX_ARGS = 64
MAX_VALUE = 512

_SECRET_NAME = re.compile(
    r"(token|secret|passw(or)?d|passphrase|api[-_]?key|apikey|auth|credential|bearer|"
    r"private[-_]?key|access[-_]?key|session[-_]?key|client[-_]?secret|cookie|signature|\bpat\b|\bkey\b)",
    re.IGNORECASE,
)
_FLAG_VALUE = re.compile(r"^(--?[A-Za-z0-9][\w.-]*)=(.*)$", re.DOTALL)
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)
_HEADER = re.compile(r"^\s*([A-Za-z0-9-]+)\s*:\s*(.+)$", re.DOTALL)
_URLISH = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_TOKENISH = re.compile(r"^[A-Za-z0-9+/=_.:-]{24,}$")


def _looks_like_token(value: str) -> bool:
    """A long opaque word with mixed character classes: a key, not a path or a package name."""
    if not _TOKENISH.match(value) or value.count("/") > 2:
        return False
    classes = sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
        )
    )
    hexlike = len(value) >= 32 and all(c in "0123456789abcdefABCDEF" for c in value)
    return classes >= 3 or hexlike


def _truncate(value: str) -> str:
    return value if len(value) <= MAX_VALUE else f"{value[:MAX_VALUE]}…({len(value)})"


def redact_url(url: str) -> str:
    """The URL without credentials: userinfo dropped, query values masked, fragment dropped."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return REDACTED
    if not parts.scheme:
        return _truncate(url) if not _looks_like_token(url) else REDACTED
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{REDACTED}@{host}{port}" if parts.username or parts.password else f"{host}{port}"
    query = "&".join(f"{name}=…" for name, _ in parse_qsl(parts.query, keep_blank_values=True))
    return _truncate(urlunsplit((parts.scheme, netloc, parts.path, query, "")))


def redact_arg(arg: str, previous: str | None = None) -> str:
    """One command-line word with anything secret-looking masked."""
    if previous is not None and previous.startswith("-") and _SECRET_NAME.search(previous):
        return REDACTED
    if flag := _FLAG_VALUE.match(arg):
        name, value = flag.groups()
        return f"{name}={REDACTED}" if _SECRET_NAME.search(name) else f"{name}={redact_arg(value)}"
    if _URLISH.match(arg):
        return redact_url(arg)
    if header := _HEADER.match(arg):
        name, _ = header.groups()
        if _SECRET_NAME.search(name):
            return f"{name}: {REDACTED}"
    if assignment := _ASSIGNMENT.match(arg):
        name, value = assignment.groups()
        return f"{name}={REDACTED}" if _SECRET_NAME.search(name) or value else arg
    if _looks_like_token(arg):
        return REDACTED
    return _truncate(arg)


def redact_args(args: Iterable[str]) -> tuple[str, ...]:
    """Command-line arguments with secret-looking values masked; at most MAX_ARGS kept."""
    out: list[str] = []
    previous: str | None = None
    items = list(args)
    for arg in items[:MAX_ARGS]:
        out.append(redact_arg(arg, previous))
        previous = arg
    if len(items) > MAX_ARGS:
        out.append(f"…(+{len(items) - MAX_ARGS})")
    return tuple(out)


def redact_command(command: str) -> str:
    """A shell command string with secret-looking words masked (whitespace-split, quotes kept)."""
    words = command.split()
    return _truncate(" ".join(redact_args(words))) if words else ""


# --- parsing ---------------------------------------------------------------------------------

# Proxy and CA variables whose change redirects or unpins an agent's traffic.
PROXY_ENV = frozenset(
    {
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "NODE_EXTRA_CA_CERTS",
        "NODE_USE_SYSTEM_CA",
        "SSL_CERT_FILE",
        "CODEX_CA_CERTIFICATE",
        "REQUESTS_CA_BUNDLE",
        "CLAUDE_CODE_CERT_STORE",
        "NODE_TLS_REJECT_UNAUTHORIZED",
    }
)

_OPTIONS = (
    "disabled",
    "enabled",
    "trust",
    "autoApprove",
    "alwaysAllow",
    "includeTools",
    "excludeTools",
    "enabled_tools",
    "disabled_tools",
    "default_tools_approval_mode",
    "bearer_token_env_var",
    "headersHelper",
    "oauth",
)

_TRANSPORTS = {
    "stdio": "stdio",
    "local": "stdio",
    "http": "http",
    "streamable-http": "http",
    "streamablehttp": "http",
    "streamable_http": "http",
    "remote": "http",
    "sse": "sse",
    "ws": "ws",
    "websocket": "ws",
}


def _compact(value: Any) -> str:
    return _truncate(json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False))


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, Mapping):
        return tuple(sorted(str(k) for k in value))
    if isinstance(value, list):  # docker-style ["NAME=value", "NAME"]
        return tuple(sorted({str(item).split("=", 1)[0] for item in value if isinstance(item, str)}))
    return ()


def _transport(app: str, entry: Mapping[str, Any]) -> str:
    declared = entry.get("type") or entry.get("transport")
    if isinstance(declared, str):
        return _TRANSPORTS.get(declared.strip().lower(), "unknown")
    if isinstance(entry.get("httpUrl"), str):
        return "http"
    if isinstance(entry.get("serverUrl"), str) or isinstance(entry.get("url"), str):
        # Gemini CLI's `url` is the SSE transport; everyone else's is Streamable HTTP.
        return "sse" if app == GEMINI_CLI and "httpUrl" not in entry and "serverUrl" not in entry else "http"
    if isinstance(entry.get("command"), str | list):
        return "stdio"
    return "unknown"


def _server(app: str, name: str, entry: Mapping[str, Any], project: str | None) -> McpServer:
    url = next((entry[k] for k in ("httpUrl", "serverUrl", "url") if isinstance(entry.get(k), str)), None)
    command = entry.get("command")
    args = entry.get("args")
    command_words: list[str] = []
    if isinstance(command, list):  # some configs give the whole argv as a list
        command_words = [str(word) for word in command]
        command = command_words[0] if command_words else None
        args = [*command_words[1:], *(args if isinstance(args, list) else [])]
    headers = {**_mapping(entry.get("headers")), **_mapping(entry.get("http_headers"))}
    header_names = set(_names(headers)) | set(_names(entry.get("env_http_headers")))
    options = []
    for option in _OPTIONS:
        if option in entry:
            value = entry[option]
            if option == "headersHelper" and isinstance(value, str):
                value = redact_command(value)
            options.append((option, _compact(value)))
    cwd = entry.get("cwd")
    return McpServer(
        name=name,
        transport=_transport(app, entry),
        command=_truncate(redact_arg(command)) if isinstance(command, str) else None,
        args=redact_args(str(a) for a in args) if isinstance(args, list) else (),
        url=redact_url(url) if url is not None else None,
        env=_names(entry.get("env")),
        headers=tuple(sorted(header_names)),
        cwd=_truncate(cwd) if isinstance(cwd, str) else None,
        options=tuple(options),
        project=project,
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _servers(
    app: str, table: Any, project: str | None, where: str, problems: list[str]
) -> Iterator[McpServer]:
    if table is None:
        return
    if not isinstance(table, Mapping):
        problems.append(f"{where} is not an object")
        return
    for name, entry in table.items():
        if not isinstance(entry, Mapping):
            problems.append(f"{where}.{name} is not an object")
            continue
        yield _server(app, str(name), entry, project)


def _hooks(table: Any, marks: AgentdMarks, problems: list[str]) -> Iterator[HookEntry]:
    """Claude-style groups ({matcher, hooks: [handler]}) and flat handler lists (Cursor, Copilot,
    Windsurf) alike: every handler with its event and matcher."""
    if table is None:
        return
    if not isinstance(table, Mapping):
        problems.append("hooks is not an object")
        return
    for event, groups in table.items():
        if not isinstance(groups, list):
            problems.append(f"hooks.{event} is not a list")
            continue
        for group in groups:
            if not isinstance(group, Mapping):
                problems.append(f"hooks.{event} has a non-object entry")
                continue
            matcher = group.get("matcher")
            matcher = matcher if isinstance(matcher, str) else None
            nested = group.get("hooks")
            handlers: list[Any] = nested if isinstance(nested, list) else [group]
            for handler in handlers:
                if not isinstance(handler, Mapping):
                    problems.append(f"hooks.{event} has a non-object handler")
                    continue
                raw = next(
                    (handler[k] for k in ("command", "bash", "url", "powershell", "prompt") if k in handler),
                    None,
                )
                raw_text = raw if isinstance(raw, str) else _compact(raw)
                kind = handler.get("type")
                kind = kind if isinstance(kind, str) else ("http" if "url" in handler else "command")
                target = redact_url(raw_text) if kind == "http" else redact_command(raw_text)
                yield HookEntry(
                    event=str(event),
                    handler=kind,
                    target=target,
                    matcher=matcher,
                    agentd=marks.owns(raw_text),
                )


def _settings(data: Mapping[str, Any], marks: AgentdMarks) -> Iterator[Setting]:
    env = _mapping(data.get("env"))
    for name, value in env.items():
        if str(name).upper() in PROXY_ENV and isinstance(value, str | int | bool):
            text = str(value)
            shown = redact_url(text) if _URLISH.match(text) else _truncate(text)
            yield Setting(name=f"env.{name}", value=shown, agentd=marks.owns(text))
    proxy = data.get("proxy")
    if isinstance(proxy, str):
        yield Setting(name="proxy", value=redact_url(proxy), agentd=marks.owns(proxy))
    # Switches that silence every hook, agentd's included.
    if "disableAllHooks" in data:
        yield Setting(name="disableAllHooks", value=_compact(data["disableAllHooks"]))
    if "allowManagedHooksOnly" in data:
        yield Setting(name="allowManagedHooksOnly", value=_compact(data["allowManagedHooksOnly"]))
    hooks_config = _mapping(data.get("hooksConfig"))
    if "enabled" in hooks_config:
        yield Setting(name="hooksConfig.enabled", value=_compact(hooks_config["enabled"]))
    features = _mapping(data.get("features"))
    for flag in ("hooks", "codex_hooks"):
        if flag in features:
            yield Setting(name=f"features.{flag}", value=_compact(features[flag]))


def strip_jsonc(text: str) -> str:
    """JSON with // and /* */ comments and trailing commas, as plain JSON (strings untouched)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif c == ",":
            j = i + 1
            while j < n and text[j] in " \t\r\n":
                j += 1
            if j < n and text[j] in "]}":
                i += 1  # drop the trailing comma
            else:
                out.append(c)
                i += 1
        else:
            # Copy a run of ordinary characters at once; the loop above handles the specials.
            j = i + 1
            while j < n and text[j] not in '"/,':
                j += 1
            out.append(text[i:j])
            i = j
    return "".join(out)


def _load(source: ConfigSource, text: str) -> Mapping[str, Any]:
    try:
        if source.format is ConfigFormat.CODEX_TOML:
            data: Any = tomllib.loads(text)
        elif source.format in (ConfigFormat.JSONC, ConfigFormat.VSCODE_MCP):
            data = json.loads(strip_jsonc(text)) if text.strip() else {}
        else:
            data = json.loads(text) if text.strip() else {}
    except tomllib.TOMLDecodeError as exc:
        raise ParseError(f"{source.path}: not valid TOML: {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"{source.path}: not valid JSON: {_first_line(exc)}") from None
    if not isinstance(data, Mapping):
        raise ParseError(f"{source.path}: expected an object at the top level")
    return data


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def parse(source: ConfigSource, text: str, marks: AgentdMarks = AgentdMarks()) -> ConfigInventory:
    """The MCP servers, hooks and proxy settings ``text`` configures; ParseError names the file
    when the text is not valid for its format."""
    data = _load(source, text)
    problems: list[str] = []
    app = source.app
    if source.format is ConfigFormat.VSCODE_MCP:
        servers = list(_servers(app, data.get("servers"), None, "servers", problems))
    elif source.format is ConfigFormat.CODEX_TOML:
        servers = list(_servers(app, data.get("mcp_servers"), None, "mcp_servers", problems))
    else:
        servers = list(_servers(app, data.get("mcpServers"), None, "mcpServers", problems))
    if source.format is ConfigFormat.CLAUDE_STATE:
        projects = data.get("projects")
        for project, state in _mapping(projects).items():
            if isinstance(state, Mapping):
                where = f"projects[{project}].mcpServers"
                servers += _servers(app, state.get("mcpServers"), str(project), where, problems)
    hooks = tuple(_hooks(data.get("hooks"), marks, problems))
    settings = tuple(_settings(data, marks))
    return ConfigInventory(
        source=source,
        servers=tuple(sorted(servers, key=lambda s: s.key)),
        hooks=tuple(sorted(set(hooks), key=_hook_order)),
        settings=tuple(sorted(set(settings), key=lambda s: s.name)),
        problems=tuple(problems),
    )


def _hook_order(hook: HookEntry) -> tuple[str, str, str, str]:
    return (hook.event, hook.matcher or "", hook.handler, hook.target)


# --- diffing ---------------------------------------------------------------------------------
# A switch's value in which agentd's hooks still run; any other value silences them.
_HOOK_SWITCHES: dict[str, str | None] = {
    "disableAllHooks": "false",
    "allowManagedHooksOnly": "false",
    "hooksConfig.enabled": "true",
    "features.hooks": "true",
    "features.codex_hooks": "true",
}


def server_fields(server: McpServer) -> tuple[FieldChange, ...]:
    """Every set field of a server as an addition (for a "server added" event)."""
    return tuple(
        FieldChange(path=name, after=value) for name, value in server.fields().items() if value is not None
    )


def _server_diff(before: McpServer, after: McpServer) -> tuple[FieldChange, ...]:
    old, new = before.fields(), after.fields()
    return tuple(
        FieldChange(path=name, before=old.get(name), after=new.get(name))
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    )


def _hook_changes(before: Sequence[HookEntry], after: Sequence[HookEntry]) -> list[FieldChange]:
    gone = [h for h in before if h not in after]
    came = [h for h in after if h not in before]
    return [FieldChange(path=f"hooks.{h.event}", before=h.describe()) for h in gone] + [
        FieldChange(path=f"hooks.{h.event}", after=h.describe()) for h in came
    ]


def diff(before: ConfigInventory | None, after: ConfigInventory | None) -> list[ConfigDelta]:
    """What changed from ``before`` to ``after`` (None = the file did not exist).

    Servers are added, changed (with a field-level diff) or removed. Hooks and proxy settings
    changes are reported once per file; when something agentd installed was removed or altered,
    or a switch that silences hooks changed while agentd's hooks are present, the change is
    ``tampered`` instead.
    """
    old_servers = {s.key: s for s in before.servers} if before else {}
    new_servers = {s.key: s for s in after.servers} if after else {}
    deltas: list[ConfigDelta] = []
    for key in sorted(old_servers.keys() | new_servers.keys()):
        old, new = old_servers.get(key), new_servers.get(key)
        if old is None and new is not None:
            deltas.append(
                ConfigDelta(
                    ConfigChange.SERVER_ADDED,
                    new.name,
                    new.transport,
                    server_fields(new),
                    project=new.project,
                )
            )
        elif new is None and old is not None:
            deltas.append(
                ConfigDelta(ConfigChange.SERVER_REMOVED, old.name, old.transport, project=old.project)
            )
        elif old is not None and new is not None and old != new:
            changes = _server_diff(old, new)
            deltas.append(
                ConfigDelta(
                    ConfigChange.SERVER_CHANGED, new.name, new.transport, changes, project=new.project
                )
            )

    old_hooks = before.hooks if before else ()
    new_hooks = after.hooks if after else ()
    hook_changes = _hook_changes(old_hooks, new_hooks)
    agentd_hooks_lost = [h for h in old_hooks if h.agentd and h not in new_hooks]

    old_settings = {s.name: s for s in before.settings} if before else {}
    new_settings = {s.name: s for s in after.settings} if after else {}
    setting_changes = [
        FieldChange(
            path=name,
            before=old_settings[name].value if name in old_settings else None,
            after=new_settings[name].value if name in new_settings else None,
        )
        for name in sorted(old_settings.keys() | new_settings.keys())
        if old_settings.get(name) != new_settings.get(name)
    ]
    agentd_settings_lost = [s for n, s in old_settings.items() if s.agentd and new_settings.get(n) != s]
    guarded = any(h.agentd for h in (*old_hooks, *new_hooks))
    silencing = [c for c in setting_changes if c.path in _HOOK_SWITCHES and c.after != _HOOK_SWITCHES[c.path]]

    reasons = [f"agentd hook removed or changed: {h.describe()}" for h in agentd_hooks_lost]
    reasons += [f"agentd setting removed or changed: {s.name}" for s in agentd_settings_lost]
    if guarded:
        reasons += [f"hook switch changed: {c.path} = {c.after}" for c in silencing]
    if reasons:
        deltas.append(
            ConfigDelta(
                ConfigChange.TAMPERED,
                diff=tuple(hook_changes + setting_changes),
                detail="; ".join(reasons),
            )
        )
        return deltas
    if hook_changes:
        deltas.append(ConfigDelta(ConfigChange.HOOKS_CHANGED, diff=tuple(hook_changes)))
    if setting_changes:
        deltas.append(ConfigDelta(ConfigChange.SETTINGS_CHANGED, diff=tuple(setting_changes)))
    return deltas


# --- persistence form ------------------------------------------------------------------------


def to_json(inventory: ConfigInventory) -> dict[str, Any]:
    """A JSON-ready form (already redacted) for the state store."""
    return {
        "servers": [
            {
                "name": s.name,
                "transport": s.transport,
                "command": s.command,
                "args": list(s.args),
                "url": s.url,
                "env": list(s.env),
                "headers": list(s.headers),
                "cwd": s.cwd,
                "options": [list(o) for o in s.options],
                "project": s.project,
            }
            for s in inventory.servers
        ],
        "hooks": [
            {
                "event": h.event,
                "handler": h.handler,
                "target": h.target,
                "matcher": h.matcher,
                "agentd": h.agentd,
            }
            for h in inventory.hooks
        ],
        "settings": [{"name": s.name, "value": s.value, "agentd": s.agentd} for s in inventory.settings],
        "problems": list(inventory.problems),
    }


def from_json(source: ConfigSource, data: Mapping[str, Any]) -> ConfigInventory:
    """The inverse of `to_json`; ParseError when the stored form is damaged."""
    try:
        servers = tuple(
            McpServer(
                name=s["name"],
                transport=s["transport"],
                command=s.get("command"),
                args=tuple(s.get("args", ())),
                url=s.get("url"),
                env=tuple(s.get("env", ())),
                headers=tuple(s.get("headers", ())),
                cwd=s.get("cwd"),
                options=tuple((str(k), str(v)) for k, v in s.get("options", ())),
                project=s.get("project"),
            )
            for s in data.get("servers", ())
        )
        hooks = tuple(
            HookEntry(
                event=h["event"],
                handler=h["handler"],
                target=h["target"],
                matcher=h.get("matcher"),
                agentd=bool(h.get("agentd")),
            )
            for h in data.get("hooks", ())
        )
        settings = tuple(
            Setting(name=s["name"], value=s["value"], agentd=bool(s.get("agentd")))
            for s in data.get("settings", ())
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ParseError(f"stored inventory of {source.path} is damaged: {exc!r}") from None
    return ConfigInventory(
        source=source,
        servers=servers,
        hooks=hooks,
        settings=settings,
        problems=tuple(data.get("problems", ())),
    )


__all__ = [
    "CLAUDE_CODE",
    "CLAUDE_DESKTOP",
    "CODEX",
    "COPILOT",
    "CURSOR",
    "GEMINI_CLI",
    "PROXY_ENV",
    "REDACTED",
    "VSCODE",
    "WINDSURF",
    "AgentdMarks",
    "ConfigDelta",
    "ConfigFormat",
    "ConfigInventory",
    "ConfigSource",
    "HookEntry",
    "McpServer",
    "Setting",
    "diff",
    "event_agent",
    "from_json",
    "parse",
    "redact_arg",
    "redact_args",
    "redact_command",
    "redact_url",
    "server_fields",
    "strip_jsonc",
    "to_json",
]
