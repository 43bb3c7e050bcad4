import contextlib
import io
import json
import os
import re
import signal
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from agentd.cli.status import daemon_now, fast_main, fetch, render
from agentd.clock import SystemClock
from tests.support.agentd_env import AGENTD, make_home
from tests.support.control import scripted_control


def test_not_running_exits_3_with_a_clear_message(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    result = home.run("status")
    assert result.returncode == 3
    assert "agentd is not running" in result.stdout
    assert "agentd run" in result.stdout


def test_not_running_json(tmp_path: Path) -> None:
    result = make_home(tmp_path).run("status", "--json")
    assert result.returncode == 3
    assert json.loads(result.stdout)["state"] == "stopped"


def test_running_daemon_reports_the_documented_keys(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    with home.start_daemon() as daemon:
        result = home.run("status", "--json")
        assert result.returncode == 0, result.stderr
        snapshot = json.loads(result.stdout)
        assert snapshot["state"] == "running"
        assert snapshot["pid"] == daemon.process.pid
        for section, key in (
            ("proxy", "listen"),
            ("policy", "version"),
            ("spool", "depth"),
            ("collector", "state"),
        ):
            assert key in snapshot[section]
        assert {"footprint", "activity", "integration"} <= set(snapshot)
        human = home.run("status")
        assert human.returncode == 0
        assert "agentd is running" in human.stdout
        for label in ("proxy", "CA", "sessions", "policy", "collector", "spool", "footprint", "alerts"):
            assert f"\n  {label} " in human.stdout, label
        assert daemon.stop() == 0


def test_a_socket_that_answers_garbage_is_unknown(tmp_path: Path) -> None:
    import socket
    import threading

    home = make_home(tmp_path)
    home.run_dir.mkdir(parents=True)
    path = home.run_dir / "control.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(1)

    def answer() -> None:
        conn, _ = server.accept()
        conn.recv(1024)
        conn.sendall(b'{"ok": false, "error": "broken"}\n')
        conn.close()

    thread = threading.Thread(target=answer)
    thread.start()
    try:
        result = home.run("status")
    finally:
        thread.join()
        server.close()
    assert result.returncode == 4
    assert "unknown" in result.stdout


# --- snapshots of both forms, from a scripted daemon answer ------------------------------

SNAPSHOTS = Path(__file__).parent / "snapshots"
NOW = SystemClock().now()

CANNED: dict[str, Any] = {
    "state": "running",
    "version": "0.1.0",
    "pid": 4242,
    "started": (NOW - timedelta(hours=2)).isoformat(),
    "uptime_seconds": 7384.5,
    "proxy": {
        "state": "running",
        "listen": "127.0.0.1:8899",
        "mode": "regular",
        "intercept_hosts": 11,
        "flows": 340,
        "errors": 1,
    },
    "integration": {
        "checked": NOW.isoformat(),
        "ca": {
            "path": "/var/lib/agentd/ca/mitmproxy-ca-cert.pem",
            "status": "pass",
            "summary": "valid",
            "system_trust": {
                "status": "warn",
                "summary": "not in the system trust store",
                "fix": "sudo /opt/agentd/libexec/agentd-ca-trust install",
            },
        },
        "agents": {
            "claude-code": {
                "installed": True,
                "hooks": {"status": "pass", "summary": ""},
                "env": {"status": "pass", "summary": ""},
            },
            "codex": {
                "installed": True,
                "hooks": {"status": "fail", "summary": "no agentd hook"},
                "env": {"status": "warn", "summary": ""},
            },
            "gemini-cli": {"installed": False},
        },
        "managed": {"status": "pass", "summary": "managed settings for claude-code", "fix": None},
    },
    "activity": {
        "window_seconds": 900,
        "sessions_active": 2,
        "agents_active": {"claude-code": 2},
        "sessions": [],
        "recent_alerts": [
            {
                "id": "01JALERT00000000000000000B",
                "time": (NOW - timedelta(minutes=2)).isoformat(),
                "severity": "high",
                "title": "Denied Read",
                "reason": "agents may not read credential files [sic]",
                "session_id": "s1",
                "agent": "claude-code",
            },
            {
                "id": "01JALERT00000000000000000A",
                "time": (NOW - timedelta(hours=3)).isoformat(),
                "severity": "medium",
                "title": "Secret in a tool argument",
                "reason": "a token left in a Bash command",
                "session_id": "s0",
                "agent": "codex",
            },
        ],
    },
    "policy": {
        "version": "fleet-42",
        "mode": "enforce",
        "decisions": 120,
        "denied": 3,
        "approvals_pending": 1,
    },
    "policy_sync": {
        "version": "fleet-42",
        "last_check": (NOW - timedelta(seconds=40)).isoformat(),
        "last_error": None,
    },
    "collector": {
        "state": "backoff",
        "url": "https://collector.example:7443",
        "enrolled": True,
        "attempt": 3,
        "backoff_seconds": 8.0,
        "last_error": "UNAVAILABLE: connection refused",
        "last_ack_time": (NOW - timedelta(minutes=5)).isoformat(),
    },
    "spool": {"depth": 57, "oldest_unshipped_age_seconds": 301.2, "dropped": {"model_response": 4}},
    "footprint": {
        "state": "shedding",
        "rss_bytes": 380 * 1024 * 1024,
        "cpu_percent": 12.5,
        "shed_at_bytes": 375809638,
        "shed": ["reclaim_memory", "capture_full_to_redacted"],
    },
}


def _matches_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("AGENTD_UPDATE_SNAPSHOTS"):
        path.write_text(text)
    assert text == path.read_text(), f"{name} changed; AGENTD_UPDATE_SNAPSHOTS=1 rewrites it after review"


def _normalise(text: str) -> str:
    """Relative times depend on when the test runs; everything else in the canned answer is fixed."""
    return re.sub(r"\b\d+[smhd]( \d+[smh])? ago\b", "<ago>", text)


def test_rich_form_snapshot(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    with scripted_control(home.run_dir / "control.sock", {"status": CANNED}):
        result = home.run("status", env=home.env(COLUMNS="200", TERM="dumb", NO_COLOR="1"))
    assert result.returncode == 0, result.stderr
    _matches_snapshot("status.txt", _normalise(result.stdout))
    for shown in (
        "01JALERT00000000000000000B",
        "[sic]",
        "backoff",
        "shedding",
        "model_response 4",
        "codex: hooks missing",
    ):
        assert shown in result.stdout


def test_json_form_snapshot(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    with scripted_control(home.run_dir / "control.sock", {"status": CANNED}):
        result = home.run("status", "--json")
    assert result.returncode == 0, result.stderr
    snapshot = json.loads(result.stdout)
    assert snapshot == CANNED
    text = result.stdout
    for key in ("started", "time", "last_check", "last_ack_time", "checked"):
        text = re.sub(rf'"{key}": "[^"]+"', f'"{key}": "<time>"', text)
    _matches_snapshot("status.json", text)


# --- the human form, piece by piece ------------------------------------------------------


def _text(snapshot: dict[str, Any]) -> str:
    console = Console(file=io.StringIO(), width=200, color_system=None, highlight=False, soft_wrap=True)
    for line in render(snapshot):
        console.print(line)
    return console.file.getvalue()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"collector": {"state": "not_configured"}}, "not configured (events stay on this host)"),
        ({"collector": {"state": "connected", "url": "u", "enrolled": False}}, "not enrolled"),
        ({"policy_sync": None}, "no collector to sync from"),
        ({"spool": {"depth": 0, "dropped": {}}}, "0 unshipped · nothing dropped"),
        (
            {
                "footprint": {
                    "state": "ok",
                    "rss_bytes": 100 * 1024 * 1024,
                    "cpu_percent": 0.3,
                    "shed_at_bytes": 375809638,
                }
            },
            "100 MiB RSS · 0.3% CPU · ok",
        ),
        ({"proxy": {"state": "failed", "listen": None}}, "proxy      failed"),
        ({"footprint": {"state": "ok", "rss_bytes": None}}, "footprint  measuring"),
        ({"footprint": {"state": "ok", "rss_bytes": "lots"}}, "footprint  measuring"),
        ({"activity": {"recent_alerts": []}}, "alerts     none recently"),
        ({"integration": {}}, "agents     checking"),
        ({"uptime_seconds": 90061}, "up 1d 1h"),
        ({"uptime_seconds": "soon"}, "up ?"),
    ],
)
def test_render_sections(changes: dict[str, Any], expected: str) -> None:
    snapshot = {**CANNED, **changes}
    assert expected in _text(snapshot)


