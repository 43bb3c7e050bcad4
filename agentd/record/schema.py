"""The spool's SQLite schema and the read side shared by the daemon and `agentd events`.

One table of events (protobuf bytes plus the columns queries filter on), the outbox's sealed
batches, and a small key/value ``meta`` table for cursors and counters.
"""

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from agentd.errors import ParseError, SpoolCorrupt, SpoolError
from agentd.events import Event
from agentd.wire.codec import decode_event

SCHEMA_VERSION = 1

# auto_vacuum must be chosen before the first table exists; it lets maintenance hand pages
# freed by the disk cap back to the file system.
_PRAGMAS = (
    "PRAGMA auto_vacuum=INCREMENTAL",
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=5000",
)

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
    seq        INTEGER PRIMARY KEY,
    id         TEXT    NOT NULL,
    time_ms    INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    severity   INTEGER NOT NULL,
    session_id TEXT,
    protected  INTEGER NOT NULL,
    size       INTEGER NOT NULL,
    payload    BLOB    NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_kind ON events (kind, seq);
CREATE INDEX IF NOT EXISTS events_by_session ON events (session_id, seq);
CREATE INDEX IF NOT EXISTS events_droppable ON events (protected, severity, seq);
CREATE TABLE IF NOT EXISTS batches (
    sequence  INTEGER PRIMARY KEY,
    first_seq INTEGER NOT NULL,
    last_seq  INTEGER NOT NULL,
    count     INTEGER NOT NULL,
    digest    BLOB    NOT NULL,
    wire      BLOB    NOT NULL
);
"""

# Per-row bytes beyond the payload (row header, columns, three index entries): the disk cap
# counts them so that many tiny events cannot outgrow it unnoticed.
ROW_OVERHEAD = 96


def connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """An autocommit connection to the spool; SpoolError when the file cannot be opened."""
    try:
        if read_only:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        else:
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise SpoolError(f"cannot open spool {path}: {exc}") from exc
    return db


def initialise(db: sqlite3.Connection, path: Path) -> None:
    """Apply pragmas and create the tables; SpoolCorrupt when the file is not a usable spool."""
    try:
        for pragma in _PRAGMAS:
            db.execute(pragma)
        db.executescript(_DDL)
        version = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if version is None:
            db.execute("INSERT INTO meta (key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))
        elif version[0] != SCHEMA_VERSION:
            raise SpoolCorrupt(f"spool {path} has schema {version[0]!r}, expected {SCHEMA_VERSION}")
        db.execute("SELECT max(seq), count(*) FROM events").fetchone()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise SpoolError(f"spool {path} is locked by another process: {exc}") from exc
        raise SpoolCorrupt(f"spool {path} is unusable: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        raise SpoolCorrupt(f"spool {path} is unusable: {exc}") from exc


@dataclass(frozen=True, slots=True)
class SpooledEvent:
    """One committed event as the outbox hands it to the shipper: protobuf bytes, not a model."""

    seq: int
    kind: str
    payload: bytes


def select_events(
    db: sqlite3.Connection,
    *,
    kinds: Sequence[str] = (),
    session_id: str | None = None,
    after_seq: int = 0,
    limit: int | None = None,
    newest: bool = False,
) -> list[Event]:
    """Committed events in sequence order; ``newest`` takes the last ``limit`` instead of the first."""
    where = ["seq > ?"]
    params: list[object] = [after_seq]
    if kinds:
        where.append(f"kind IN ({', '.join('?' * len(kinds))})")
        params.extend(kinds)
    if session_id is not None:
        where.append("session_id = ?")
        params.append(session_id)
    order = "DESC" if newest else "ASC"
    sql = f"SELECT seq, payload FROM events WHERE {' AND '.join(where)} ORDER BY seq {order}"  # noqa: S608 - only placeholders are interpolated
    if limit is not None:
        sql += " LIMIT ?"
        params.append(max(limit, 0))
    rows = db.execute(sql, params).fetchall()
    if newest:
        rows.reverse()
    return list(_decode_rows(rows))


def _decode_rows(rows: Iterable[tuple[int, bytes]]) -> Iterable[Event]:
    for seq, payload in rows:
        try:
            yield decode_event(payload)
        except ParseError as exc:
            raise SpoolCorrupt(f"event {seq} in the spool cannot be decoded: {exc}") from exc
