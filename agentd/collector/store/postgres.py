"""The fleet collector store: PostgreSQL through psycopg 3, shared by stateless collector replicas.

Statements are written once with ``?`` placeholders (see sql.py) and rewritten to psycopg's
``%s`` here; a small pool of connections lets concurrent RPCs proceed in parallel.
"""

import queue
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import psycopg

from agentd.collector.store.sql import Cursor, SqlStore, StoreError

_PLACEHOLDER = re.compile(r"\?")
_MIGRATION_LOCK = 0x61676E74  # "agnt": one advisory lock id for schema migrations


def _sql(statement: str) -> str:
    return _PLACEHOLDER.sub("%s", statement)


def redact_url(url: str) -> str:
    """The URL with any password replaced, for logs and status."""
    return re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", url)


class _Cursor:
    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._cursor.execute(_sql(sql), params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        return self._cursor.executemany(_sql(sql), rows)

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()


class PostgresStore(SqlStore):
    types: ClassVar[dict[str, str]] = {
        "int": "BIGINT",
        "blob": "BYTEA",
        "json": "JSONB",
        "serial": "BIGSERIAL PRIMARY KEY",
    }
    json_param: ClassVar[str] = "?::jsonb"

    def __init__(self, url: str, *, pool_size: int = 4, connect_timeout: float = 10) -> None:
        self.url = redact_url(url)
        self._dsn = url
        self._timeout = connect_timeout
        self._pool: queue.LifoQueue[psycopg.Connection[Any]] = queue.LifoQueue()
        self._size = pool_size
        self._open = 0
        self._closed = False
        # Fail fast on a bad URL or an unreachable server rather than on the first RPC.
        self._pool.put(self._connect())

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(self._dsn, autocommit=True, connect_timeout=int(self._timeout))
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to {self.url}: {_reason(exc)}") from exc
        self._open += 1
        return conn

    def _acquire(self) -> psycopg.Connection[Any]:
        try:
            return self._pool.get_nowait()
        except queue.Empty:
            if self._open < self._size:
                return self._connect()
            return self._pool.get(timeout=60)

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        if self._closed:
            raise StoreError(f"{self.url}: store is closed")
        conn = self._acquire()
        try:
            with conn.transaction(), conn.cursor() as cur:
                yield _Cursor(cur)
        except psycopg.Error as exc:
            if conn.broken or conn.closed:
                self._open -= 1
                conn = None  # type: ignore[assignment] # dropped from the pool
            raise StoreError(f"{self.url}: {_reason(exc)}") from exc
        finally:
            if conn is not None:
                self._pool.put(conn)

    def _lock_host_sql(self) -> str:
        return "SELECT 1 FROM hosts WHERE host_id = ? FOR UPDATE"

    def _lock_migrations(self, cur: Cursor) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                return


def _reason(exc: psycopg.Error) -> str:
    # psycopg messages can echo the connection string; keep the first line, drop passwords.
    return redact_url(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
