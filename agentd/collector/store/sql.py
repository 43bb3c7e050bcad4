"""The collector's storage logic written once in portable SQL; the SQLite and PostgreSQL
backends supply a connection, placeholders, column types and locking.

Idempotence: events are keyed by (host, epoch, seq) and inserted with ON CONFLICT DO
NOTHING; a batch moves the host's chain with a compare-and-set UPDATE, so two collector
replicas that receive the same batch at once store it exactly once.
"""

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol

from agentd.collector.store.records import (
    AlertRow,
    BatchRows,
    ChainState,
    EventRow,
    HostFacts,
    HostRecord,
    InventoryRow,
    StoredPolicy,
    from_ms,
    to_ms,
)
from agentd.errors import AgentdError


class StoreError(AgentdError):
    """The collector's database cannot be reached or refused a statement; the RPC may be retried."""


class ChainMoved(Exception):
    """Another writer advanced the host's chain first; the caller re-reads and re-judges."""


@dataclass(frozen=True)
class Token:
    token_hash: str
    created_ms: int
    expires_ms: int
    max_uses: int | None
    uses: int


class Cursor(Protocol):
    """The small DB-API surface both drivers share (SQL written with ``?`` placeholders)."""

    @property
    def rowcount(self) -> int: ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


def migrations(types: dict[str, str]) -> list[str]:
    """Schema migrations in order; ``types`` names the backend's column types."""
    t = types
    return [
        f"""
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE tokens (
            token_hash TEXT PRIMARY KEY, created_ms {t["int"]} NOT NULL, expires_ms {t["int"]} NOT NULL,
            max_uses {t["int"]}, uses {t["int"]} NOT NULL DEFAULT 0);
        CREATE TABLE hosts (
            host_id TEXT PRIMARY KEY, public_key {t["blob"]} NOT NULL, key_id TEXT NOT NULL, token_hash TEXT,
            hostname TEXT NOT NULL, os TEXT NOT NULL, os_version TEXT NOT NULL, arch TEXT NOT NULL,
            agentd_version TEXT NOT NULL, users TEXT NOT NULL, enrolled_ms {t["int"]} NOT NULL,
            last_seen_ms {t["int"]}, epoch {t["int"]} NOT NULL DEFAULT 0,
            last_sequence {t["int"]} NOT NULL DEFAULT 0, last_digest {t["blob"]} NOT NULL,
            last_event_seq {t["int"]} NOT NULL DEFAULT 0, policy_version TEXT, spool_depth {t["int"]},
            dropped TEXT NOT NULL DEFAULT '{{}}', components TEXT NOT NULL DEFAULT '[]',
            events_stored {t["int"]} NOT NULL DEFAULT 0);
        CREATE TABLE batches (
            host_id TEXT NOT NULL, epoch {t["int"]} NOT NULL, sequence {t["int"]} NOT NULL,
            digest {t["blob"]} NOT NULL, first_seq {t["int"]} NOT NULL, last_seq {t["int"]} NOT NULL,
            count {t["int"]} NOT NULL, received_ms {t["int"]} NOT NULL,
            PRIMARY KEY (host_id, epoch, sequence));
        CREATE TABLE events (
            host_id TEXT NOT NULL, epoch {t["int"]} NOT NULL, seq {t["int"]} NOT NULL, id TEXT NOT NULL,
            time_ms {t["int"]} NOT NULL, kind TEXT NOT NULL, severity TEXT NOT NULL, session_id TEXT,
            agent_kind TEXT NOT NULL, agent_pid {t["int"]}, agent_exe TEXT, agent_user TEXT,
            batch_sequence {t["int"]} NOT NULL, received_ms {t["int"]} NOT NULL, details {t["json"]} NOT NULL,
            PRIMARY KEY (host_id, epoch, seq));
        CREATE INDEX events_by_time ON events (time_ms);
        CREATE INDEX events_by_kind ON events (kind, time_ms);
        CREATE TABLE alerts (
            id {t["serial"]}, host_id TEXT NOT NULL, time_ms {t["int"]} NOT NULL, rule_id TEXT NOT NULL,
            title TEXT NOT NULL, reason TEXT NOT NULL, severity TEXT NOT NULL, source TEXT NOT NULL,
            event_id TEXT, details {t["json"]} NOT NULL);
        CREATE UNIQUE INDEX alerts_by_event ON alerts (host_id, event_id) WHERE event_id IS NOT NULL;
        CREATE INDEX alerts_by_time ON alerts (time_ms);
        CREATE TABLE inventory (
            host_id TEXT NOT NULL, category TEXT NOT NULL, name TEXT NOT NULL, detail TEXT NOT NULL,
            first_seen_ms {t["int"]} NOT NULL, last_seen_ms {t["int"]} NOT NULL,
            PRIMARY KEY (host_id, category, name));
        CREATE TABLE policies (
            serial {t["int"]} PRIMARY KEY, version TEXT NOT NULL UNIQUE, created_ms {t["int"]} NOT NULL,
            payload {t["blob"]} NOT NULL, signature {t["blob"]} NOT NULL);
        """,
    ]