@pytest.mark.parametrize(
    "hostile",
    [
        {"state": "running"},  # nothing but the state
        {"state": "running", "proxy": "not a table", "spool": [1, 2], "activity": {"recent_alerts": [{}]}},
        {"state": "running", "integration": {"agents": {"[red]x[/red]": {"installed": True}}}},
        {"state": "running", "activity": {"recent_alerts": [{"time": "yesterday", "title": "[bold]t"}]}},
        {
            "state": "running",
            "started": "not a time",
            "uptime_seconds": 1,
            "activity": {"recent_alerts": [{"time": "2025-01-01T00:00:00"}]},
        },
    ],
)
def test_render_survives_odd_snapshots(hostile: dict[str, Any]) -> None:
    text = _text(hostile)
    assert text.startswith("agentd is running")
    if "[red]x[/red]" in str(hostile):
        assert "[red]x[/red]" in text, "names are printed literally, never as markup"


@pytest.mark.parametrize(
    ("reply", "code", "state"),
    [
        ({"state": "running"}, 0, "running"),
        ({"state": "starting"}, 4, "unknown"),
        (["not", "a", "snapshot"], 4, "unknown"),
        (None, 4, "unknown"),
    ],
)
def test_fetch_classifies_the_answer(tmp_path: Path, reply: Any, code: int, state: str) -> None:
    home = make_home(tmp_path)
    with scripted_control(home.run_dir / "control.sock", {"status": reply}):
        got_code, snapshot = fetch(home.run_dir / "control.sock")
    assert (got_code, snapshot["state"]) == (code, state)


