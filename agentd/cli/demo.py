"""`agentd demo`: runs the scripted session (``agentd.demo``) and shows what agentd saw — the
session, a redacted secret, a denied credential read and why, the alert, and what would ship."""

import json
from collections import Counter
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from agentd.cli.context import err_console

_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def demo(
    as_json: Annotated[
        bool, typer.Option("--json", help="print one JSON object summarising the run")
    ] = False,
) -> None:
    """Watch agentd at work in under a minute: no LLM access, no setup, nothing leaves this machine."""
    from agentd.demo.scenario import DemoError, run_demo

    console = Console(highlight=False, soft_wrap=True)
    if not as_json:
        console.print(
            "[bold]agentd demo[/bold]: a scripted Claude Code session through a throwaway agentd "
            "and a local model. Nothing leaves this machine.\n"
        )
    progress = (lambda _: None) if as_json else (lambda line: console.print(f"  [dim]· {escape(line)}[/dim]"))
    try:
        result = run_demo(progress)
    except DemoError as exc:
        err_console.print(f"[red]the demo failed:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from None
    summary = summarise(result.events)
    if as_json:
        print(json.dumps(summary, sort_keys=True))
    else:
        _render(console, summary, [line for turn in result.turns for line in turn.text])
    if not (summary["findings"] and summary["denied"] and summary["alerts"]):
        err_console.print("agentd did not record everything the demo expects; see `agentd doctor`.")
        raise typer.Exit(1)


def summarise(events: list[Any]) -> dict[str, Any]:
    """The parts of a recorded session a newcomer should see, JSON-ready."""
    started = next((e for e in events if e.kind == "session_started"), None)
    calls = [e for e in events if e.kind == "tool_call"]
    alert = next((e for e in events if e.kind == "alert"), None)
    return {
        "session": None
        if started is None
        else {
            "id": started.session_id,
            "agent": started.agent.kind.value,
            "pid": started.agent.pid,
            "model": started.model,
            "provider": started.provider_host,
            "requests": sum(1 for e in events if e.kind == "model_response"),
            "tools_defined": sum(len(e.tools) for e in events if e.kind == "tool_definitions_seen"),
        },
        "prompts": [e.text for e in events if e.kind == "user_prompt"],
        "findings": [
            {
                "rule": e.finding.rule_id,
                "severity": e.finding.severity.value,
                "preview": e.finding.preview,
                "fingerprint": e.finding.fingerprint,
                "location": e.finding.location,
            }
            for e in events
            if e.kind == "finding"
        ],
        "denied": [_call(e) for e in calls if e.decision and e.decision.outcome.value == "deny"],
        "allowed": [_call(e) for e in calls if e.decision and e.decision.outcome.value == "allow"],
        "alerts": [
            {
                "id": e.alert_id,
                "severity": e.severity.value,
                "title": e.title,
                "reason": e.reason,
                "rule": e.rule_id,
            }
            for e in events
            if e.kind == "alert"
        ],
        "events": dict(Counter(e.kind for e in events)),
        "example": None if alert is None else alert.model_dump(mode="json"),
    }


def _call(event: Any) -> dict[str, Any]:
    return {
        "tool": event.tool,
        "input": event.input,
        "policies": list(event.decision.policy_ids),
        "reasons": list(event.decision.reasons),
        "point": event.decision.point.value if event.decision.point else None,
    }


def _render(console: Console, summary: dict[str, Any], agent_saw: list[str]) -> None:
    out = console.print
    out("\n[bold]What agentd saw[/bold]")
    session = summary["session"]
    if session:
        out(
            f"  session [bold]{escape(session['id'])}[/bold]: {session['agent']} (pid {session['pid']}), "
            f"model {escape(str(session['model']))} at {escape(str(session['provider']))}, "
            f"{session['requests']} model requests, {session['tools_defined']} tools defined"
        )
    for finding in summary["findings"]:
        style = _SEVERITY_STYLE.get(finding["severity"], "")
        out(
            f"\n  [bold]1. A secret in the prompt[/bold]  [{style}]{finding['severity'].upper()}[/{style}] "
            f"{escape(finding['rule'])}  {escape(finding['preview'])}  "
            f"fingerprint {finding['fingerprint'][:12]}…"
        )
        redacted = next((p for p in summary["prompts"] if "[REDACTED" in (p or "")), None)
        if redacted:
            out(f"     recorded only as: [italic]{escape(redacted)}[/italic]")
        break
    for denied in summary["denied"]:
        out(
            f"\n  [bold]2. A denied credential read[/bold]  [red]DENY[/red] {escape(denied['tool'])} "
            f"{escape(denied['input'] or '')}"
        )
        for policy, reason in zip(denied["policies"], denied["reasons"], strict=False):
            out(f"     policy [bold]{escape(policy)}[/bold]: {escape(reason)}")
        told = next((line for line in agent_saw if line.startswith("[agentd]")), None)
        if told:
            out(f"     the agent was told: [italic]{escape(told)}[/italic]")
    for alert in summary["alerts"]:
        style = _SEVERITY_STYLE.get(alert["severity"], "")
        out(
            f"\n  [bold]3. An alert[/bold]  [{style}]{alert['severity'].upper()}[/{style}] "
            f"{escape(alert['title'])}"
            f"  id {escape(alert['id'])}  (rule {escape(alert['rule'])})"
        )
    for allowed in summary["allowed"]:
        out(f"\n  [bold]4. Allowed[/bold]  {escape(allowed['tool'])} {escape(allowed['input'] or '')}")
    total = sum(summary["events"].values())
    counts = " · ".join(f"{kind} {count}" for kind, count in summary["events"].items())
    out(
        f"\n[bold]What it would ship[/bold] to your collector: {total} events, "
        "in signed, hash-chained batches"
    )
    out(f"  {escape(counts)}")
    if summary["example"] is not None:
        out("  the alert, as `agentd events --json` prints it:")
        out(f"  [dim]{escape(json.dumps(summary['example'], separators=(',', ':')))}[/dim]")
    out(
        "\nNext: [bold]agentd integrate[/bold] points your agents at agentd; "
        "[bold]agentd status[/bold] and [bold]agentd events[/bold] show what it sees."
    )
