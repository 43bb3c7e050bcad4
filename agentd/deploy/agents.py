"""Which files agentd edits for each agent, and what it puts in them (pure: paths are passed in).

One table per agent: its user and system (managed) settings locations on Linux and macOS,
the hook events agentd listens on, and the environment the agent needs to reach the proxy
and trust its CA, where the agent can read it from a file at all.
"""

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePath
from typing import Any

from agentd.errors import AgentdError
from agentd.events import AgentKind

PROXY_VAR = "HTTPS_PROXY"
NODE_CA_VAR = "NODE_EXTRA_CA_CERTS"
HOOK_TIMEOUT_SECONDS = 30


class IntegrationError(AgentdError):
    """An agent's settings file cannot be merged safely; it is left untouched."""


class Scope(StrEnum):
    USER = "user"  # one user's own settings files, no root needed
    SYSTEM = "system"  # managed / system-wide files that users cannot override


# `agentd integrate --agent NAME`: the names people type, mapped to the event vocabulary.
AGENT_NAMES: Mapping[str, AgentKind] = {
    "claude-code": AgentKind.CLAUDE_CODE,
    "codex": AgentKind.CODEX,
    "gemini": AgentKind.GEMINI_CLI,
    "gemini-cli": AgentKind.GEMINI_CLI,
}
SUPPORTED: tuple[AgentKind, ...] = (AgentKind.CLAUDE_CODE, AgentKind.CODEX, AgentKind.GEMINI_CLI)

# What each agent's executable is called, to tell whether it is installed.
EXECUTABLES: Mapping[AgentKind, str] = {
    AgentKind.CLAUDE_CODE: "claude",
    AgentKind.CODEX: "codex",
    AgentKind.GEMINI_CLI: "gemini",
}


@dataclass(frozen=True, slots=True)
class Places:
    """Where the files are: the user's home, a root prefix for system files, the OS, env overrides."""

    home: Path
    root: Path = Path("/")
    platform: str = "linux"
    environ: Mapping[str, str] = field(default_factory=dict)

    def system(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)


@dataclass(frozen=True, slots=True)
class JsonSettings:
    """Merge ``env`` entries and hook groups into a JSON settings file (Claude-style schema)."""

    path: Path
    env: Mapping[str, str]
    hooks: Mapping[str, Mapping[str, Any]]  # event -> one matcher group holding agentd's handler


@dataclass(frozen=True, slots=True)
class TextBlock:
    """A block of lines between agentd's markers, appended to a TOML or dotenv file."""

    path: Path
    lines: tuple[str, ...]


Edit = JsonSettings | TextBlock


@dataclass(frozen=True, slots=True)
class Integration:
    """What `agentd integrate` changes for one agent in one scope, and what is left to the user."""

    agent: AgentKind
    scope: Scope
    edits: tuple[Edit, ...]
    notes: tuple[str, ...] = ()


def hook_command(agentd: Sequence[str], agent: AgentKind) -> str:
    """The shell command line an agent runs for every hook event: ``<agentd> hook <agent>``."""
    return shlex.join([*agentd, "hook", agent.value])


def is_agentd_hook(command: object, agent: AgentKind) -> bool:
    """Whether a hook handler's command is agentd's hook for ``agent`` (whatever binary path)."""
    if not isinstance(command, str):
        return False
    try:
        argv = shlex.split(command)
    except ValueError:
        return False
    if len(argv) < 3 or argv[-2:] != ["hook", agent.value]:
        return False
    launcher = argv[:-2]
    if PurePath(launcher[0]).name == "agentd" and len(launcher) == 1:
        return True
    # `python -m agentd hook …`, how a development checkout runs it
    return len(launcher) >= 3 and launcher[-2:] == ["-m", "agentd"]


def hook_binary(command: str) -> list[str]:
    """The launcher part of an agentd hook command (everything before ``hook <agent>``)."""
    return shlex.split(command)[:-2]


def user_dir(agent: AgentKind, places: Places) -> Path:
    """The agent's per-user configuration directory, honouring its relocation variable."""
    env = places.environ
    if agent is AgentKind.CLAUDE_CODE:
        return Path(env["CLAUDE_CONFIG_DIR"]) if env.get("CLAUDE_CONFIG_DIR") else places.home / ".claude"
    if agent is AgentKind.CODEX:
        return Path(env["CODEX_HOME"]) if env.get("CODEX_HOME") else places.home / ".codex"
    if agent is AgentKind.GEMINI_CLI:
        base = Path(env["GEMINI_CLI_HOME"]) if env.get("GEMINI_CLI_HOME") else places.home
        return base / ".gemini"
    raise ValueError(f"no integration for {agent.value}")


def user_settings(agent: AgentKind, places: Places) -> Path:
    name = {AgentKind.CODEX: "hooks.json"}.get(agent, "settings.json")
    return user_dir(agent, places) / name


def system_settings(agent: AgentKind, places: Places) -> Path:
    """The managed file each agent reads and users cannot override."""
    mac = places.platform == "darwin"
    if agent is AgentKind.CLAUDE_CODE:
        if mac:
            return places.system("Library", "Application Support", "ClaudeCode", "managed-settings.json")
        return places.system("etc", "claude-code", "managed-settings.json")
    if agent is AgentKind.CODEX:
        return places.system("etc", "codex", "requirements.toml")
    if agent is AgentKind.GEMINI_CLI:
        if mac:
            return places.system("Library", "Application Support", "GeminiCli", "settings.json")
        return places.system("etc", "gemini-cli", "settings.json")
    raise ValueError(f"no integration for {agent.value}")


