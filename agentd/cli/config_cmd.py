"""`agentd config show`: effective settings and the file each came from; secrets masked."""

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agentd.cli.context import state
from agentd.config import effective

app = typer.Typer(help="Inspect agentd's settings.", no_args_is_help=True)


@app.command("show")
def show(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON Lines, one per key")] = False,
) -> None:
    """Show every effective setting, where it came from, and whether MDM locked it."""
    loaded = state(ctx).settings()
    rows = effective(loaded)
    if as_json:
        for key, value, origin, locked in rows:
            print(json.dumps({"key": key, "value": value, "origin": origin, "locked": locked}))
        return
    table = Table("key", "value", "origin", "locked")
    for key, value, origin, locked in rows:
        table.add_row(key, json.dumps(value), origin, "yes" if locked else "")
    Console().print(table)