_HOST_COLUMNS = (
    "host_id, public_key, key_id, token_hash, hostname, os, os_version, arch, agentd_version, users,"
    " enrolled_ms, last_seen_ms, epoch, last_sequence, last_digest, last_event_seq, policy_version,"
    " spool_depth, dropped, components, events_stored"
)


class SqlStore(ABC):
    """Everything the collector persists. Methods are synchronous; the server calls them from
    worker threads. ``url`` is shown in logs with any password removed."""

    url: str
    types: ClassVar[dict[str, str]]
    json_param: ClassVar[str] = "?"

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Cursor]:
        """A cursor inside one transaction: committed on success, rolled back on error."""

    @abstractmethod
    def _lock_host_sql(self) -> str:
        """A statement (one ? parameter: host id) that serialises writers of one host's chain."""

    def close(self) -> None:  # noqa: B027 - backends without resources need nothing
        pass

    def _lock_migrations(self, cur: Cursor) -> None:  # noqa: B027 - SQLite's write lock is enough
        pass

    def migrate(self) -> int:
        """Apply the migrations this database lacks; return the schema version. Safe to run from
        several collector processes at once."""
        with self.transaction() as cur:
            self._lock_migrations(cur)
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                f" (version {self.types['int']} PRIMARY KEY, applied_ms {self.types['int']} NOT NULL)"
            )
            cur.execute("SELECT coalesce(max(version), 0) FROM schema_migrations")
            current = int(cur.fetchone()[0])
            scripts = migrations(self.types)
            if current > len(scripts):
                raise StoreError(f"database schema {current} is newer than this collector ({len(scripts)})")
            for version, script in enumerate(scripts, start=1):
                if version <= current:
                    continue
                for statement in script.split(";"):
                    if statement.strip():
                        cur.execute(statement)
                cur.execute("INSERT INTO schema_migrations (version, applied_ms) VALUES (?, 0)", (version,))
            return len(scripts)

    # ---- settings ----------------------------------------------------------------------------

    def setting(self, key: str) -> str | None:
        with self.transaction() as cur:
            cur.execute("SELECT value FROM settings WHERE key = ?", (key,))
            row = cur.fetchone()
        return None if row is None else str(row[0])

    def set_setting_once(self, key: str, value: str) -> str:
        """Store ``value`` unless ``key`` is already set; return whichever value is stored."""
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (key, value)
            )
            cur.execute("SELECT value FROM settings WHERE key = ?", (key,))
            return str(cur.fetchone()[0])

    # ---- tokens ------------------------------------------------------------------------------

    def add_token(self, token_hash: str, created: datetime, expires: datetime, max_uses: int | None) -> None:
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO tokens (token_hash, created_ms, expires_ms, max_uses, uses)"
                " VALUES (?, ?, ?, ?, 0)",
                (token_hash, to_ms(created), to_ms(expires), max_uses),
            )

    def token(self, token_hash: str) -> Token | None:
        with self.transaction() as cur:
            cur.execute(
                "SELECT token_hash, created_ms, expires_ms, max_uses, uses FROM tokens WHERE token_hash = ?",
                (token_hash,),
            )
            row = cur.fetchone()
        return None if row is None else Token(*row)

    # ---- hosts -------------------------------------------------------------------------------

    def host(self, host_id: str) -> HostRecord | None:
        with self.transaction() as cur:
            cur.execute(f"SELECT {_HOST_COLUMNS} FROM hosts WHERE host_id = ?", (host_id,))  # noqa: S608
            row = cur.fetchone()
        return None if row is None else _host(row)

    def hosts(self) -> list[HostRecord]:
        with self.transaction() as cur:
            cur.execute(f"SELECT {_HOST_COLUMNS} FROM hosts ORDER BY hostname, host_id")  # noqa: S608
            return [_host(row) for row in cur.fetchall()]

    def enroll(self, host: HostRecord, token_hash: str) -> None:
        """Insert or re-key ``host`` and count one use of the token, atomically. The chain
        state of a known host is kept: its spool carries on."""
        facts = host.facts
        with self.transaction() as cur:
            cur.execute("UPDATE tokens SET uses = uses + 1 WHERE token_hash = ?", (token_hash,))
            cur.execute(
                "INSERT INTO hosts (host_id, public_key, key_id, token_hash, hostname, os, os_version, arch,"
                " agentd_version, users, enrolled_ms, last_digest)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (host_id) DO UPDATE SET"
                " public_key = excluded.public_key, key_id = excluded.key_id,"
                " token_hash = excluded.token_hash, hostname = excluded.hostname, os = excluded.os,"
                " os_version = excluded.os_version, arch = excluded.arch,"
                " agentd_version = excluded.agentd_version, users = excluded.users",
                (
                    host.host_id,
                    host.public_key,
                    host.key_id,
                    token_hash,
                    facts.hostname,
                    facts.os,
                    facts.os_version,
                    facts.arch,
                    facts.agentd_version,
                    json.dumps(list(facts.users)),
                    to_ms(host.enrolled),
                    host.chain.digest,
                ),
            )

    def heartbeat(
        self,
        host_id: str,
        *,
        seen: datetime,
        agentd_version: str,
        policy_version: str,
        spool_depth: int,
        dropped: dict[str, int],
        components: list[dict[str, str]],
    ) -> None:
        with self.transaction() as cur:
            cur.execute(
                "UPDATE hosts SET last_seen_ms = ?, agentd_version = ?, policy_version = ?, spool_depth = ?,"
                " dropped = ?, components = ? WHERE host_id = ?",
                (
                    to_ms(seen),
                    agentd_version,
                    policy_version or None,
                    spool_depth,
                    json.dumps(dropped, sort_keys=True),
                    json.dumps(components),
                    host_id,
                ),
            )

    # ---- batches -----------------------------------------------------------------------------

    def store_batch(self, rows: BatchRows, expected: ChainState) -> None:
        """Advance the host's chain from ``expected`` and store the batch's rows, atomically.

        ChainMoved when the chain is no longer at ``expected`` (another replica got there first).
        """
        with self.transaction() as cur:
            lock = self._lock_host_sql()
            if lock:
                cur.execute(lock, (rows.host_id,))
            cur.execute(
                "UPDATE hosts SET epoch = ?, last_sequence = ?, last_digest = ?, last_event_seq = ?,"
                " last_seen_ms = ?, events_stored = events_stored + ?"
                " WHERE host_id = ? AND epoch = ? AND last_sequence = ? AND last_digest = ?",
                (
                    rows.epoch,
                    rows.sequence,
                    rows.digest,
                    rows.last_seq,
                    rows.received_ms,
                    len(rows.events),
                    rows.host_id,
                    expected.epoch,
                    expected.sequence,
                    expected.digest,
                ),
            )
            if cur.rowcount != 1:
                raise ChainMoved(rows.host_id)
            cur.execute(
                "INSERT INTO batches (host_id, epoch, sequence, digest, first_seq, last_seq, count,"
                " received_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (
                    rows.host_id,
                    rows.epoch,
                    rows.sequence,
                    rows.digest,
                    rows.first_seq,
                    rows.last_seq,
                    len(rows.events),
                    rows.received_ms,
                ),
            )
            if rows.events:
                cur.executemany(
                    "INSERT INTO events (host_id, epoch, seq, id, time_ms, kind, severity, session_id,"  # noqa: S608
                    " agent_kind, agent_pid, agent_exe, agent_user, batch_sequence, received_ms, details)"
                    f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {self.json_param})"
                    " ON CONFLICT DO NOTHING",
                    [row.params() for row in rows.events],
                )
            self._insert_alerts(cur, rows.alerts)
            if rows.inventory:
                cur.executemany(
                    "INSERT INTO inventory (host_id, category, name, detail, first_seen_ms, last_seen_ms)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (host_id, category, name) DO UPDATE SET"
                    " detail = excluded.detail, last_seen_ms = excluded.last_seen_ms",
                    [
                        (i.host_id, i.category, i.name, i.detail, i.first_seen_ms, i.last_seen_ms)
                        for i in rows.inventory
                    ],
                )

    def batch_digest(self, host_id: str, epoch: int, sequence: int) -> bytes | None:
        with self.transaction() as cur:
            cur.execute(
                "SELECT digest FROM batches WHERE host_id = ? AND epoch = ? AND sequence = ?",
                (host_id, epoch, sequence),
            )
            row = cur.fetchone()
        return None if row is None else bytes(row[0])

    # ---- alerts ------------------------------------------------------------------------------

    def add_alert(self, alert: AlertRow) -> None:
        with self.transaction() as cur:
            self._insert_alerts(cur, [alert])

    def _insert_alerts(self, cur: Cursor, alerts: Sequence[AlertRow]) -> None:
        if not alerts:
            return
        cur.executemany(
            "INSERT INTO alerts (host_id, time_ms, rule_id, title, reason, severity, source, event_id,"  # noqa: S608
            f" details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, {self.json_param}) ON CONFLICT DO NOTHING",
            [
                (
                    a.host_id,
                    a.time_ms,
                    a.rule_id,
                    a.title,
                    a.reason,
                    a.severity,
                    a.source,
                    a.event_id,
                    a.details,
                )
                for a in alerts
            ],
        )

    def alerts(
        self, *, host_id: str | None = None, since: datetime | None = None, limit: int = 1000
    ) -> list[AlertRow]:
        where, params = _filters(host_id=host_id, since=since)
        with self.transaction() as cur:
            cur.execute(
                "SELECT host_id, time_ms, rule_id, title, reason, severity, source, event_id, details, id"  # noqa: S608
                f" FROM alerts{where} ORDER BY time_ms, id LIMIT ?",
                (*params, limit),
            )
            return [_alert(row) for row in cur.fetchall()]

    # ---- events and inventory ----------------------------------------------------------------

    def events(
        self,
        *,
        host_id: str | None = None,
        kinds: Sequence[str] = (),
        since: datetime | None = None,
        limit: int | None = 1000,
    ) -> list[EventRow]:
        """Stored events in (host, epoch, seq) order."""
        return list(self.iter_events(host_id=host_id, kinds=kinds, since=since, limit=limit))

    def iter_events(
        self,
        *,
        host_id: str | None = None,
        kinds: Sequence[str] = (),
        since: datetime | None = None,
        limit: int | None = None,
    ) -> Iterator[EventRow]:
        where, params = _filters(host_id=host_id, since=since, kinds=kinds)
        sql = (
            "SELECT host_id, epoch, seq, id, time_ms, kind, severity, session_id, agent_kind, agent_pid,"  # noqa: S608
            f" agent_exe, agent_user, batch_sequence, received_ms, details FROM events{where}"
            " ORDER BY host_id, epoch, seq"
        )
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self.transaction() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall()
        for row in rows:
            yield _event(row)

    def count_events(self, host_id: str | None = None) -> int:
        where, params = _filters(host_id=host_id)
        with self.transaction() as cur:
            cur.execute(f"SELECT count(*) FROM events{where}", params)  # noqa: S608
            return int(cur.fetchone()[0])

    def inventory(self, *, host_id: str | None = None) -> list[InventoryRow]:
        where, params = _filters(host_id=host_id)
        with self.transaction() as cur:
            cur.execute(
                "SELECT host_id, category, name, detail, first_seen_ms, last_seen_ms"  # noqa: S608
                f" FROM inventory{where} ORDER BY host_id, category, name",
                params,
            )
            return [InventoryRow(*row) for row in cur.fetchall()]

    # ---- policies ----------------------------------------------------------------------------

    def next_policy_serial(self) -> int:
        with self.transaction() as cur:
            cur.execute("SELECT coalesce(max(serial), 0) FROM policies")
            return int(cur.fetchone()[0]) + 1

    def publish_policy(self, policy: StoredPolicy) -> None:
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO policies (serial, version, created_ms, payload, signature)"
                " VALUES (?, ?, ?, ?, ?)",
                (policy.serial, policy.version, policy.created_ms, policy.payload, policy.signature),
            )

    def latest_policy(self) -> StoredPolicy | None:
        with self.transaction() as cur:
            cur.execute(
                "SELECT serial, version, created_ms, payload, signature FROM policies"
                " ORDER BY serial DESC LIMIT 1"
            )
            row = cur.fetchone()
        return None if row is None else StoredPolicy(row[0], row[1], row[2], bytes(row[3]), bytes(row[4]))


