"""The durable spool: events committed in groups to SQLite (WAL) under a monotonic per-host
sequence, the outbox the shipper seals into batches, local retention, and a disk cap that
drops the lowest-severity unshipped events first but never alerts or decisions.
"""

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agentd.clock import Clock
from agentd.errors import SpoolCorrupt, SpoolError
from agentd.events import Event, InternalError, Severity, Stamper, TelemetryDropped, ToolCall
from agentd.record.schema import ROW_OVERHEAD, SpooledEvent, connect, initialise, select_events
from agentd.wire.codec import encode_event

log = logging.getLogger(__name__)

# What a security team must always receive: the disk cap never drops these.
PROTECTED_KINDS = frozenset(
    {
        "alert",
        "approval_requested",
        "approval_granted",
        "approval_denied",
        "policy_updated",
        "telemetry_dropped",
    }
)


def is_protected(event: Event) -> bool:
    """Alerts, approvals, drop records and tool calls that carry a decision."""
    if event.kind in PROTECTED_KINDS:
        return True
    return isinstance(event, ToolCall) and event.decision is not None


@dataclass(frozen=True, slots=True)
class SealedBatch:
    """A batch the shipper built from consecutive outbox events; ``wire`` is what it sends."""

    sequence: int
    first_seq: int
    last_seq: int
    count: int
    digest: bytes
    wire: bytes


BatchBuilder = Callable[[Sequence[SpooledEvent], int, bytes], SealedBatch]
"""(events, batch sequence, previous batch digest) -> the sealed batch. Must be pure and fast:
it runs under the spool's lock so the disk cap cannot drop an event while it is being sealed."""


@dataclass(frozen=True, slots=True)
class OutboxState:
    unsealed: int
    oldest_unsealed: datetime | None


