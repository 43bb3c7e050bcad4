"""`agentd integrate`: wire agents to agentd (proxy, CA, hooks) in their own settings files, or undo it."""

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from agentd.cli.context import state
from agentd.deploy import ca_files
from agentd.deploy.agents import AGENT_NAMES, SUPPORTED, IntegrationError, Places, Scope, plan
from agentd.deploy.endpoint import proxy_url, url_for
from agentd.deploy.integrate import Action, Change, install, uninstall
from agentd.deploy.launcher import this_agentd
from agentd.events import AgentKind


class AgentChoice(StrEnum):
    CLAUDE_CODE = "claude-code"
    CODEX = "codex"
    GEMINI = "gemini"
    ALL = "all"


def _agents(choice: AgentChoice) -> tuple[AgentKind, ...]:
    return SUPPORTED if choice is AgentChoice.ALL else (AGENT_NAMES[choice.value],)


def _shown(path: Path, home: Path) -> str:
    try:
        return "~/" + str(path.relative_to(home))
    except ValueError:
        return str(path)


def integrate(
    ctx: typer.Context,
    agent: Annotated[AgentChoice, typer.Option("--agent", help="which agent to wire up")] = AgentChoice.ALL,
    do_uninstall: Annotated[
        bool, typer.Option("--uninstall", help="take agentd's entries out again, restoring the files")
    ] = False,
    system: Annotated[
        bool, typer.Option("--system", help="managed, system-wide settings (root) instead of your own")
    ] = False,
    root: Annotated[
        Path,
        typer.Option("--root", help="prefix for system files (packaging into an image)", file_okay=False),
    ] = Path("/"),
    agentd_path: Annotated[
        str | None, typer.Option("--agentd-path", help="the agentd executable hooks run (default: this one)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object per file")] = False,
) -> None:
    """Merge agentd's proxy, CA and hooks into agents' settings without clobbering yours."""
    settings = state(ctx).settings().settings
    console = Console(highlight=False, soft_wrap=True)
    scope = Scope.SYSTEM if system else Scope.USER
    home = Path.home()
    places = Places(home=home, root=root, platform=sys.platform, environ=dict(os.environ))
    ca_cert = ca_files.cert_for_agents(settings.paths, sys.platform, system=scope is Scope.SYSTEM)
    launcher = [agentd_path] if agentd_path else this_agentd()
    try:
        url = proxy_url(settings)
    except IntegrationError as exc:
        if not do_uninstall:
            _fail(console, as_json, str(exc))
        # Uninstalling still works from the records beside each file.
        url = url_for(settings.proxy.listen_host, settings.proxy.listen_port)
    integrations = [
        plan(kind, scope, places, agentd=launcher, proxy_url=url, ca_cert=ca_cert) for kind in _agents(agent)
    ]
    changes: list[Change] = []
    if do_uninstall:
        # Undone in one pass, so directories shared between agents (/etc) can go at the end.
        changes = uninstall(*reversed(integrations))
        _report(console, as_json, changes, home)
    for integration in [] if do_uninstall else integrations:
        done = install(integration)
        changes += done
        _report(console, as_json, done, home)
        if not as_json and any(c.action is not Action.FAILED for c in done):
            for note in integration.notes:
                console.print(f"  [dim]note:[/dim] {escape(note)}")
    if any(change.action is Action.FAILED for change in changes):
        raise typer.Exit(1)


def _report(console: Console, as_json: bool, changes: list[Change], home: Path) -> None:
    colour = {Action.UNCHANGED: "dim", Action.CLEANED: "yellow", Action.FAILED: "red"}
    for change in changes:
        if as_json:
            print(json.dumps(change.as_json()))
            continue
        style = colour.get(change.action, "green")
        console.print(
            f"{change.agent.value:<12} [{style}]{change.action.value:<9}[/{style}] "
            f"{escape(_shown(change.path, home))}  [dim]({escape(change.detail)})[/dim]"
        )
        for warning in change.warnings:
            console.print(f"  [yellow]warning:[/yellow] {escape(warning)}")


def _fail(console: Console, as_json: bool, message: str) -> None:
    if as_json:
        print(json.dumps({"action": "failed", "error": message}))
    else:
        console.print(f"[red]cannot integrate:[/red] {escape(message)}")
    raise typer.Exit(1)
