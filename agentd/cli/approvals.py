"""`agentd approvals`, `agentd approve ID [--for 10m]`, `agentd deny ID`: answer the calls policy
held for a person, through the daemon's control socket."""

import getpass
import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from agentd.cli.context import state
from agentd.errors import DaemonNotRunning
from agentd.observe.client import ControlError, call

EXIT_NOT_RUNNING = 3


def _call(ctx: typer.Context, op: str, **args: Any) -> Any:
    settings = state(ctx).settings().settings
    try:
        return call(settings.paths.control_socket, op, **args)
    except DaemonNotRunning as exc:
        Console(stderr=True).print(f"[red]{exc}[/red]; start it with `agentd run`", highlight=False)
        raise typer.Exit(EXIT_NOT_RUNNING) from None
    except ControlError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None


def approvals(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per approval")] = False,
) -> None:
    """List the calls waiting for approval, and the approvals and refusals in force."""
    items: list[dict[str, Any]] = _call(ctx, "approvals")
    if as_json:
        for item in items:
            print(json.dumps(item, sort_keys=True))
        return
    console = Console()
    if not items:
        console.print("No calls are waiting for approval.")
        return
    table = Table(show_lines=False)
    table.add_column("id", no_wrap=True)  # copied into `agentd approve`: never folded
    for column in ("state", "tool", "agent", "reason", "requested", "until"):
        table.add_column(column, overflow="fold")
    for item in items:
        table.add_row(
            item["id"],
            item["state"],
            item["tool"],
            item.get("agent", ""),
            item.get("reason", ""),
            item.get("requested", ""),
            item.get("until") or "",
        )
    console.print(table)
    if any(item["state"] == "pending" for item in items):
        console.print("Approve one with [bold]agentd approve ID[/bold] (optionally --for 10m), or refuse it "
                      "with [bold]agentd deny ID[/bold].")  # fmt: skip


def _answer(ctx: typer.Context, op: str, approval_id: str, **args: Any) -> None:
    result: dict[str, Any] = _call(ctx, op, id=approval_id, by=getpass.getuser(), **args)
    if "error" in result:
        Console(stderr=True).print(f"[red]error:[/red] {result['error']}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    until = f" until {result['until']}" if result.get("until") else ""
    verb = "approved" if result["state"] == "granted" else "refused"
    Console().print(
        f"{result['id']} {verb}: {result['tool']} in session {result['session_id']}{until}", highlight=False
    )
    if verb == "approved":
        Console().print("Ask the agent to retry the same call.")


def approve(
    ctx: typer.Context,
    approval_id: Annotated[str, typer.Argument(metavar="ID", help="the id from the agent's message")],
    for_: Annotated[
        str | None, typer.Option("--for", help="limit the approval, e.g. 10m, 2h (default: the session)")
    ] = None,
) -> None:
    """Allow the held call (the identical call, in its session) and let the agent retry it."""
    _answer(ctx, "approve", approval_id, **({"for": for_} if for_ else {}))


def deny(
    ctx: typer.Context,
    approval_id: Annotated[str, typer.Argument(metavar="ID", help="the id from the agent's message")],
) -> None:
    """Refuse the held call; the agent is told a person said no."""
    _answer(ctx, "deny", approval_id)
