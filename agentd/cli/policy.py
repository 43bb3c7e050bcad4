"""`agentd policy show | test | validate`: read, try and check policy locally, no daemon needed.

A policy bundle is a directory of ``*.cedar`` files and an optional ``catalog.toml`` of tool
overrides; without ``--bundle`` the default pack shipped with agentd is used.
"""

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from agentd.cli.context import state
from agentd.decide.catalog import Catalog, ToolOverride, parse_overrides
from agentd.decide.engine import PolicyEngine, PolicySource, default_sources, validate
from agentd.decide.governor import CallRequest, Governor, GovernorSettings, Verdict
from agentd.decide.state import Label, SessionState
from agentd.errors import PolicyError
from agentd.events import (
    AgentKind,
    AgentRef,
    EnforcementPoint,
    Finding,
    FindingKind,
    Outcome,
    Severity,
    Stamper,
)

app = typer.Typer(help="Show, test and validate Cedar policy.", no_args_is_help=True)

EXIT_INVALID = 1
EXIT_USAGE = 2
CATALOG_FILE = "catalog.toml"

BundleOption = Annotated[
    Path | None,
    typer.Option("--bundle", help="a policy directory (*.cedar, catalog.toml); default: built-in pack"),
]


def read_bundle(directory: Path) -> tuple[tuple[PolicySource, ...], tuple[ToolOverride, ...]]:
    """The Cedar sources and catalog overrides in ``directory``; PolicyError when unreadable."""
    if not directory.is_dir():
        raise PolicyError(f"{directory}: not a directory")
    try:
        sources = tuple(
            PolicySource(path.name, path.read_text(encoding="utf-8"))
            for path in sorted(directory.glob("*.cedar"))
        )
        catalog = directory / CATALOG_FILE
        overrides = (
            parse_overrides(catalog.read_text(encoding="utf-8"), str(catalog)) if catalog.exists() else ()
        )
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{directory}: cannot read: {exc}") from None
    if not sources:
        raise PolicyError(f"{directory}: no *.cedar files")
    return sources, overrides


def _governor(bundle: Path | None, ctx: typer.Context) -> Governor:
    settings = state(ctx).settings().settings
    sources, overrides = read_bundle(bundle) if bundle else (default_sources(), ())
    engine = PolicyEngine(sources, version=f"bundle:{bundle.name}" if bundle else None)
    governor_settings = GovernorSettings(
        mode=settings.policy.mode, production_patterns=settings.policy.production_patterns
    )
    return Governor(engine, Stamper("policy-test"), catalog=Catalog(overrides), settings=governor_settings)


def _fail(message: str, code: int = EXIT_INVALID) -> typer.Exit:
    Console(stderr=True).print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@app.command("show")
def show(
    ctx: typer.Context,
    bundle: BundleOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per rule")] = False,
) -> None:
    """List the rules in force: id, outcome, mode and the reason the agent is told."""
    try:
        governor = _governor(bundle, ctx)
    except PolicyError as exc:
        raise _fail(str(exc)) from None
    mode = governor.settings.mode
    rows = [
        {
            "id": rule.id,
            "outcome": str(rule.outcome),
            "mode": str(rule.mode if mode.value == "enforce" else mode),
            "reason": rule.reason,
            "source": rule.source,
            "version": governor.engine.version,
        }
        for rule in governor.engine.rules
    ]
    if as_json:
        for row in rows:
            print(json.dumps(row))
        return
    table = Table(title=f"policy {governor.engine.version} (mode {mode})", show_lines=False)
    for column in ("id", "outcome", "mode", "reason"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["id"], row["outcome"], row["mode"], row["reason"])
    Console().print(table)


@app.command("validate")
def validate_command(
    directory: Annotated[Path, typer.Argument(help="the policy directory to check")],
    as_json: Annotated[bool, typer.Option("--json", help="print the problems as JSON")] = False,
) -> None:
    """Check a policy directory against the Cedar schema shipped with agentd. Exit 1 if invalid."""
    try:
        sources, _ = read_bundle(directory)
        problems = validate(sources)
    except PolicyError as exc:
        problems = [str(exc)]
    if as_json:
        print(json.dumps({"valid": not problems, "problems": problems}))
    elif problems:
        console = Console(stderr=True)
        for problem in problems:
            console.print(f"[red]invalid:[/red] {problem}", highlight=False, soft_wrap=True)
    else:
        Console().print(f"[green]valid[/green]: {directory}", highlight=False)
    if problems:
        raise typer.Exit(EXIT_INVALID)


@app.command("test")
def try_call(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="a recorded call (JSON), see docs/policy.md", dir_okay=False)],
    bundle: BundleOption = None,
    expect: Annotated[
        str | None, typer.Option(help="exit 1 unless the outcome is this (allow, deny, requires_approval)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the explanation as JSON")] = False,
) -> None:
    """Explain the decision for one recorded call: facts, rules fired, outcome, risk."""
    try:
        recorded = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _fail(f"{file}: cannot read a JSON call: {exc}", EXIT_USAGE) from None
    if not isinstance(recorded, Mapping):
        raise _fail(f"{file}: expected a JSON object", EXIT_USAGE)
    try:
        governor = _governor(bundle, ctx)
        verdict, session, context = explain(governor, recorded)
    except PolicyError as exc:
        raise _fail(str(exc)) from None
    except (KeyError, TypeError, ValueError) as exc:
        raise _fail(f"{file}: not a call agentd can replay: {exc}", EXIT_USAGE) from None
    report = _report(verdict, session, context)
    if as_json:
        print(json.dumps(report, sort_keys=True))
    else:
        _print_report(report)
    if expect is not None and report["decision"]["outcome"] != expect:
        raise typer.Exit(EXIT_INVALID)


