"""`agentd inventory [agents|servers|tools]`: the agents, MCP servers and tools seen on this host,
with risk and review state, read straight from the state store (works with the daemon stopped)."""

import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from agentd.cli.context import err_console, state
from agentd.errors import SpoolError


class Part(StrEnum):
    AGENTS = "agents"
    SERVERS = "servers"
    TOOLS = "tools"


def _review(row: dict[str, Any]) -> str:
    return "reviewed" if row.get("reviewed") else "[yellow]unreviewed[/yellow]"


def _risk(row: dict[str, Any]) -> str:
    risk = row.get("risk")
    if risk is None:
        return "-"
    color = "red" if risk >= 70 else "yellow" if risk >= 40 else "green"
    return f"[{color}]{risk}[/{color}]"


def _table(part: Part, rows: list[dict[str, Any]]) -> Table:
    table = Table(title=part.value, title_justify="left")
    if part is Part.AGENTS:
        for column in ("agent", "running", "first seen", "last seen", "sessions", "calls"):
            table.add_column(column)
        for r in rows:
            running = ", ".join(str(p) for p in r["running"]) or "-"
            table.add_row(
                r["kind"],
                running,
                r["first_seen"][:19],
                r["last_seen"][:19],
                str(r["sessions"]),
                str(r["calls"]),
            )
    elif part is Part.SERVERS:
        for column in (
            "server",
            "agent",
            "scope",
            "transport",
            "command / url",
            "risk",
            "review",
            "calls",
            "file",
        ):
            table.add_column(column, overflow="fold")
        for r in rows:
            name = f"[strike]{r['name']}[/strike] (removed)" if r.get("removed") else r["name"]
            table.add_row(
                name,
                r["agent"],
                r["scope"],
                r.get("transport") or "-",
                r.get("command") or r.get("url") or "-",
                _risk(r),
                _review(r),
                str(r["calls"]),
                r["file"],
            )
    else:
        for column in (
            "tool",
            "server",
            "agent",
            "risk",
            "capabilities",
            "review",
            "changed",
            "calls",
            "hash",
        ):
            table.add_column(column, overflow="fold")
        for r in rows:
            changed = f"[red]{r['changes']}x[/red]" if r["changes"] else "-"
            table.add_row(
                r["name"],
                r.get("server") or "-",
                r["agent"],
                _risk(r),
                ", ".join(r["capabilities"]) or "-",
                _review(r),
                changed,
                str(r["calls"]),
                r["definition_hash"][:12],
            )
    return table


def inventory(
    ctx: typer.Context,
    part: Annotated[Part | None, typer.Argument(help="agents, servers or tools (default: all three)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON Lines, one record per line")] = False,
) -> None:
    """Show the agents, MCP servers and tools agentd has seen, with risk and review state."""
    from agentd.events import Stamper
    from agentd.record.inventory import Inventory
    from agentd.record.statestore import StateStore

    settings = state(ctx).settings().settings
    path = settings.paths.state_dir / "state.sqlite3"
    console = Console(highlight=False, soft_wrap=True)
    if not path.exists():
        if not as_json:
            console.print(f"no inventory yet: {path} does not exist (has the daemon run?)")
        return
    try:
        store = StateStore(path)
    except SpoolError as exc:
        err_console.print(f"[red]cannot read the inventory:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from None
    try:
        inv = Inventory(store, Stamper(host_id="local"))
        for selected in [part] if part else list(Part):
            rows = inv.rows(selected.value)
            if as_json:
                for row in rows:
                    print(json.dumps({"part": selected.value, **row}, sort_keys=True))
            else:
                console.print(_table(selected, rows))
    finally:
        store.close()
