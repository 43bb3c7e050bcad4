import json
import subprocess
from pathlib import Path

from agentd.clock import SystemClock
from agentd.events import (
    AgentKind,
    AgentRef,
    Alert,
    Decision,
    Outcome,
    Severity,
    Stamper,
    ToolCall,
    UserPrompt,
)
from agentd.record.spool import Spool
from tests.support.agentd_env import AGENTD, AgentdHome, make_home, wait_until

STAMP = Stamper(host_id="ab" * 16)
CLOCK = SystemClock()


def seed(home: AgentdHome, count: int = 3) -> Spool:
    spool = Spool.open(
        home.state_dir / "spool.sqlite3", max_bytes=10**8, retention_days=7, clock=CLOCK, stamp=STAMP
    )
    for i in range(count):
        spool.emit(
            STAMP(UserPrompt, CLOCK.now(), message_index=i, text=f"p{i}", chars=2, session_id=f"s{i % 2}")
        )
    spool.emit(
        STAMP(
            ToolCall,
            CLOCK.now(),
            call_id="c1",
            tool="Bash",
            input_hash="0" * 64,
            session_id="s0",
            agent=AgentRef(kind=AgentKind.CLAUDE_CODE, pid=4242, exe="/usr/bin/claude", user="dev"),
            decision=Decision(outcome=Outcome.DENY, enforced=True, reasons=("credential file",)),
        )
    )
    spool.flush()
    return spool


def test_json_lines_carry_the_documented_fields(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    seed(home).close()
    result = home.run("events", "--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["seq"] for line in lines] == [1, 2, 3, 4]
    call = lines[-1]
    for key in ("id", "seq", "time", "kind", "severity", "session_id", "agent"):
        assert key in call
    assert call["kind"] == "tool_call"
    assert call["agent"] == {
        "kind": "claude-code",
        "pid": 4242,
        "exe": "/usr/bin/claude",
        "user": "dev",
        "version": None,
    }
    assert call["decision"]["outcome"] == "deny"
    assert call["tool"] == "Bash"


def test_filters_by_type_session_and_limit(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    seed(home, count=6).close()

    def seqs(*args: str) -> list[int]:
        result = home.run("events", "--json", *args)
        assert result.returncode == 0, result.stderr
        return [json.loads(line)["seq"] for line in result.stdout.splitlines()]

    assert seqs("--type", "tool_call") == [7]
    assert seqs("--type", "tool_call", "--type", "user_prompt", "--limit", "2") == [6, 7]
    assert seqs("--session", "s1") == [2, 4, 6]
    assert seqs("--limit", "0") == list(range(1, 8))
    assert seqs("--type", "no_such_kind") == []


def test_human_output_names_kind_severity_and_decision(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    spool = seed(home, count=1)
    spool.emit(
        STAMP(
            Alert,
            CLOCK.now(),
            alert_id="a",
            rule_id="r",
            title="Secret sent",
            reason="in Bash args",
            severity=Severity.HIGH,
        )
    )
    spool.close()
    result = home.run("events")
    assert result.returncode == 0, result.stderr
    assert "tool_call" in result.stdout
    assert "Bash -> deny" in result.stdout
    assert "claude-code:4242" in result.stdout
    assert "Secret sent: in Bash args" in result.stdout
    assert "high" in result.stdout


def test_no_spool_yet_is_not_an_error(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    result = home.run("events")
    assert result.returncode == 0
    assert "no events yet" in result.stdout
    assert home.run("events", "--json").stdout == ""


def test_an_unreadable_spool_exits_2_with_the_reason(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    home.state_dir.mkdir(parents=True)
    (home.state_dir / "spool.sqlite3").write_bytes(b"garbage, not sqlite" * 100)
    result = home.run("events")
    assert result.returncode == 2
    assert "cannot read events" in result.stderr


def test_follow_prints_events_committed_while_it_runs(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    spool = seed(home, count=1)
    follower = subprocess.Popen(
        [*AGENTD, "events", "--follow", "--json"], env=home.env(), stdout=subprocess.PIPE, text=True
    )
    try:
        assert follower.stdout is not None
        first = [json.loads(follower.stdout.readline())["seq"] for _ in range(2)]
        assert first == [1, 2]
        spool.emit(STAMP(UserPrompt, CLOCK.now(), message_index=9, chars=0))
        spool.flush()
        assert json.loads(follower.stdout.readline())["seq"] == 3
    finally:
        follower.terminate()
        follower.communicate(timeout=30)
        spool.close()
    wait_until(lambda: follower.poll() is not None, 30, "the follower to exit")
