"""`agentd status [--json] [--watch]`: the daemon's health from its control socket, with LSB
exit codes — 0 running, 3 not running, 4 unknown (the socket answered, but not with a status).

Runs before the typer app loads (``fast_main``, reached from the console script) and imports
neither the settings models nor the daemon: everything it shows comes from the daemon's status
snapshot, rendered by the pure ``render``.
"""

import json
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from agentd.errors import DaemonNotRunning
from agentd.observe.client import ControlError, call
from agentd.observe.locate import control_socket

EXIT_RUNNING = 0
EXIT_NOT_RUNNING = 3
EXIT_UNKNOWN = 4
WATCH_SECONDS = 2.0
TIMEOUT = 3.0

_MIB = 1024 * 1024
_STATUS_STYLE = {"pass": "green", "warn": "yellow", "fail": "red"}
_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def fetch(socket: Path, timeout: float = TIMEOUT) -> tuple[int, dict[str, Any]]:
    """The exit code and the snapshot (or a stand-in with ``state`` and ``reason``)."""
    try:
        snapshot = call(socket, "status", timeout=timeout)
    except DaemonNotRunning as exc:
        return EXIT_NOT_RUNNING, {"state": "stopped", "reason": str(exc)}
    except (ControlError, ValueError) as exc:  # ValueError: a reply that is not JSON
        return EXIT_UNKNOWN, {"state": "unknown", "reason": str(exc)}
    if not isinstance(snapshot, dict) or snapshot.get("state") != "running":
        return EXIT_UNKNOWN, {
            "state": "unknown",
            "reason": "the daemon's status reply is not a status snapshot",
        }
    return EXIT_RUNNING, snapshot


def show(socket: Path, *, as_json: bool = False, watch: bool = False, interval: float = WATCH_SECONDS) -> int:
    """Print the status once (or every ``interval`` seconds with ``watch``); the exit code."""
    console = None
    if not as_json:
        from rich.console import Console  # only the human form pays for rich

        console = Console(highlight=False, soft_wrap=True)
    code = EXIT_UNKNOWN
    try:
        while True:
            code, snapshot = fetch(socket)
            if console is None:
                print(json.dumps(snapshot, sort_keys=True), flush=True)
            else:
                if watch:
                    console.clear()
                for line in render(snapshot):
                    console.print(line)
            if not watch:
                return code
            time.sleep(interval)  # a display refresh, not a synchronisation
    except KeyboardInterrupt:
        # Ctrl-C ends --watch whenever it comes (mid-fetch or mid-print too): the last state.
        return code


def command() -> Any:
    """The `agentd status` command for the typer app (the fast path usually answers first)."""
    import typer

    from agentd.cli.context import state

    def status(
        ctx: typer.Context,
        as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
        watch: Annotated[bool, typer.Option("--watch", help=f"refresh every {WATCH_SECONDS:g}s")] = False,
    ) -> None:
        """Show whether agentd runs and how each part of it is doing (exit 0 running, 3 not
        running, 4 unknown)."""
        raise typer.Exit(show(control_socket(state(ctx).config_path), as_json=as_json, watch=watch))

    return status


def fast_main(argv: Sequence[str]) -> int | None:
    """``agentd [--config PATH] status [--json] [--watch]`` without the typer app; None for
    anything else (``--help`` included), which the full command line then handles."""
    args = list(argv)
    config: str | None = None
    while args and args[0].startswith("--config"):
        if args[0] == "--config" and len(args) > 1:
            config, args = args[1], args[2:]
        elif args[0].startswith("--config="):
            config, args = args[0].split("=", 1)[1], args[1:]
        else:
            return None
    if not args or args[0] != "status" or not set(args[1:]) <= {"--json", "--watch"}:
        return None
    return show(
        control_socket(Path(config) if config else None), as_json="--json" in args, watch="--watch" in args
    )


# --- the human form ----------------------------------------------------------------------