def _handler(command: str, timeout: int, **extra: Any) -> dict[str, Any]:
    return {"type": "command", "command": command, "timeout": timeout, **extra}


def _claude_hooks(command: str) -> dict[str, dict[str, Any]]:
    handler = [_handler(command, HOOK_TIMEOUT_SECONDS)]
    return {
        "PreToolUse": {"matcher": "*", "hooks": handler},
        "PostToolUse": {"matcher": "*", "hooks": handler},
        "UserPromptSubmit": {"hooks": handler},
    }


def _codex_hooks(command: str) -> dict[str, dict[str, Any]]:
    handler = [_handler(command, HOOK_TIMEOUT_SECONDS)]
    return {event: {"hooks": handler} for event in ("PreToolUse", "PostToolUse", "UserPromptSubmit")}


def _gemini_hooks(command: str) -> dict[str, dict[str, Any]]:
    # Gemini CLI counts hook timeouts in milliseconds and names each handler.
    handler = [_handler(command, HOOK_TIMEOUT_SECONDS * 1000, name="agentd")]
    return {
        "BeforeTool": {"matcher": ".*", "hooks": handler},
        "AfterTool": {"matcher": ".*", "hooks": handler},
        "BeforeAgent": {"hooks": handler},
    }


def _codex_requirements_block(command: str) -> tuple[str, ...]:
    lines: list[str] = []
    for event in ("PreToolUse", "PostToolUse", "UserPromptSubmit"):
        lines += [
            f"[[hooks.{event}]]",
            f"[[hooks.{event}.hooks]]",
            'type = "command"',
            f"command = {_toml_string(command)}",
            f"timeout = {HOOK_TIMEOUT_SECONDS}",
        ]
    return tuple(lines)


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _dotenv_value(value: str) -> str:
    return value if all(c.isalnum() or c in "/:._-@" for c in value) else _toml_string(value)


def plan(
    agent: AgentKind,
    scope: Scope,
    places: Places,
    *,
    agentd: Sequence[str],
    proxy_url: str,
    ca_cert: Path,
) -> Integration:
    """The edits that wire ``agent`` to agentd in ``scope``; notes say what files cannot do."""
    command = hook_command(agentd, agent)
    env = {PROXY_VAR: proxy_url, NODE_CA_VAR: str(ca_cert)}
    if agent is AgentKind.CLAUDE_CODE:
        return _plan_claude(scope, places, command, env)
    if agent is AgentKind.CODEX:
        return _plan_codex(scope, places, command)
    if agent is AgentKind.GEMINI_CLI:
        return _plan_gemini(scope, places, command, env)
    raise ValueError(f"no integration for {agent.value}")


def _settings_path(agent: AgentKind, scope: Scope, places: Places) -> Path:
    return user_settings(agent, places) if scope is Scope.USER else system_settings(agent, places)


def _plan_claude(scope: Scope, places: Places, command: str, env: Mapping[str, str]) -> Integration:
    # Claude Code reads an `env` block from its settings, managed ones included.
    path = _settings_path(AgentKind.CLAUDE_CODE, scope, places)
    return Integration(AgentKind.CLAUDE_CODE, scope, (JsonSettings(path, env, _claude_hooks(command)),))


def _plan_codex(scope: Scope, places: Places, command: str) -> Integration:
    agent = AgentKind.CODEX
    env_note = (
        "Codex reads its proxy and CA only from the environment: add "
        '`eval "$(agentd env --agent codex --shell)"` to your shell profile.'
    )
    if scope is Scope.SYSTEM:
        # requirements.toml hooks are managed: trusted by policy, no per-user review.
        block = TextBlock(system_settings(agent, places), _codex_requirements_block(command))
        return Integration(agent, scope, (block,), (env_note,))
    edit = JsonSettings(user_settings(agent, places), {}, _codex_hooks(command))
    return Integration(agent, scope, (edit,), (env_note, "Run /hooks in Codex once to trust agentd's hook."))


def _plan_gemini(scope: Scope, places: Places, command: str, env: Mapping[str, str]) -> Integration:
    agent = AgentKind.GEMINI_CLI
    hooks = JsonSettings(_settings_path(agent, scope, places), {}, _gemini_hooks(command))
    if scope is Scope.SYSTEM:
        note = (
            "Gemini CLI reads its proxy and CA only from the environment: add "
            '`eval "$(agentd env --agent gemini --shell)"` to shell profiles.'
        )
        return Integration(agent, scope, (hooks,), (note,))
    # Gemini CLI has no `env` setting; it loads ~/.gemini/.env before it starts its worker
    # process, which is where Node reads NODE_EXTRA_CA_CERTS.
    lines = tuple(f"{key}={_dotenv_value(value)}" for key, value in env.items())
    dotenv = TextBlock(user_dir(agent, places) / ".env", lines)
    note = "A project's own .env (or .gemini/.env) file takes precedence over ~/.gemini/.env."
    return Integration(agent, scope, (hooks, dotenv), (note,))