def _filters(
    *, host_id: str | None = None, since: datetime | None = None, kinds: Sequence[str] = ()
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if host_id is not None:
        clauses.append("host_id = ?")
        params.append(host_id)
    if since is not None:
        clauses.append("time_ms >= ?")
        params.append(to_ms(since))
    if kinds:
        clauses.append(f"kind IN ({', '.join('?' * len(kinds))})")
        params.extend(kinds)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _text(value: Any) -> str:
    """JSON columns come back as text from SQLite and as parsed values from PostgreSQL."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _host(row: Sequence[Any]) -> HostRecord:
    return HostRecord(
        host_id=row[0],
        public_key=bytes(row[1]),
        key_id=row[2],
        token_hash=row[3],
        facts=HostFacts(
            hostname=row[4],
            os=row[5],
            os_version=row[6],
            arch=row[7],
            agentd_version=row[8],
            users=tuple(json.loads(row[9])),
        ),
        enrolled=from_ms(row[10]) or datetime.min,
        last_seen=from_ms(row[11]),
        chain=ChainState(epoch=row[12], sequence=row[13], digest=bytes(row[14]), last_event_seq=row[15]),
        policy_version=row[16],
        spool_depth=row[17],
        dropped=json.loads(row[18]),
        components=json.loads(row[19]),
        events_stored=row[20],
    )


def _alert(row: Sequence[Any]) -> AlertRow:
    host_id, time_ms, rule_id, title, reason, severity, source, event_id, details, alert_id = row
    return AlertRow(
        host_id=host_id,
        time_ms=time_ms,
        rule_id=rule_id,
        title=title,
        reason=reason,
        severity=severity,
        source=source,
        event_id=event_id,
        details=_text(details),
        id=alert_id,
    )


def _event(row: Sequence[Any]) -> EventRow:
    return EventRow(
        host_id=row[0],
        epoch=row[1],
        seq=row[2],
        id=row[3],
        time_ms=row[4],
        kind=row[5],
        severity=row[6],
        session_id=row[7],
        agent_kind=row[8],
        agent_pid=row[9],
        agent_exe=row[10],
        agent_user=row[11],
        batch_sequence=row[12],
        received_ms=row[13],
        details=_text(row[14]),
    )
