"""`agentd env`: the environment an agent needs to go through agentd's proxy and trust its CA.

The proxy address is the running daemon's (so `listen_port = 0` prints the real port), else
the configured one. Node agents (Claude Code, Gemini CLI) take NODE_EXTRA_CA_CERTS; Codex
(rustls) replaces its trust store, so it gets a bundle of the system roots plus agentd's CA.
"""

import json
import shlex
from enum import StrEnum
from typing import Annotated

import typer

from agentd.cli.ca import ensure_ca
from agentd.cli.context import err_console, state
from agentd.config import ProxyMode, Settings
from agentd.deploy.endpoint import daemon_status, listen_address, url_for
from agentd.errors import DaemonNotRunning


class AgentChoice(StrEnum):
    CLAUDE_CODE = "claude-code"
    CODEX = "codex"
    GEMINI = "gemini"
    ALL = "all"


_NODE_AGENTS = (AgentChoice.CLAUDE_CODE, AgentChoice.GEMINI, AgentChoice.ALL)
_RUSTLS_AGENTS = (AgentChoice.CODEX, AgentChoice.ALL)


def _proxy_url(settings: Settings) -> str:
    """The daemon's proxy address when it runs (so port 0 is the real port), else the
    configured one; exits 3 when neither is known."""
    address = listen_address(settings, daemon_status(settings, timeout=3.0))
    if address is None:
        err_console.print(
            "agentd is not running, and with proxy.listen_port = 0 the port is chosen when it "
            "starts. Start it (agentd run) and ask again.",
            highlight=False,
        )
        raise typer.Exit(DaemonNotRunning.exit_code)
    return url_for(*address)


def env(
    ctx: typer.Context,
    agent: Annotated[AgentChoice, typer.Option("--agent", help="which agent to print for")] = AgentChoice.ALL,
    shell: Annotated[bool, typer.Option("--shell", help="print `export VAR=value` lines to eval")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Print the environment that sends an agent through agentd (proxy URL and CA trust)."""
    settings = state(ctx).settings().settings
    if not settings.proxy.enabled:
        err_console.print(
            "the proxy is disabled ([proxy] enabled = false): nothing to print", highlight=False
        )
        raise typer.Exit(1)
    variables: dict[str, str] = {}
    if settings.proxy.mode is not ProxyMode.LOCAL:
        # In local capture mode traffic is redirected without any proxy setting.
        url = _proxy_url(settings)
        variables.update(HTTPS_PROXY=url, HTTP_PROXY=url)
    ca = ensure_ca(ctx)
    if agent in _NODE_AGENTS:
        variables["NODE_EXTRA_CA_CERTS"] = str(ca.cert_path)
    if agent in _RUSTLS_AGENTS:
        variables["CODEX_CA_CERTIFICATE"] = str(ca.client_bundle_path)
        variables["SSL_CERT_FILE"] = str(ca.client_bundle_path)
    if as_json:
        print(json.dumps(variables))
        return
    for name, value in variables.items():
        print(f"export {name}={shlex.quote(value)}" if shell else f"{name}={value}")