_NOW = datetime(2026, 1, 1, tzinfo=UTC)  # a fixed time: replaying a recording must not depend on today


def explain(governor: Governor, recorded: Mapping[str, Any]) -> tuple[Verdict, SessionState, dict[str, Any]]:
    """Replay ``recorded`` (a call document or a ``tool_call`` event line) and decide it."""
    if recorded.get("kind") == "tool_call":  # a line from `agentd events --json`
        recorded = {
            "tool": recorded["tool"],
            "server": recorded.get("server"),
            "arguments": recorded.get("input") or "{}",
            "agent": recorded.get("agent", {}),
            "session_id": recorded.get("session_id"),
            "point": (recorded.get("decision") or {}).get("point", "network"),
        }
    agent = _agent(recorded.get("agent"))
    session_data = recorded.get("session") or {}
    session = SessionState(session_id=str(recorded.get("session_id") or "policy-test"), agent=str(agent.kind))
    for label in session_data.get("labels", []):
        session.add_label(Label(label), "given in the test file")
    session.participants.update(str(p).lower() for p in session_data.get("participants", []))
    session.trusted_hosts.update(str(h).lower() for h in session_data.get("trusted_hosts", []))
    session.trusted_recipients.update(str(r).lower() for r in session_data.get("trusted_recipients", []))
    governor.inventory.servers_used.update(str(s) for s in recorded.get("known_servers", []))
    for index, step in enumerate(recorded.get("history", [])):
        call_id = f"history-{index}"
        governor.evaluate(session, _request(step, session, agent, call_id), _NOW)
        governor.observe_result(session, call_id, str(step.get("result", "")))
    if "prompt" in recorded:
        governor.observe_prompt(session, str(recorded["prompt"]))
    request = _request(recorded, session, agent, recorded.get("call_id"))
    before = SessionState.from_json(session.to_json())  # the state the call was decided in
    verdict = governor.evaluate(session, request, _NOW)
    return verdict, before, dict(verdict.context)


def _request(step: Mapping[str, Any], session: SessionState, agent: AgentRef, call_id: Any) -> CallRequest:
    arguments = step.get("arguments", {})
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    findings = tuple(_finding(f) for f in step.get("findings", []))
    return CallRequest(
        session_id=session.session_id,
        tool=str(step["tool"]),
        arguments=text,
        call_id=str(call_id) if call_id else None,
        server=step.get("server"),
        agent=agent,
        point=EnforcementPoint(step.get("point", "network")),
        cwd=step.get("cwd"),
        home=step.get("home"),
        findings=findings,
    )


def _agent(value: Any) -> AgentRef:
    if isinstance(value, str):
        return AgentRef(kind=AgentKind(value))
    if isinstance(value, Mapping):
        return AgentRef.model_validate(value)
    return AgentRef()


def _finding(value: Any) -> Finding:
    data = {"kind": "secret", "rule_id": "test", **(value if isinstance(value, Mapping) else {})}
    return Finding(
        kind=FindingKind(data["kind"]),
        rule_id=str(data["rule_id"]),
        severity=Severity(data.get("severity", "high")),
        location=str(data.get("location", "arguments")),
        start=0,
        end=0,
        length=0,
        preview=str(data.get("preview", "")),
        fingerprint=str(data.get("fingerprint", "")),
    )


def _report(verdict: Verdict, session: SessionState, context: Mapping[str, Any]) -> dict[str, Any]:
    tool = verdict.tool
    return {
        "decision": verdict.decision.model_dump(mode="json"),
        "blocked": verdict.blocked,
        "message": verdict.message if verdict.blocked else None,
        "risk": verdict.risk.model_dump(mode="json"),
        "fired": [
            {
                "id": r.id,
                "outcome": str(r.outcome),
                "mode": str(r.mode),
                "reason": r.reason,
                "source": r.source,
            }
            for r in verdict.fired
        ],
        "tool": {
            "name": tool.name,
            "server": tool.server,
            "integration": tool.integration,
            "capabilities": sorted(tool.capabilities),
            "origin": str(tool.origin),
            "why": tool.why,
            "risk": tool.risk,
        },
        "session_labels": sorted(session.labels),
        "context": dict(context),
        "approval_id": verdict.approval.id if verdict.approval else None,
    }


def _print_report(report: Mapping[str, Any]) -> None:
    console = Console()
    decision = report["decision"]
    outcome = decision["outcome"]
    colour = {Outcome.ALLOW: "green", Outcome.DENY: "red"}.get(Outcome(outcome), "yellow")
    enforced = "enforced" if decision["enforced"] else "monitor only, not enforced"
    console.print(f"[bold {colour}]{outcome}[/bold {colour}] ({enforced})", highlight=False)
    for rule in report["fired"]:
        console.print(
            f"  fired  {rule['id']} [{rule['outcome']}, {rule['mode']}]: {rule['reason']}", highlight=False
        )
    if not report["fired"]:
        console.print("  no rule fired", highlight=False)
    if report["message"]:
        console.print(f"  agent is told: {report['message']}", highlight=False, soft_wrap=True)
    tool = report["tool"]
    console.print(
        f"tool   {tool['name']} ({tool['integration']}, {tool['origin']}: {tool['why']}); "
        f"capabilities: {', '.join(tool['capabilities']) or 'none'}",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f"risk   {report['risk']['score']}: {'; '.join(report['risk']['factors'])}", highlight=False
    )
    console.print(f"session labels: {', '.join(report['session_labels']) or 'none'}", highlight=False)
    facts = {k: v for k, v in report["context"].items() if v not in (False, [], 0, "", None) and k != "point"}
    console.print(
        "facts  " + ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(facts.items())), highlight=False
    )
