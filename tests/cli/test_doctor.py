import io
import json
import os
from pathlib import Path

import pytest
from rich.console import Console

from agentd.cli.doctor import json_lines, render
from agentd.deploy.doctor import Check, Status
from tests.support.agentd_env import AgentdHome, make_home

SNAPSHOTS = Path(__file__).parent / "snapshots"

# One of each shape the report has: passes, a warning and a failure with fixes, details.
RESULTS = [
    Check("python", Status.PASS, "Python 3.12.1 (/opt/agentd/python/bin/python3.12)"),
    Check(
        "daemon",
        Status.FAIL,
        "agentd is not running (no answer on /run/agentd/control.sock)",
        fix="sudo systemctl start agentd",
    ),
    Check(
        "ca.trust",
        Status.WARN,
        "not in the system trust store: agents relying on it (Codex) reject agentd's certificates",
        fix="sudo /opt/agentd/libexec/agentd-ca-trust install",
    ),
    Check(
        "agent.claude-code.hooks",
        Status.PASS,
        "PostToolUse, PreToolUse, UserPromptSubmit run /usr/bin/agentd",
    ),
    Check(
        "spool.disk", Status.PASS, "81,043 MiB free for a spool capped at 512 MiB", details={"free_bytes": 1}
    ),
    Check(
        "keys",
        Status.FAIL,
        "key material readable by others: host.key is 0644 [not markup]",
        fix="chmod 600 x",
    ),
]


def _matches_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("AGENTD_UPDATE_SNAPSHOTS"):
        path.write_text(text)
    assert text == path.read_text(), f"{name} changed; AGENTD_UPDATE_SNAPSHOTS=1 rewrites it after review"


def test_rich_report_snapshot() -> None:
    console = Console(file=io.StringIO(), width=120, color_system=None, highlight=False, soft_wrap=True)
    render(console, RESULTS)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    _matches_snapshot("doctor.txt", text)
    assert "[not markup]" in text, "summaries are printed literally"


def test_json_report_snapshot() -> None:
    lines = json_lines(RESULTS)
    _matches_snapshot("doctor.jsonl", "\n".join(lines) + "\n")
    for line in lines:
        assert set(json.loads(line)) == {"check", "status", "summary", "fix", "details"}


def _home(tmp_path: Path) -> AgentdHome:
    home = make_home(tmp_path)
    paths = f'[paths]\nstate_dir = "{home.state_dir}"\nrun_dir = "{home.run_dir}"\n'
    home.config.write_text(f"{paths}\n[proxy]\nlisten_port = 0\n")
    (tmp_path / "home").mkdir()
    (tmp_path / "empty-path").mkdir()
    return home


def _doctor(home: AgentdHome, tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    # A PATH with no agents on it and an empty HOME: the machine running the tests leaks nothing in.
    env = home.env(HOME=str(tmp_path / "home"), PATH=str(tmp_path / "empty-path"))
    return home.run("doctor", *args, env=env)


def test_doctor_on_a_fresh_home(tmp_path: Path) -> None:
    home = _home(tmp_path)
    result = _doctor(home, tmp_path, "--json")
    assert result.returncode == 1, result.stderr
    checks = [json.loads(line) for line in result.stdout.splitlines()]
    statuses = {c["check"]: c["status"] for c in checks}
    assert {
        name: statuses[name] for name in ("python", "dependencies", "config", "daemon", "port", "ca")
    } == {
        "python": "pass",
        "dependencies": "pass",
        "config": "pass",
        "daemon": "fail",
        "port": "pass",
        "ca": "warn",
    }
    assert statuses["agent.claude-code"] == statuses["agent.codex"] == statuses["agent.gemini-cli"] == "pass"
    assert statuses["collector"] == "warn"
    assert statuses["keys"] == "warn"
    assert [c["check"] for c in checks][:4] == ["python", "dependencies", "config", "daemon"]
    for check in checks:
        if check["status"] != "pass":
            assert check["fix"], check

    rich = _doctor(home, tmp_path)
    assert rich.returncode == 1
    assert rich.stdout.startswith("agentd doctor: ")
    assert " FAIL  daemon " in rich.stdout
    assert "fix: agentd run" in rich.stdout


def test_doctor_with_a_running_daemon(tmp_path: Path) -> None:
    home = _home(tmp_path)
    with home.start_daemon() as daemon:
        result = _doctor(home, tmp_path, "--json")
        statuses = {c["check"]: c for c in map(json.loads, result.stdout.splitlines())}
        assert statuses["daemon"]["status"] == "pass"
        assert f"pid {daemon.process.pid}" in statuses["daemon"]["summary"]
        assert daemon.stop() == 0


def test_a_broken_config_is_reported_not_fatal(tmp_path: Path) -> None:
    home = _home(tmp_path)
    home.config.write_text("[proxy]\nlisten_port = -5\n")
    result = _doctor(home, tmp_path, "--json")
    assert result.returncode == 1
    checks = {c["check"]: c for c in map(json.loads, result.stdout.splitlines())}
    assert checks["config"]["status"] == "fail"
    assert "proxy.listen_port" in checks["config"]["summary"]
    assert "python" in checks, "the other checks still run"


@pytest.mark.parametrize("flag", ["--json", None])
def test_doctor_never_prints_the_collector_token(tmp_path: Path, flag: str | None) -> None:
    home = _home(tmp_path)
    token = "enroll-" + "x" * 24
    home.config.write_text(
        home.config.read_text() + f'\n[collector]\nurl = "https://127.0.0.1:1"\ntoken = "{token}"\n'
    )
    result = _doctor(home, tmp_path, *([flag] if flag else []))
    assert token not in result.stdout + result.stderr