_INSERT_EVENT = (
    "INSERT INTO events (seq, id, time_ms, kind, severity, session_id, protected, size, payload)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_LOW_WATER = 0.9  # the cap frees down to 90% so it does not run on every commit once full
_MAINTENANCE_SECONDS = 60.0
_ERROR_BACKOFF_SECONDS = 1.0


class Spool:
    """The daemon's EventSink and Component ("spool"). Thread-safe: emit from any thread."""

    name = "spool"

    def __init__(
        self,
        path: Path,
        db: sqlite3.Connection,
        *,
        max_bytes: int,
        retention_days: int,
        clock: Clock,
        stamp: Stamper,
        commit_interval: float,
        max_buffered: int,
        local_only: bool,
    ) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.retention_days = retention_days
        self.local_only = local_only
        self._db = db
        self._clock = clock
        self._stamp = stamp
        self._commit_interval = commit_interval
        self._max_buffered = max_buffered
        self._db_lock = threading.RLock()
        self._buffer_lock = threading.Lock()
        self._buffer: list[Event] = []
        self._overflow: Counter[str] = Counter()
        self._listeners: list[Callable[[int], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._wake: asyncio.Event | None = None
        self._errors = 0
        self._last_error: str | None = None
        self._over_cap = False
        self._load_state()

    # ---- opening -------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        max_bytes: int,
        retention_days: int,
        clock: Clock,
        stamp: Stamper,
        commit_interval: float = 0.05,
        max_buffered: int = 200_000,
        local_only: bool = False,
    ) -> "Spool":
        """Open (or create) the spool at ``path``; a corrupt file is moved aside and recorded.

        SpoolError when the directory or file cannot be used at all.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise SpoolError(f"cannot create the spool directory {path.parent}: {exc.strerror}") from exc
        recovered: tuple[Path, str] | None = None
        db = connect(path)
        try:
            initialise(db, path)
        except SpoolCorrupt as exc:
            db.close()
            aside = _move_aside(path, clock.now())
            log.error("spool was corrupt; moved aside", extra={"aside": str(aside), "reason": str(exc)})
            db = connect(path)
            initialise(db, path)
            recovered = (aside, str(exc))
        except SpoolError:
            db.close()
            raise
        with contextlib.suppress(OSError):
            path.chmod(0o600)
        spool = cls(
            path,
            db,
            max_bytes=max_bytes,
            retention_days=retention_days,
            clock=clock,
            stamp=stamp,
            commit_interval=commit_interval,
            max_buffered=max_buffered,
            local_only=local_only,
        )
        if recovered is not None:
            spool.emit(spool._corruption_event(*recovered))
            spool.flush()
        return spool

    def _load_state(self) -> None:
        db = self._db
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        max_seq, total = db.execute(
            "SELECT coalesce(max(seq), 0), coalesce(sum(size), 0) FROM events"
        ).fetchone()
        self._last_seq = max(int(meta.get("last_seq", 0)), int(max_seq))
        self._sealed_seq = int(meta.get("sealed_seq", 0))
        self._shipped_seq = int(meta.get("shipped_seq", 0))
        self._tip_sequence = int(meta.get("tip_sequence", 0))
        self._tip_digest = bytes(meta.get("tip_digest", b"\x00" * 32))
        if "epoch" not in meta:
            meta["epoch"] = int(self._clock.now().timestamp() * 1000)
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('epoch', ?)", (meta["epoch"],))
        self._epoch = int(meta["epoch"])
        self._dropped: Counter[str] = Counter(_decode_counts(meta.get("dropped")))
        self._bytes = int(total)
        (self._unshipped,) = db.execute(
            "SELECT count(*) FROM events WHERE seq > ?", (self._shipped_seq,)
        ).fetchone()
        (self._unsealed,) = db.execute(
            "SELECT count(*) FROM events WHERE seq > ?", (self._sealed_seq,)
        ).fetchone()
        self._refresh_oldest_unshipped()

    # ---- the sink ------------------------------------------------------------------------

    def emit(self, event: Event) -> None:
        """Buffer ``event`` for the next group commit; never blocks on disk.

        Past ``max_buffered`` events (the disk is failing) unprotected events are counted and
        dropped; the count is committed as a ``telemetry_dropped`` event once the disk recovers.
        """
        with self._buffer_lock:
            if len(self._buffer) >= self._max_buffered and not is_protected(event):
                self._overflow[event.kind] += 1
                return
            self._buffer.append(event)
            first = len(self._buffer) == 1
        if first:
            self._wake_committer()

    def _wake_committer(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is None or wake is None:
            return
        if threading.get_ident() == self._loop_thread:
            wake.set()
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed under us
                loop.call_soon_threadsafe(wake.set)

    def add_commit_listener(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(last_seq)`` after every commit, from the committing thread."""
        self._listeners.append(listener)

    def flush(self) -> int:
        """Commit everything buffered now, in one transaction; return how many events.

        SpoolError when the disk refuses; the events stay buffered for the next attempt.
        """
        with self._buffer_lock:
            events, self._buffer = self._buffer, []
            overflow, self._overflow = self._overflow, Counter()
        if not events and not overflow:
            return 0
        with self._db_lock:
            try:
                last_seq = self._commit(events, overflow)
            except sqlite3.DatabaseError as exc:
                self._errors += 1
                self._last_error = f"{type(exc).__name__}: {exc}"
                if _is_corruption(exc):
                    self._recover(str(exc))
                    last_seq = self._commit(events, overflow)
                else:
                    with self._buffer_lock:
                        self._buffer[:0] = events
                        self._overflow.update(overflow)
                    raise SpoolError(f"cannot commit to the spool {self.path}: {exc}") from exc
        for listener in self._listeners:
            listener(last_seq)
        return len(events)

    def _commit(self, events: Sequence[Event], overflow: Counter[str]) -> int:
        seq = self._last_seq
        rows = []
        for event in events:
            seq += 1
            rows.append(_row(event, seq))
        if overflow:
            seq += 1
            dropped = self._stamp(
                TelemetryDropped, self._clock.now(), severity=Severity.MEDIUM, counts=dict(overflow)
            )
            rows.append(_row(dropped, seq))
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(
                _INSERT_EVENT,
                rows,
            )
            _set_meta(db, last_seq=seq)
            if overflow:
                _set_meta(db, dropped=_encode_counts(self._dropped + overflow))
            db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        self._last_seq = seq
        self._dropped.update(overflow)
        self._bytes += sum(row[7] for row in rows)
        self._unshipped += len(rows)
        self._unsealed += len(rows)
        if self._oldest_unshipped_ms is None and rows:
            self._refresh_oldest_unshipped()
        if self._bytes > self.max_bytes:
            self._enforce_cap()
        return self._last_seq

    # ---- disk cap and retention ------------------------------------------------------------

    def _enforce_cap(self) -> None:
        """Free space down to the low-water mark: shipped copies first, then unsealed events by
        (severity, age); protected events are never touched. Records what it dropped."""
        target = int(self.max_bytes * _LOW_WATER)
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            need = self._bytes - target
            freed_shipped = 0
            cutoff = 0
            for seq, size in db.execute(
                "SELECT seq, size FROM events WHERE seq <= ? ORDER BY seq", (self._shipped_seq,)
            ):
                if freed_shipped >= need:
                    break
                freed_shipped += size
                cutoff = seq
            if cutoff:
                db.execute("DELETE FROM events WHERE seq <= ?", (cutoff,))
            need -= freed_shipped
            victims: list[tuple[int]] = []
            counts: Counter[str] = Counter()
            freed_unshipped = 0
            if need > 0:
                for seq, kind, size in db.execute(
                    "SELECT seq, kind, size FROM events WHERE protected = 0 AND seq > ?"
                    " ORDER BY severity, seq",
                    (self._sealed_seq,),
                ):
                    if freed_unshipped >= need:
                        break
                    victims.append((seq,))
                    counts[kind] += 1
                    freed_unshipped += size
                db.executemany("DELETE FROM events WHERE seq = ?", victims)
            record: tuple[Any, ...] | None = None
            if counts:
                dropped = self._stamp(
                    TelemetryDropped,
                    self._clock.now(),
                    severity=Severity.MEDIUM,
                    counts=dict(counts),
                    bytes_dropped=freed_unshipped,
                )
                record = _row(dropped, self._last_seq + 1)
                db.execute(
                    _INSERT_EVENT,
                    record,
                )
                _set_meta(db, last_seq=self._last_seq + 1, dropped=_encode_counts(self._dropped + counts))
            db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        self._bytes -= freed_shipped + freed_unshipped
        self._unshipped -= len(victims)
        self._unsealed -= len(victims)
        if record is not None:
            self._last_seq += 1
            self._bytes += record[7]
            self._unshipped += 1
            self._unsealed += 1
            self._dropped.update(counts)
            log.warning(
                "spool disk cap reached: dropped unshipped events",
                extra={"counts": dict(counts), "bytes": freed_unshipped},
            )
        self._refresh_oldest_unshipped()
        over = self._bytes > self.max_bytes
        if over and not self._over_cap:
            log.error(
                "spool is over its disk cap with only protected events left", extra={"bytes": self._bytes}
            )
        self._over_cap = over

    def maintain(self) -> int:
        """Delete events past retention (shipped ones, or all when local-only); return how many."""
        cutoff = self._clock.now() - timedelta(days=self.retention_days)
        cutoff_ms = int(cutoff.timestamp() * 1000)
        bound = self._last_seq if self.local_only else self._shipped_seq
        with self._db_lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                count, size = db.execute(
                    "SELECT count(*), coalesce(sum(size), 0) FROM events WHERE seq <= ? AND time_ms < ?",
                    (bound, cutoff_ms),
                ).fetchone()
                db.execute("DELETE FROM events WHERE seq <= ? AND time_ms < ?", (bound, cutoff_ms))
                db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise
            self._bytes -= int(size)
            if self.local_only:
                self._unshipped = max(0, self._unshipped - int(count))
                self._unsealed = max(0, self._unsealed - int(count))
                self._refresh_oldest_unshipped()
            db.execute("PRAGMA incremental_vacuum(2000)")
        return int(count)

    # ---- the outbox ------------------------------------------------------------------------

    @property
    def epoch(self) -> int:
        """When this spool file was created (ms); a fresh spool starts a new batch chain."""
        return self._epoch

    @property
    def host_id(self) -> str:
        return self._stamp.host_id

    def outbox_state(self) -> OutboxState:
        with self._db_lock:
            row = self._db.execute(
                "SELECT time_ms FROM events WHERE seq > ? ORDER BY seq LIMIT 1", (self._sealed_seq,)
            ).fetchone()
            oldest = None if row is None else _from_ms(row[0])
            return OutboxState(unsealed=self._unsealed, oldest_unsealed=oldest)

    def seal_next(self, build: BatchBuilder, *, max_events: int, max_bytes: int) -> SealedBatch | None:
        """Seal the oldest unsealed events (at most ``max_events``, about ``max_bytes``) into the
        next batch of the chain, durably; None when there is nothing to seal."""
        with self._db_lock:
            taken: list[SpooledEvent] = []
            size = 0
            for seq, kind, payload in self._db.execute(
                "SELECT seq, kind, payload FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                (self._sealed_seq, max_events),
            ):
                if taken and size + len(payload) > max_bytes:
                    break
                taken.append(SpooledEvent(seq, kind, bytes(payload)))
                size += len(payload)
            if not taken:
                return None
            batch = build(taken, self._tip_sequence + 1, self._tip_digest)
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(
                    "INSERT INTO batches (sequence, first_seq, last_seq, count, digest, wire)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (batch.sequence, batch.first_seq, batch.last_seq, batch.count, batch.digest, batch.wire),
                )
                _set_meta(db, sealed_seq=batch.last_seq, tip_sequence=batch.sequence, tip_digest=batch.digest)
                db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise
            self._sealed_seq = batch.last_seq
            self._tip_sequence = batch.sequence
            self._tip_digest = batch.digest
            self._unsealed -= len(taken)
            return batch

    def pending(self) -> list[SealedBatch]:
        """Sealed batches the collector has not acknowledged, oldest first (resent as they are)."""
        with self._db_lock:
            rows = self._db.execute(
                "SELECT sequence, first_seq, last_seq, count, digest, wire FROM batches ORDER BY sequence"
            ).fetchall()
        return [SealedBatch(r[0], r[1], r[2], r[3], bytes(r[4]), bytes(r[5])) for r in rows]

    def acknowledge(self, sequence: int) -> None:
        """The collector stored batch ``sequence`` (and so every batch before it)."""
        with self._db_lock:
            db = self._db
            rows = db.execute(
                "SELECT last_seq, count FROM batches WHERE sequence <= ? ORDER BY sequence", (sequence,)
            ).fetchall()
            if not rows:
                return
            shipped = rows[-1][0]
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("DELETE FROM batches WHERE sequence <= ?", (sequence,))
                _set_meta(db, shipped_seq=shipped)
                db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise
            self._shipped_seq = shipped
            self._unshipped -= sum(r[1] for r in rows)
            self._refresh_oldest_unshipped()

    def chain_tip(self) -> tuple[int, bytes]:
        """The last sealed batch's sequence and digest (0 and 32 zero bytes before the first)."""
        return self._tip_sequence, self._tip_digest

    # ---- local queries ---------------------------------------------------------------------

    def query(
        self,
        kinds: Sequence[str] = (),
        session_id: str | None = None,
        after_seq: int = 0,
        limit: int | None = None,
        *,
        newest: bool = False,
    ) -> list[Event]:
        """Committed events in sequence order (buffered ones are not visible until the next commit)."""
        with self._db_lock:
            return select_events(
                self._db, kinds=kinds, session_id=session_id, after_seq=after_seq, limit=limit, newest=newest
            )

    # ---- the component ---------------------------------------------------------------------

    async def serve(self) -> None:
        """Group-commit what producers emit, run retention; flush everything on cancel."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._wake = wake = asyncio.Event()
        with self._buffer_lock:
            if self._buffer:
                wake.set()
        next_maintenance = self._clock.monotonic()
        try:
            while True:
                if self._clock.monotonic() >= next_maintenance:
                    await self._guarded(self.maintain)
                    next_maintenance = self._clock.monotonic() + _MAINTENANCE_SECONDS
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), max(0.0, next_maintenance - self._clock.monotonic()))
                if wake.is_set():
                    wake.clear()
                    await self._clock.sleep(self._commit_interval)  # let a group gather
                    if not await self._guarded(self.flush):
                        await self._clock.sleep(_ERROR_BACKOFF_SECONDS)
                        wake.set()
        finally:
            self._loop = self._loop_thread = self._wake = None
            try:
                self.flush()
            except SpoolError:
                log.exception("spool: final flush failed")

    async def _guarded(self, work: Callable[[], object]) -> bool:
        try:
            await asyncio.to_thread(work)
        except (SpoolError, sqlite3.Error) as exc:
            self._errors += 1
            self._last_error = f"{type(exc).__name__}: {exc}"
            log.warning("spool operation failed", extra={"error": self._last_error})
            return False
        return True

    def statistics(self) -> Mapping[str, Any]:
        oldest = self._oldest_unshipped_ms
        age = None
        if oldest is not None:
            age = max(0.0, round(self._clock.now().timestamp() - oldest / 1000, 3))
        return {
            "state": "over_cap" if self._over_cap else ("error" if self._last_error else "ok"),
            "path": str(self.path),
            "depth": self._unshipped,
            "oldest_unshipped_age_seconds": age,
            "dropped": dict(self._dropped),
            "last_seq": self._last_seq,
            "shipped_seq": self._shipped_seq,
            "bytes": self._bytes,
            "max_bytes": self.max_bytes,
            "buffered": len(self._buffer),
            "errors": self._errors,
            "last_error": self._last_error,
        }

    def close(self) -> None:
        """Commit what is buffered and close the file."""
        try:
            self.flush()
        finally:
            with self._db_lock:
                self._db.close()

    # ---- internals -------------------------------------------------------------------------

    def _refresh_oldest_unshipped(self) -> None:
        row = self._db.execute(
            "SELECT time_ms FROM events WHERE seq > ? ORDER BY seq LIMIT 1", (self._shipped_seq,)
        ).fetchone()
        self._oldest_unshipped_ms: int | None = None if row is None else int(row[0])

    def _recover(self, reason: str) -> None:
        """The file went bad under us: move it aside and continue in a fresh one.

        The in-memory sequence carries on, so event numbers stay monotonic for this host."""
        last_seq = self._last_seq
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        aside = _move_aside(self.path, self._clock.now())
        log.error("spool became corrupt; moved aside", extra={"aside": str(aside), "reason": reason})
        self._db = connect(self.path)
        initialise(self._db, self.path)
        self._load_state()
        self._last_seq = max(self._last_seq, last_seq)
        _set_meta(self._db, last_seq=self._last_seq)
        with self._buffer_lock:
            self._buffer.insert(0, self._corruption_event(aside, reason))

    def _corruption_event(self, aside: Path, reason: str) -> InternalError:
        return self._stamp(
            InternalError,
            self._clock.now(),
            severity=Severity.HIGH,
            component="spool",
            error="SpoolCorrupt",
            message=f"the spool file was unreadable and was moved aside to {aside.name}; a fresh one started",
            context=reason[:500],
        )


def _row(event: Event, seq: int) -> tuple[Any, ...]:
    # The sequence is appended as a second `seq` field rather than set on a copy of the event:
    # protobuf readers keep the last value of a scalar field, and copying every event on the
    # commit path cost more than encoding it.
    payload = encode_event(event) + _SEQ_TAG + _varint(seq)
    return (
        seq,
        event.id,
        int(event.time.timestamp() * 1000),
        event.kind,
        event.severity.rank,
        event.session_id,
        1 if is_protected(event) else 0,
        len(payload) + ROW_OVERHEAD,
        payload,
    )


_SEQ_TAG = b"\x18"  # agentd.v1.Event field 3 (seq), varint


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _set_meta(db: sqlite3.Connection, **values: object) -> None:
    db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(values.items()))


def _encode_counts(counts: Mapping[str, int]) -> str:
    return ",".join(f"{kind}={n}" for kind, n in sorted(counts.items()))


def _decode_counts(value: object) -> dict[str, int]:
    if not isinstance(value, str) or not value:
        return {}
    counts = {}
    for part in value.split(","):
        kind, _, n = part.partition("=")
        if n.isdigit():
            counts[kind] = int(n)
    return counts


def _from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    if isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or "malformed" in str(exc)


def _move_aside(path: Path, now: datetime) -> Path:
    """Rename the spool (and its WAL files) to ``NAME.corrupt-TIMESTAMP`` for later inspection."""
    suffix = now.strftime("%Y%m%dT%H%M%S%fZ")
    aside = path.with_name(f"{path.name}.corrupt-{suffix}")
    for extra in ("", "-wal", "-shm"):
        source = path.with_name(path.name + extra)
        with contextlib.suppress(FileNotFoundError):
            source.rename(path.with_name(aside.name + extra))
    return aside