@pytest.mark.parametrize(
    ("argv", "handled"),
    [
        (["status"], True),
        (["status", "--json"], True),
        (["--config", "x.toml", "status"], True),
        (["--config=x.toml", "status", "--json"], True),
        (["status", "--help"], False),
        (["status", "--bogus"], False),
        (["--config"], False),
        (["--configure", "status"], False),
        (["events"], False),
        ([], False),
    ],
)
def test_fast_path_takes_only_what_it_understands(tmp_path: Path, argv: list[str], handled: bool) -> None:
    env = {
        "AGENTD_SYSTEM_CONFIG": "",
        "AGENTD_MANAGED_CONFIG": "",
        "AGENTD_CONFIG": str(tmp_path / "none.toml"),
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        argv = [a.replace("x.toml", str(tmp_path / "x.toml")) for a in argv]
        (tmp_path / "x.toml").write_text(f'[paths]\nrun_dir = "{tmp_path}/run"\n')
        with contextlib.redirect_stdout(io.StringIO()):
            code = fast_main(argv)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert (code is not None) is handled
    if handled:
        assert code == 3  # nothing listens in the temporary run dir


def test_watch_refreshes_until_interrupted(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    with scripted_control(home.run_dir / "control.sock", {"status": CANNED}):
        process = subprocess.Popen(
            [*AGENTD, "status", "--json", "--watch"], env=home.env(), stdout=subprocess.PIPE, text=True
        )
        try:
            assert process.stdout is not None
            first, second = process.stdout.readline(), process.stdout.readline()
        finally:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=30)
    assert json.loads(first) == json.loads(second) == CANNED
    assert process.returncode == 0


@pytest.mark.parametrize(
    ("snapshot", "expected"),
    [
        ({"started": "2025-01-01T00:00:00+00:00", "uptime_seconds": 90}, "2025-01-01T00:01:30+00:00"),
        ({"started": "2025-01-01T00:00:00", "uptime_seconds": 0}, "2025-01-01T00:00:00+00:00"),
        ({"started": "2025-01-01T00:00:00+00:00"}, None),
        ({"started": 5, "uptime_seconds": 1}, None),
        ({"started": "garbage", "uptime_seconds": 1}, None),
    ],
)
def test_ages_are_measured_on_the_daemons_clock(snapshot: dict[str, Any], expected: str | None) -> None:
    now = daemon_now(snapshot)
    assert (now.isoformat() if now else None) == expected
