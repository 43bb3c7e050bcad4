"""`agentd status`: the daemon's health from its control socket, with LSB exit codes.

0 running, 3 not running, 4 unknown (the socket answered with an error).
"""

import json
from typing import Annotated, Any

import typer
from rich.console import Console

from agentd.cli.context import state
from agentd.errors import DaemonNotRunning
from agentd.observe.client import ControlError, call

EXIT_RUNNING = 0
EXIT_NOT_RUNNING = 3
EXIT_UNKNOWN = 4


def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Show whether agentd runs, and how each part of it is doing."""
    settings = state(ctx).settings().settings
    console = Console()
    try:
        snapshot: dict[str, Any] = call(settings.paths.control_socket, "status")
    except DaemonNotRunning as exc:
        if as_json:
            print(json.dumps({"state": "stopped", "reason": str(exc)}))
        else:
            console.print(f"[bold red]{exc}[/bold red]", highlight=False, soft_wrap=True)
            console.print("Start it with [bold]agentd run[/bold] (or your service manager).")
        raise typer.Exit(EXIT_NOT_RUNNING) from None
    except ControlError as exc:
        if as_json:
            print(json.dumps({"state": "unknown", "reason": str(exc)}))
        else:
            console.print(f"[yellow]agentd state unknown[/yellow]: {exc}", highlight=False)
        raise typer.Exit(EXIT_UNKNOWN) from None
    if as_json:
        print(json.dumps(snapshot, sort_keys=True))
        return
    console.print(
        f"[bold green]agentd is running[/bold green] (pid {snapshot.get('pid')}, "
        f"version {snapshot.get('version')}, up {snapshot.get('uptime_seconds')}s)",
        highlight=False,
    )
    proxy = snapshot.get("proxy", {})
    console.print(f"  proxy      {proxy.get('listen') or 'off'}", highlight=False)
    console.print(f"  policy     {snapshot.get('policy', {}).get('version') or 'built-in'}", highlight=False)
    console.print(f"  spool      {snapshot.get('spool', {}).get('depth', 0)} unshipped", highlight=False)
    console.print(f"  collector  {snapshot.get('collector', {}).get('state')}", highlight=False)
