"""`agentd run`: the foreground daemon that launchd and systemd start."""

import asyncio

import typer

from agentd.cli.context import state


def run(ctx: typer.Context) -> None:
    """Run the daemon in the foreground until SIGTERM or SIGINT."""
    loaded = state(ctx).settings()
    from agentd import logs
    from agentd.daemon import Daemon

    logs.configure(loaded.settings.log.level)
    asyncio.run(Daemon(loaded).run())
