"""`agentd events`: what the daemon recorded, read straight from the spool file.

Works with the daemon stopped; `--follow` keeps printing new events as they are committed.
"""

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from agentd.cli.context import err_console, state
from agentd.errors import SpoolError

if TYPE_CHECKING:
    from agentd.events import Event
    from agentd.record.reader import SpoolReader

_FOLLOW_POLL_SECONDS = 0.5


def events(
    ctx: typer.Context,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="keep printing new events")] = False,
    kinds: Annotated[
        list[str] | None, typer.Option("--type", "-t", help="only this kind (repeatable), e.g. tool_call")
    ] = None,
    session: Annotated[str | None, typer.Option("--session", "-s", help="only this session id")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, help="the last N events (0: all)")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON Lines, one event per line")] = False,
) -> None:
    """Show recorded events, newest last."""
    from agentd.record.reader import SpoolReader

    settings = state(ctx).settings().settings
    path = settings.paths.spool
    console = Console(highlight=False, soft_wrap=True)
    try:
        reader = SpoolReader(path)
    except SpoolError as exc:
        if not path.exists():
            if not as_json:
                console.print(f"no events yet: {exc}")
            if not follow:
                return
            reader = _wait_for_spool(path)
        else:
            err_console.print(f"[red]cannot read events:[/red] {escape(str(exc))}")
            raise typer.Exit(2) from None
    selected = tuple(kinds or ())
    try:
        with reader:
            batch = reader.query(kinds=selected, session_id=session, limit=limit or None, newest=True)
            last = _print(batch, as_json, console, 0)
            while follow:
                time.sleep(_FOLLOW_POLL_SECONDS)
                last = _print(
                    reader.query(kinds=selected, session_id=session, after_seq=last), as_json, console, last
                )
    except SpoolError as exc:
        err_console.print(f"[red]cannot read events:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        return


def _wait_for_spool(path: Path) -> "SpoolReader":
    from agentd.record.reader import SpoolReader

    while True:
        time.sleep(_FOLLOW_POLL_SECONDS)
        try:
            return SpoolReader(path)
        except SpoolError:
            continue


def _print(batch: "list[Event]", as_json: bool, console: Console, last: int) -> int:
    for event in batch:
        if as_json:
            print(
                json.dumps(event.model_dump(mode="json"), separators=(",", ":"), ensure_ascii=False),
                flush=True,
            )
        else:
            console.print(_line(event))
        last = max(last, event.seq)
    return last


_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def _line(event: "Event") -> str:
    severity = event.severity.value
    style = _STYLE.get(severity, "")
    when = event.time.strftime("%Y-%m-%d %H:%M:%S")
    agent = (
        event.agent.kind.value if event.agent.pid is None else f"{event.agent.kind.value}:{event.agent.pid}"
    )
    session = f" session={escape(event.session_id)}" if event.session_id else ""
    return (
        f"{when} #{event.seq} [{style}]{severity:<8}[/{style}] {event.kind:<22} {escape(agent)}{session}"
        f"  {escape(summary(event))}"
    )


def summary(event: Any) -> str:
    """One human line for an event: what matters about its kind."""
    kind = event.kind
    if kind == "tool_call":
        decision = f" -> {event.decision.outcome.value}" if event.decision else ""
        return f"{event.tool}{decision}"
    if kind == "alert":
        return f"{event.title}: {event.reason}"
    if kind == "finding":
        return f"{event.finding.kind.value} {event.finding.rule_id} at {event.finding.location}"
    if kind == "telemetry_dropped":
        counts = ", ".join(f"{k}={v}" for k, v in sorted(event.counts.items()))
        return f"dropped {counts}"
    if kind == "internal_error":
        return f"{event.component}: {event.error}: {event.message}"
    if kind == "policy_updated":
        state = "applied" if event.accepted else f"refused ({event.reason})"
        return f"policy {event.version} {state}"
    if kind == "credential_file_access":
        return f"{event.operation.value} {event.path}"
    if kind in ("approval_requested", "approval_granted", "approval_denied"):
        return f"approval {event.approval_id}"
    fields = {k: v for k, v in event.model_dump(mode="json").items() if k in _SHORT_FIELDS}
    return " ".join(f"{k}={v}" for k, v in fields.items())


_SHORT_FIELDS = ("tool", "model", "dialect", "file", "change", "state", "version", "chars")
