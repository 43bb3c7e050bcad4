"""`agentd doctor`: one pass / warn / fail line per check, each problem with its exact fix.

Exit 0 when nothing failed (warnings allowed), 1 when a check failed.
"""

import json
from collections.abc import Sequence
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from agentd.cli.context import state
from agentd.deploy.doctor import Check, Status

_STYLE = {Status.PASS: "green", Status.WARN: "yellow", Status.FAIL: "bold red"}


def render(console: Console, results: Sequence[Check]) -> None:
    counts = {status: sum(1 for r in results if r.status is status) for status in Status}
    console.print(
        f"[bold]agentd doctor[/bold]: {counts[Status.PASS]} pass, "
        f"[yellow]{counts[Status.WARN]} warn[/yellow], [red]{counts[Status.FAIL]} fail[/red]"
    )
    console.print()
    width = max((len(r.name) for r in results), default=0)
    for result in results:
        style = _STYLE[result.status]
        label = result.status.value.upper()
        console.print(f" [{style}]{label}[/{style}]  {result.name:<{width}}  {escape(result.summary)}")
        if result.fix and result.status is not Status.PASS:
            console.print(f" {'':4}  {'':<{width}}  [dim]fix:[/dim] {escape(result.fix)}")


def json_lines(results: Sequence[Check]) -> list[str]:
    return [json.dumps(result.as_json(), sort_keys=True) for result in results]


def doctor(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object per check")] = False,
) -> None:
    """Check this host's agentd setup; every problem comes with the exact fix."""
    from agentd.deploy.checklist import CHECKS, gather
    from agentd.deploy.doctor import run

    results = run(gather(state(ctx).config_path), CHECKS)
    if as_json:
        print("\n".join(json_lines(results)))
    else:
        render(Console(highlight=False, soft_wrap=True), results)
    if any(r.status is Status.FAIL for r in results):
        raise typer.Exit(1)