def render(snapshot: Mapping[str, Any]) -> list[str]:
    """Rich-markup lines for a status snapshot (or a stopped / unknown stand-in).

    Ages ("2m ago") are measured on the daemon's clock (start + uptime), the clock its
    timestamps came from, so the status command reads no clock of its own."""
    from rich.markup import escape

    now = daemon_now(snapshot)

    state = snapshot.get("state")
    if state == "stopped":
        return [
            f"[bold red]{escape(str(snapshot.get('reason', 'agentd is not running')))}[/bold red]",
            "Start it with [bold]agentd run[/bold] (or your service manager); "
            "`agentd doctor` says what is wrong.",
        ]
    if state != "running":
        return [f"[yellow]agentd state unknown[/yellow]: {escape(str(snapshot.get('reason', '')))}"]
    lines = [
        f"[bold green]agentd is running[/bold green]  pid {snapshot.get('pid')} · version "
        f"{escape(str(snapshot.get('version')))} · up {_duration(snapshot.get('uptime_seconds'))}"
    ]

    def row(label: str, text: str) -> None:
        lines.append(f"  {label:<11}{text}")

    proxy = _section(snapshot, "proxy")
    if proxy.get("listen"):
        row(
            "proxy",
            f"{escape(str(proxy['listen']))} ({proxy.get('mode', '?')}) · {proxy.get('intercept_hosts', 0)} "
            f"intercepted hosts · {proxy.get('flows', 0)} flows · {proxy.get('errors', 0)} errors",
        )
    else:
        row("proxy", f"[yellow]{escape(str(proxy.get('state') or 'off'))}[/yellow]")
    integration = _section(snapshot, "integration")
    ca = _section(integration, "ca")
    if ca:
        trust = _section(ca, "system_trust")
        row(
            "CA",
            f"{escape(str(ca.get('path')))} · system trust: {_verdict(trust, 'trusted', 'not trusted')}"
            + (f" · {_fix(trust)}" if trust.get("status") not in (None, "pass") else ""),
        )
    agents = _section(integration, "agents")
    if agents:
        row("agents", " · ".join(_agent(name, info) for name, info in sorted(agents.items())))
    elif not integration.get("checked"):
        row("agents", "[dim]checking…[/dim]")
    activity = _section(snapshot, "activity")
    active = activity.get("agents_active") or {}
    if activity:
        who = ", ".join(f"{escape(name)} ×{count}" for name, count in sorted(active.items()))
        minutes = int(activity.get("window_seconds", 900)) // 60
        row(
            "sessions",
            f"{activity.get('sessions_active', 0)} active in the last {minutes} min"
            + (f" ({who})" if who else ""),
        )
    policy = _section(snapshot, "policy")
    sync = _section(snapshot, "policy_sync")
    last_sync = (
        f" · last sync {_ago(sync.get('last_check'), now)}" if sync else " · no collector to sync from"
    )
    row(
        "policy",
        f"{escape(str(policy.get('version') or 'built-in'))} · {policy.get('mode', '?')} · "
        f"{policy.get('denied', 0)} denied of {policy.get('decisions', 0)} decisions"
        + (f" · {policy['approvals_pending']} awaiting approval" if policy.get("approvals_pending") else "")
        + last_sync
        + (f" · [red]{escape(str(sync['last_error']))}[/red]" if sync.get("last_error") else ""),
    )
    lines.append(f"  {'collector':<11}{_collector(_section(snapshot, 'collector'), now)}")
    spool = _section(snapshot, "spool")
    dropped = spool.get("dropped") or {}
    row(
        "spool",
        f"{spool.get('depth', 0)} unshipped"
        + (f" · oldest {_duration(spool.get('oldest_unshipped_age_seconds'))}" if spool.get("depth") else "")
        + (
            " · [red]dropped " + ", ".join(f"{k} {v}" for k, v in sorted(dropped.items())) + "[/red]"
            if dropped
            else " · nothing dropped"
        ),
    )
    footprint = _section(snapshot, "footprint")
    rss = footprint.get("rss_bytes")
    if isinstance(rss, int):
        shedding = footprint.get("state") == "shedding"
        row(
            "footprint",
            f"{rss // _MIB} MiB RSS · {footprint.get('cpu_percent', 0)}% CPU · "
            + (
                f"[yellow]shedding {escape(', '.join(footprint.get('shed') or []))}[/yellow]"
                if shedding
                else f"ok (sheds optional work above {int(footprint.get('shed_at_bytes', 0)) // _MIB} MiB)"
            ),
        )
    elif footprint:
        row("footprint", "[dim]measuring…[/dim]")
    alerts = activity.get("recent_alerts") or []
    row("alerts", f"{len(alerts)} recent" if alerts else "none recently")
    for alert in alerts:
        severity = str(alert.get("severity")).upper()
        label = _styled(f"{severity:<8}", _SEVERITY_STYLE.get(severity.lower()))
        lines.append(
            f"    {escape(str(alert.get('id')))} {label} {_ago(alert.get('time'), now):>8}  "
            f"{escape(str(alert.get('title')))}: {escape(str(alert.get('reason')))}"
        )
    return lines


