"""Doctor checks per installed agent: hooks present and running this agentd, the proxy and CA
environment the agent will actually see, and whether managed (system) settings hold them."""

import shutil
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agentd.deploy import ca_files, settings_json, textblock
from agentd.deploy.agents import (
    EXECUTABLES,
    NODE_CA_VAR,
    SUPPORTED,
    IntegrationError,
    JsonSettings,
    Places,
    Scope,
    hook_binary,
    plan,
    system_settings,
    user_dir,
    user_settings,
)
from agentd.deploy.checks_trust import readable_cert
from agentd.deploy.doctor import Check, Host, Status
from agentd.deploy.endpoint import proxy_url
from agentd.deploy.launcher import runs
from agentd.events import AgentKind

# Which variable wins when several are set: Node's and Rust's HTTP stacks read the lowercase
# form first, so a stray `https_proxy` in a shell profile silently bypasses agentd.
PROXY_ORDER = ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY")
CODEX_CA_VARS = ("CODEX_CA_CERTIFICATE", "SSL_CERT_FILE")
_NOWHERE = Places(home=Path("/nonexistent"))  # plans computed only to learn their hook events


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return settings_json.parse(path.read_text(), str(path))
    except (OSError, UnicodeDecodeError, IntegrationError):
        return {}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def installed(host: Host, agent: AgentKind) -> bool:
    path = host.places.environ.get("PATH")
    return (
        shutil.which(EXECUTABLES[agent], path=path) is not None
        or user_dir(agent, host.places).is_dir()
        or system_settings(agent, host.places).exists()
    )


def expected_events(agent: AgentKind) -> set[str]:
    integration = plan(agent, Scope.USER, _NOWHERE, agentd=["agentd"], proxy_url="", ca_cert=Path())
    return {event for edit in integration.edits if isinstance(edit, JsonSettings) for event in edit.hooks}


def hooks_found(host: Host, agent: AgentKind, scope: Scope) -> dict[str, list[str]]:
    """Event -> agentd hook commands in the agent's user or system settings."""
    if scope is Scope.USER:
        return settings_json.agentd_hooks(_read_json(user_settings(agent, host.places)), agent)
    path = system_settings(agent, host.places)
    document = _read_toml(path) if path.suffix == ".toml" else _read_json(path)
    return settings_json.agentd_hooks(document, agent)


