from datetime import UTC, datetime, timedelta
from pathlib import Path

from agentd.clock import SystemClock
from agentd.events import AgentKind, AgentRef, Alert, ModelResponse, Severity, Stamper, UserPrompt
from agentd.observe.activity import RECENT_ALERTS, Activity
from agentd.record.spool import Spool

STAMP = Stamper(host_id="h" * 32)


class FixedClock(SystemClock):
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


def _spool(path: Path) -> Spool:
    return Spool.open(path, max_bytes=64 * 1024 * 1024, retention_days=7, clock=SystemClock(), stamp=STAMP)


def test_sessions_active_in_the_window_and_the_newest_alerts(tmp_path: Path) -> None:
    now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    spool = _spool(tmp_path / "spool.sqlite3")
    claude = AgentRef(kind=AgentKind.CLAUDE_CODE, pid=10)
    codex = AgentRef(kind=AgentKind.CODEX, pid=20)
    spool.emit(
        STAMP(UserPrompt, now - timedelta(hours=1), session_id="old", agent=claude, message_index=0, chars=1)
    )
    spool.emit(
        STAMP(UserPrompt, now - timedelta(minutes=3), session_id="s1", agent=claude, message_index=0, chars=1)
    )
    spool.emit(STAMP(ModelResponse, now - timedelta(minutes=1), session_id="s2", agent=codex, model="m"))
    for i in range(RECENT_ALERTS + 2):
        spool.emit(
            STAMP(
                Alert, now, alert_id=f"a{i}", rule_id="r", title=f"t{i}", reason="why", severity=Severity.HIGH
            )
        )
    spool.flush()
    activity = Activity(spool, FixedClock(now))
    activity.poll()
    stats = activity.statistics()
    assert stats["sessions_active"] == 2
    assert stats["agents_active"] == {"claude-code": 1, "codex": 1}
    assert [s["id"] for s in stats["sessions"]] == ["s2", "s1"]  # most recent first
    assert [a["id"] for a in stats["recent_alerts"]] == [f"a{i}" for i in range(6, 1, -1)]
    assert stats["recent_alerts"][0] | {"time": None} == {
        "id": "a6",
        "time": None,
        "severity": "high",
        "title": "t6",
        "reason": "why",
        "session_id": None,
        "agent": "unknown",
    }
    # Incremental: a later poll reads only what is new, and the window moves on.
    spool.emit(STAMP(UserPrompt, now, session_id="s3", agent=claude, message_index=0, chars=1))
    spool.flush()
    activity.clock = FixedClock(now + timedelta(minutes=14, seconds=30))
    activity.poll()
    assert {s["id"] for s in activity.statistics()["sessions"]} == {"s3"}
    spool.close()


def test_an_empty_spool(tmp_path: Path) -> None:
    spool = _spool(tmp_path / "spool.sqlite3")
    activity = Activity(spool, SystemClock())
    activity.poll()
    assert activity.statistics()["sessions_active"] == 0
    assert activity.statistics()["recent_alerts"] == []
    spool.close()
