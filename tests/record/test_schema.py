import sqlite3
from pathlib import Path

import pytest

from agentd.clock import SystemClock
from agentd.errors import SpoolCorrupt
from agentd.events import Stamper, UserPrompt
from agentd.record.schema import SCHEMA_VERSION, connect, initialise, select_events
from agentd.wire.codec import encode_event

STAMP = Stamper(host_id="ab" * 16)


def test_initialise_is_idempotent_and_records_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    for _ in range(2):
        db = connect(path)
        initialise(db, path)
        assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (SCHEMA_VERSION,)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        db.close()


def test_a_future_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    db = connect(path)
    initialise(db, path)
    db.execute("UPDATE meta SET value = 99 WHERE key = 'schema'")
    db.close()
    db = connect(path)
    with pytest.raises(SpoolCorrupt, match="schema 99"):
        initialise(db, path)
    db.close()


def test_a_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE events (x)")
    other.commit()
    other.close()
    db = connect(path)
    with pytest.raises(SpoolCorrupt, match="unusable"):
        initialise(db, path)
    db.close()


def test_an_undecodable_row_is_reported_with_its_sequence(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    db = connect(path)
    initialise(db, path)
    good = STAMP(UserPrompt, SystemClock().now(), message_index=0, chars=0).model_copy(update={"seq": 1})
    rows = [
        (1, "a", 0, "user_prompt", 0, None, 0, 1, encode_event(good)),
        (2, "b", 0, "user_prompt", 0, None, 0, 1, b"\xff\xfe"),
    ]
    db.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    assert [e.seq for e in select_events(db, limit=1)] == [1]
    with pytest.raises(SpoolCorrupt, match="event 2"):
        select_events(db)
    db.close()