def _merge(*found: Mapping[str, list[str]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for item in found:
        for event, commands in item.items():
            merged.setdefault(event, []).extend(commands)
    return merged


def check_hooks(host: Host, agent: AgentKind) -> Check:
    name = f"agent.{agent.value}.hooks"
    fix = f"agentd integrate --agent {_cli_name(agent)}"
    found = _merge(hooks_found(host, agent, Scope.USER), hooks_found(host, agent, Scope.SYSTEM))
    missing = sorted(expected_events(agent) - set(found))
    if missing:
        return Check(name, Status.FAIL, f"no agentd hook for {', '.join(missing)}", fix=fix)
    launchers = {tuple(hook_binary(command)) for commands in found.values() for command in commands}
    broken = sorted(" ".join(launcher) for launcher in launchers if not runs(list(launcher)))
    if broken:
        return Check(name, Status.FAIL, f"hooks run {', '.join(broken)}, which does not exist", fix=fix)
    others = sorted(" ".join(launcher) for launcher in launchers if list(launcher) != list(host.agentd))
    if others:
        return Check(
            name,
            Status.WARN,
            f"hooks run {', '.join(others)}, not this agentd ({' '.join(host.agentd)})",
            fix=fix,
        )
    return Check(name, Status.PASS, f"{', '.join(sorted(found))} run {' '.join(host.agentd)}")


def _dotenv(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError):
        return values
    for line in text.splitlines():
        key, sep, value = line.strip().removeprefix("export ").partition("=")
        if sep and key and not key.startswith("#"):
            values[key.strip()] = value.strip().strip("'\"")
    return values


def effective_env(host: Host, agent: AgentKind) -> dict[str, str]:
    """The environment the agent starts with, as far as agentd can see it from here."""
    env = dict(host.places.environ)
    if agent is AgentKind.CLAUDE_CODE:
        for path in (user_settings(agent, host.places), system_settings(agent, host.places)):
            block = _read_json(path).get("env")
            if isinstance(block, dict):
                env.update({k: v for k, v in block.items() if isinstance(k, str) and isinstance(v, str)})
    elif agent is AgentKind.GEMINI_CLI:
        env.update(_dotenv(user_dir(agent, host.places) / ".env"))
    return env


def _proxy(env: Mapping[str, str]) -> tuple[str, str] | None:
    for var in PROXY_ORDER:
        if env.get(var):
            return var, env[var]
    return None


def _holds_ca(path: str, ours: set[str]) -> bool:
    try:
        return bool(ours & ca_files.fingerprints(Path(path).read_bytes()))
    except OSError:
        return False


def check_env(host: Host, agent: AgentKind) -> Check:
    name = f"agent.{agent.value}.env"
    env = effective_env(host, agent)
    # Codex and Gemini CLI still obey agentd's hooks without the proxy: a gap, not an outage.
    severity = Status.FAIL if agent is AgentKind.CLAUDE_CODE else Status.WARN
    fix = (
        f"agentd integrate --agent {_cli_name(agent)}"
        if agent is not AgentKind.CODEX
        else 'add `eval "$(agentd env --agent codex --shell)"` to your shell profile'
    )
    try:
        expected: str | None = proxy_url(host.settings, host.daemon)
    except IntegrationError:
        expected = None
    proxy = _proxy(env)
    if proxy is None:
        return Check(name, severity, "no HTTPS_PROXY: its model traffic bypasses agentd", fix=fix)
    var, value = proxy
    if expected is not None and value.rstrip("/") != expected:
        return Check(name, severity, f"{var}={value}, but agentd listens on {expected}", fix=fix)
    ca_vars = CODEX_CA_VARS if agent is AgentKind.CODEX else (NODE_CA_VAR,)
    cert = readable_cert(host)
    ours = ca_files.fingerprints(cert.read_bytes()) if cert else set()
    for ca_var in ca_vars:
        if env.get(ca_var) and (not ours or _holds_ca(env[ca_var], ours)):
            return Check(name, Status.PASS, f"{var} -> agentd; {ca_var} holds agentd's CA")
    bundle = host.trust_bundle
    if ours and bundle is not None and ours & ca_files.fingerprints(bundle.read_bytes()):
        return Check(
            name,
            Status.PASS if agent is AgentKind.CODEX else Status.WARN,
            f"{var} -> agentd; agentd's CA comes only from the system store",
            fix=None if agent is AgentKind.CODEX else fix,
        )
    return Check(
        name,
        severity,
        f"{var} -> agentd, but nothing makes it trust agentd's CA ({'/'.join(ca_vars)})",
        fix=fix,
    )


def check_agents(host: Host) -> list[Check]:
    checks: list[Check] = []
    for agent in SUPPORTED:
        if not installed(host, agent):
            checks.append(Check(f"agent.{agent.value}", Status.PASS, "not installed: nothing to check"))
            continue
        checks += [check_hooks(host, agent), check_env(host, agent)]
    return checks


def check_managed(host: Host) -> list[Check]:
    """Managed (system) settings hold agentd's hooks, so users cannot switch them off."""
    present: list[str] = []
    absent: list[str] = []
    for agent in SUPPORTED:
        if not installed(host, agent):
            continue
        path = system_settings(agent, host.places)
        managed = hooks_found(host, agent, Scope.SYSTEM) or textblock.find(_text(path)) is not None
        (present if managed else absent).append(agent.value)
    if not present and not absent:
        return [Check("managed", Status.PASS, "no agents installed")]
    if absent:
        return [
            Check(
                "managed",
                Status.WARN,
                f"no managed settings for {', '.join(absent)}: users can remove agentd's settings",
                fix="sudo agentd integrate --system (or deploy them with your MDM)",
                details={"present": present, "absent": absent},
            )
        ]
    return [
        Check(
            "managed", Status.PASS, f"managed settings for {', '.join(present)}", details={"present": present}
        )
    ]


def _text(path: Path) -> str:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError):
        return ""


def _cli_name(agent: AgentKind) -> str:
    return "gemini" if agent is AgentKind.GEMINI_CLI else agent.value
