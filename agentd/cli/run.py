"""`agentd run`: the foreground daemon that launchd and systemd start."""

import asyncio

import typer

from agentd.cli.context import err_console, state
from agentd.errors import AgentdError


def run(ctx: typer.Context) -> None:
    """Run the daemon in the foreground until SIGTERM or SIGINT."""
    loaded = state(ctx).settings()
    from agentd import logs
    from agentd.daemon import build

    logs.configure(loaded.settings.log.level)
    try:
        asyncio.run(build(loaded).run())
    except* AgentdError as group:
        # Startup failures (port taken, unusable state dir...) get one clear line, not a trace.
        for exc in group.exceptions:
            err_console.print(f"[red]agentd:[/red] {exc}", markup=True, highlight=False)
        code = group.exceptions[0].exit_code if isinstance(group.exceptions[0], AgentdError) else 1
        raise typer.Exit(code) from None