def _styled(text: str, style: str | None) -> str:
    from rich.markup import escape

    return f"[{style}]{escape(text)}[/{style}]" if style else escape(text)


def daemon_now(snapshot: Mapping[str, Any]) -> datetime | None:
    """When the daemon took the snapshot: its start time plus its uptime."""
    started, uptime = snapshot.get("started"), snapshot.get("uptime_seconds")
    if not isinstance(started, str) or not isinstance(uptime, int | float):
        return None
    try:
        then = datetime.fromisoformat(started)
    except ValueError:
        return None
    return (then if then.tzinfo else then.replace(tzinfo=UTC)) + timedelta(seconds=uptime)


def _section(parent: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = parent.get(key)
    return value if isinstance(value, Mapping) else {}


def _verdict(check: Mapping[str, Any], good: str, bad: str) -> str:
    status = check.get("status")
    if status is None:
        return "[dim]not checked yet[/dim]"
    style = _STATUS_STYLE.get(str(status), "")
    return f"[{style}]{good if status == 'pass' else bad}[/{style}]"


def _fix(check: Mapping[str, Any]) -> str:
    from rich.markup import escape

    return f"fix: {escape(str(check['fix']))}" if check.get("fix") else escape(str(check.get("summary", "")))


def _agent(name: str, info: Mapping[str, Any]) -> str:
    from rich.markup import escape

    if not info.get("installed"):
        return f"{escape(name)} [dim]not installed[/dim]"
    parts = []
    for aspect in ("hooks", "env"):
        check = _section(info, aspect)
        style = _STATUS_STYLE.get(str(check.get("status")), "dim")
        word = {"pass": "ok", "warn": "check", "fail": "missing"}.get(str(check.get("status")), "?")
        parts.append(f"{aspect} [{style}]{word}[/{style}]")
    return f"{escape(name)}: {', '.join(parts)}"


def _collector(collector: Mapping[str, Any], now: datetime | None) -> str:
    from rich.markup import escape

    state = str(collector.get("state", "not_configured"))
    if state == "not_configured":
        return "[dim]not configured (events stay on this host)[/dim]"
    style = "green" if state in ("connected", "idle", "shipping") else "yellow"
    text = f"[{style}]{escape(state)}[/{style}] {escape(str(collector.get('url', '')))}"
    text += " · enrolled" if collector.get("enrolled") else " · [yellow]not enrolled[/yellow] (agentd enroll)"
    if collector.get("last_ack_time"):
        text += f" · last ack {_ago(collector['last_ack_time'], now)}"
    if collector.get("backoff_seconds"):
        text += (
            f" · retry in {_duration(collector['backoff_seconds'])} (attempt {collector.get('attempt', '?')})"
        )
    if collector.get("last_error"):
        text += f" · [red]{escape(str(collector['last_error']))}[/red]"
    return text


def _duration(seconds: object) -> str:
    if not isinstance(seconds, int | float):
        return "?"
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60}s"
    if whole < 86400:
        return f"{whole // 3600}h {whole % 3600 // 60}m"
    return f"{whole // 86400}d {whole % 86400 // 3600}h"


def _ago(iso: object, now: datetime | None) -> str:
    if not isinstance(iso, str):
        return "never"
    try:
        then = datetime.fromisoformat(iso)
    except ValueError:
        return "?"
    if now is None:
        return f"at {then:%Y-%m-%d %H:%M:%S}"
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return f"{_duration(max(0.0, (now - then).total_seconds()))} ago"
