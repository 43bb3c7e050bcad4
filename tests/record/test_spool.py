import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agentd.clock import SystemClock
from agentd.errors import SpoolError
from agentd.events import (
    Alert,
    ApprovalRequested,
    Decision,
    Event,
    InternalError,
    ModelResponse,
    Outcome,
    Severity,
    Stamper,
    TelemetryDropped,
    ToolCall,
    UserPrompt,
)
from agentd.record.schema import SpooledEvent
from agentd.record.spool import SealedBatch, Spool, is_protected

STAMP = Stamper(host_id="h" * 32)
CLOCK = SystemClock()


class ShiftedClock(SystemClock):
    """The system clock moved by ``offset``: retention sees the future without waiting for it."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return super().now() + self.offset


def prompt(i: int, severity: Severity = Severity.INFO, session: str = "s1") -> UserPrompt:
    return STAMP(
        UserPrompt,
        CLOCK.now(),
        message_index=i,
        text=f"p{i}",
        chars=2,
        severity=severity,
        session_id=session,
    )


def alert(i: int) -> Alert:
    return STAMP(
        Alert,
        CLOCK.now(),
        alert_id=f"a{i}",
        rule_id="r",
        title="t",
        reason="why",
        severity=Severity.LOW,
    )


def decided_call(i: int) -> ToolCall:
    return STAMP(
        ToolCall,
        CLOCK.now(),
        call_id=f"c{i}",
        tool="Bash",
        input_hash="0" * 64,
        decision=Decision(outcome=Outcome.DENY, enforced=True),
    )


def open_spool(path: Path, clock: SystemClock | None = None, **kw: Any) -> Spool:
    kw.setdefault("max_bytes", 512 * 1024 * 1024)
    kw.setdefault("retention_days", 7)
    return Spool.open(path, clock=clock or SystemClock(), stamp=STAMP, **kw)


def chain_builder(events: Sequence[SpooledEvent], sequence: int, prev: bytes) -> SealedBatch:
    import hashlib

    wire = prev + b"".join(e.payload for e in events)
    return SealedBatch(
        sequence=sequence,
        first_seq=events[0].seq,
        last_seq=events[-1].seq,
        count=len(events),
        digest=hashlib.sha256(wire).digest(),
        wire=wire,
    )


def test_commits_assign_a_monotonic_sequence_that_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    spool = open_spool(path)
    for i in range(5):
        spool.emit(prompt(i))
    assert spool.query() == []  # buffered, not committed
    assert spool.flush() == 5
    assert [e.seq for e in spool.query()] == [1, 2, 3, 4, 5]
    spool.close()
    assert path.stat().st_mode & 0o777 == 0o600
    again = open_spool(path)
    again.emit(prompt(9))
    again.flush()
    assert [e.seq for e in again.query()] == [1, 2, 3, 4, 5, 6]
    stored = again.query(after_seq=5)[0]
    assert isinstance(stored, UserPrompt)
    assert stored.message_index == 9
    assert stored.host_id == STAMP.host_id
    again.close()


def test_queries_filter_by_kind_session_and_position(tmp_path: Path) -> None:
    spool = open_spool(tmp_path / "spool.sqlite3")
    spool.emit(prompt(0, session="a"))
    spool.emit(alert(1))
    spool.emit(prompt(2, session="b"))
    spool.emit(prompt(3, session="a"))
    spool.flush()
    assert [e.seq for e in spool.query(kinds=("user_prompt",))] == [1, 3, 4]
    assert [e.seq for e in spool.query(kinds=("alert", "tool_call"))] == [2]
    assert [e.seq for e in spool.query(session_id="a")] == [1, 4]
    assert [e.seq for e in spool.query(after_seq=2, limit=1)] == [3]
    assert [e.seq for e in spool.query(limit=2, newest=True)] == [3, 4]
    assert spool.query(kinds=("no_such_kind",)) == []
    spool.close()


@pytest.mark.parametrize(
    ("event", "protected"),
    [
        (prompt(1, Severity.CRITICAL), False),
        (alert(1), True),
        (decided_call(1), True),
        (
            STAMP(ToolCall, CLOCK.now(), call_id="c", tool="Read", input_hash="0" * 64),
            False,
        ),
        (
            STAMP(ApprovalRequested, CLOCK.now(), approval_id="x", tool="Bash", input_hash="0", reason="r"),
            True,
        ),
        (STAMP(TelemetryDropped, CLOCK.now(), counts={"user_prompt": 1}), True),
        (STAMP(ModelResponse, CLOCK.now()), False),
    ],
    ids=lambda v: getattr(v, "kind", str(v)),
)
def test_alerts_and_decisions_are_protected(event: Event, protected: bool) -> None:
    assert is_protected(event) is protected


def test_the_disk_cap_drops_lowest_severity_oldest_first_and_records_exact_counts(tmp_path: Path) -> None:
    spool = open_spool(tmp_path / "spool.sqlite3", max_bytes=10**9)
    for i in range(200):
        spool.emit(prompt(i, Severity.INFO))
    for i in range(40):
        spool.emit(prompt(1000 + i, Severity.MEDIUM))
        spool.emit(alert(i))
        spool.emit(decided_call(i))
    spool.flush()
    size = spool.statistics()["bytes"]
    # Shrink the cap so that about a third has to go: all of it must come from the INFO prompts.
    spool.max_bytes = int(size * 0.8)
    spool.emit(prompt(999, Severity.HIGH))
    spool.flush()
    kinds = [e.kind for e in spool.query()]
    assert kinds.count("alert") == 40
    assert kinds.count("tool_call") == 40
    remaining = {e.message_index for e in spool.query(kinds=("user_prompt",)) if isinstance(e, UserPrompt)}
    dropped_info = {i for i in range(200) if i not in remaining}
    assert len(dropped_info) < 200
    assert dropped_info, "the cap must have dropped something"
    assert dropped_info == set(range(len(dropped_info))), "oldest INFO events go first"
    assert {1000 + i for i in range(40)} <= remaining, "MEDIUM events stay while INFO ones remain"
    (record,) = spool.query(kinds=("telemetry_dropped",))
    assert isinstance(record, TelemetryDropped)
    assert record.counts == {"user_prompt": len(dropped_info)}
    assert record.bytes_dropped > 0
    stats = spool.statistics()
    assert stats["dropped"] == {"user_prompt": len(dropped_info)}
    assert stats["bytes"] <= spool.max_bytes
    assert stats["depth"] == len(spool.query())
    spool.close()


def test_the_cap_frees_shipped_copies_before_dropping_unshipped_telemetry(tmp_path: Path) -> None:
    spool = open_spool(tmp_path / "spool.sqlite3")
    for i in range(20):
        spool.emit(prompt(i))
    spool.flush()
    batch = spool.seal_next(chain_builder, max_events=10, max_bytes=10**6)
    assert batch is not None
    spool.acknowledge(batch.sequence)
    spool.max_bytes = int(spool.statistics()["bytes"] * 0.7)
    spool.emit(prompt(99))
    spool.flush()
    assert spool.query(kinds=("telemetry_dropped",)) == []
    assert min(e.seq for e in spool.query()) > 1
    assert spool.statistics()["dropped"] == {}
    spool.close()


def test_protected_events_stay_even_when_they_alone_exceed_the_cap(tmp_path: Path) -> None:
    spool = open_spool(tmp_path / "spool.sqlite3", max_bytes=1000)
    for i in range(30):
        spool.emit(alert(i))
    spool.flush()
    assert len(spool.query(kinds=("alert",))) == 30
    assert spool.statistics()["state"] == "over_cap"
    spool.close()


def test_retention_deletes_only_shipped_events_past_their_days(tmp_path: Path) -> None:
    clock = ShiftedClock()
    spool = open_spool(tmp_path / "spool.sqlite3", clock=clock, retention_days=3)
    for i in range(6):
        spool.emit(prompt(i))
    spool.flush()
    batch = spool.seal_next(chain_builder, max_events=4, max_bytes=10**6)
    assert batch is not None
    spool.acknowledge(batch.sequence)
    assert spool.maintain() == 0  # nothing is old yet
    clock.offset = timedelta(days=3, minutes=1)
    assert spool.maintain() == 4
    assert [e.seq for e in spool.query()] == [5, 6]
    assert spool.statistics()["depth"] == 2
    spool.close()


def test_a_local_only_spool_applies_retention_to_everything(tmp_path: Path) -> None:
    clock = ShiftedClock()
    spool = open_spool(tmp_path / "spool.sqlite3", clock=clock, retention_days=1, local_only=True)
    for i in range(3):
        spool.emit(prompt(i))
    spool.flush()
    clock.offset = timedelta(days=2)
    assert spool.maintain() == 3
    assert spool.query() == []
    assert spool.statistics()["depth"] == 0
    spool.close()


@pytest.mark.parametrize(
    "damage",
    [
        b"this is not a database" * 200,
        b"SQLite format 3\x00" + b"\xff" * 4000,
        b"",
    ],
    ids=["garbage", "bad-header", "empty"],
)
def test_a_corrupt_spool_is_moved_aside_and_recorded(tmp_path: Path, damage: bytes) -> None:
    path = tmp_path / "spool.sqlite3"
    path.write_bytes(damage)
    spool = open_spool(path)
    events = spool.query()
    if damage:
        (event,) = events
        assert isinstance(event, InternalError)
        assert event.error == "SpoolCorrupt"
        assert event.component == "spool"
        aside = [p for p in tmp_path.iterdir() if ".corrupt-" in p.name]
        assert len(aside) == 1
        assert aside[0].read_bytes() == damage
        assert aside[0].name in event.message
    else:  # an empty file is simply a new database
        assert events == []
    spool.emit(prompt(1))
    spool.flush()
    assert spool.query(kinds=("user_prompt",))[0].seq == len(events) + 1
    spool.close()


def test_a_truncated_spool_is_recovered_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    spool = open_spool(path)
    for i in range(300):
        spool.emit(prompt(i))
    spool.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    for extra in ("-wal", "-shm"):
        path.with_name(path.name + extra).unlink(missing_ok=True)
    again = open_spool(path)  # must not raise
    again.emit(prompt(1))
    again.flush()
    assert again.query(kinds=("user_prompt",))
    again.close()


def test_an_unusable_location_raises_spool_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SpoolError, match="cannot create the spool directory"):
        open_spool(blocker / "sub" / "spool.sqlite3")
    (tmp_path / "dir.sqlite3").mkdir()
    with pytest.raises(SpoolError):
        open_spool(tmp_path / "dir.sqlite3")


def test_the_outbox_seals_chains_and_acknowledges_batches_durably(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    spool = open_spool(path)
    for i in range(25):
        spool.emit(prompt(i))
    spool.flush()
    assert spool.statistics()["depth"] == 25
    first = spool.seal_next(chain_builder, max_events=10, max_bytes=10**6)
    second = spool.seal_next(chain_builder, max_events=10, max_bytes=10**6)
    assert first is not None
    assert second is not None
    assert (first.sequence, first.first_seq, first.last_seq) == (1, 1, 10)
    assert (second.sequence, second.first_seq, second.last_seq) == (2, 11, 20)
    assert second.wire.startswith(first.digest)  # the builder saw the previous digest
    assert spool.chain_tip() == (2, second.digest)
    assert spool.outbox_state().unsealed == 5
    epoch = spool.epoch
    spool.close()

    again = open_spool(path)
    assert again.epoch == epoch
    assert [b.sequence for b in again.pending()] == [1, 2]
    assert again.pending()[0] == first
    again.acknowledge(1)
    assert [b.sequence for b in again.pending()] == [2]
    assert again.statistics()["depth"] == 15
    again.acknowledge(2)
    assert again.statistics()["shipped_seq"] == 20
    third = again.seal_next(chain_builder, max_events=100, max_bytes=10**6)
    assert third is not None
    assert (third.sequence, third.first_seq, third.last_seq) == (3, 21, 25)
    assert again.seal_next(chain_builder, max_events=100, max_bytes=10**6) is None
    again.close()


def test_batches_respect_the_byte_bound_but_always_take_one_event(tmp_path: Path) -> None:
    spool = open_spool(tmp_path / "spool.sqlite3")
    for i in range(5):
        spool.emit(prompt(i))
    spool.flush()
    batch = spool.seal_next(chain_builder, max_events=100, max_bytes=1)
    assert batch is not None
    assert batch.count == 1
    spool.close()


def test_the_cap_never_drops_sealed_events(tmp_path: Path) -> None:
    spool = open_spool(tmp_path / "spool.sqlite3")
    for i in range(20):
        spool.emit(prompt(i))
    spool.flush()
    batch = spool.seal_next(chain_builder, max_events=20, max_bytes=10**6)
    assert batch is not None
    spool.max_bytes = 100
    spool.emit(prompt(21))
    spool.flush()
    assert [e.seq for e in spool.query(kinds=("user_prompt",))] == list(range(1, 21))
    (record,) = spool.query(kinds=("telemetry_dropped",))
    assert isinstance(record, TelemetryDropped)
    assert record.counts == {"user_prompt": 1}
    spool.close()


def test_a_full_memory_buffer_counts_what_it_drops_but_keeps_protected_events(tmp_path: Path) -> None:
    spool = open_spool(tmp_path / "spool.sqlite3", max_buffered=3)
    for i in range(5):
        spool.emit(prompt(i))
    spool.emit(alert(1))
    spool.flush()
    kinds = [e.kind for e in spool.query()]
    assert kinds == ["user_prompt"] * 3 + ["alert", "telemetry_dropped"]
    record = spool.query(kinds=("telemetry_dropped",))[0]
    assert isinstance(record, TelemetryDropped)
    assert record.counts == {"user_prompt": 2}
    spool.close()


def test_a_failed_commit_keeps_the_events_for_the_next_attempt(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    spool = open_spool(path)
    blocker = sqlite3.connect(path, isolation_level=None, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    spool._db.execute("PRAGMA busy_timeout=0")
    spool.emit(prompt(1))
    with pytest.raises(SpoolError, match="cannot commit"):
        spool.flush()
    assert spool.statistics()["buffered"] == 1
    assert spool.statistics()["errors"] == 1
    blocker.execute("ROLLBACK")
    blocker.close()
    assert spool.flush() == 1
    assert [e.seq for e in spool.query()] == [1]
    spool.close()


async def test_serve_group_commits_and_flushes_on_cancel(tmp_path: Path) -> None:
    spool = open_spool(tmp_path / "spool.sqlite3", commit_interval=0.01)
    committed = threading.Event()
    spool.add_commit_listener(lambda last: committed.set() if last >= 3 else None)
    task = asyncio.get_running_loop().create_task(spool.serve())
    for i in range(3):
        spool.emit(prompt(i))
    await asyncio.to_thread(committed.wait, 30)
    assert [e.seq for e in spool.query()] == [1, 2, 3]

    # from another thread (the file watcher's), too
    committed.clear()
    spool.add_commit_listener(lambda last: committed.set() if last >= 4 else None)
    await asyncio.to_thread(spool.emit, prompt(4))
    await asyncio.to_thread(committed.wait, 30)

    spool.emit(prompt(5))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [e.seq for e in spool.query()] == [1, 2, 3, 4, 5]
    spool.close()


_WRITER = """
import sys
from pathlib import Path
from agentd.clock import SystemClock
from agentd.events import Stamper, UserPrompt
from agentd.record.spool import Spool
stamp = Stamper(host_id="h" * 32)
spool = Spool.open(Path(sys.argv[1]), max_bytes=10**9, retention_days=7, clock=SystemClock(), stamp=stamp)
i = 0
while True:
    for _ in range(50):
        spool.emit(stamp(UserPrompt, SystemClock().now(), message_index=i, chars=0))
        i += 1
    spool.flush()
    print(spool.statistics()["last_seq"], flush=True)
"""


def test_committed_events_survive_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    child = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True, cwd=os.getcwd()
    )
    try:
        assert child.stdout is not None
        reported = 0
        while reported < 2000:
            line = child.stdout.readline()
            assert line, "writer died"
            reported = int(line)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.communicate()
    spool = open_spool(path)
    seqs = [e.seq for e in spool.query()]
    assert len(seqs) >= reported
    assert seqs == list(range(1, len(seqs) + 1))
    spool.emit(prompt(0))
    spool.flush()
    assert spool.query(newest=True, limit=1)[0].seq == len(seqs) + 1
    spool.close()


def test_statistics_report_depth_age_and_drops(tmp_path: Path) -> None:
    spool = open_spool(tmp_path / "spool.sqlite3")
    stats = spool.statistics()
    assert stats["depth"] == 0
    assert stats["oldest_unshipped_age_seconds"] is None
    spool.emit(prompt(1))
    spool.flush()
    stats = spool.statistics()
    assert stats["depth"] == 1
    assert stats["oldest_unshipped_age_seconds"] >= 0
    assert stats["last_seq"] == 1
    assert stats["dropped"] == {}
    assert stats["bytes"] > 0
    spool.close()
