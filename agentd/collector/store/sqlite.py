"""The embedded collector store: one SQLite file (WAL), for a pilot or a small fleet."""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

from agentd.collector.store.sql import Cursor, SqlStore, StoreError


class SqliteStore(SqlStore):
    types: ClassVar[dict[str, str]] = {
        "int": "INTEGER",
        "blob": "BLOB",
        "json": "TEXT",
        "serial": "INTEGER PRIMARY KEY AUTOINCREMENT",
    }

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite://{path}"
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the collector database {path}: {exc}") from exc
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            path.chmod(0o600)
        except (OSError, sqlite3.Error) as exc:
            self._db.close()
            raise StoreError(f"cannot open the collector database {path}: {exc}") from exc
        # One connection, one writer at a time: SQLite serialises writers anyway.
        self._lock = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        with self._lock:
            cur = self._db.cursor()
            try:
                cur.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"collector database {self.path} is unavailable: {exc}") from exc
            try:
                yield cur
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise StoreError(f"collector database {self.path} refused a write: {exc}") from exc
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                try:
                    self._db.execute("COMMIT")
                except sqlite3.Error as exc:
                    raise StoreError(f"collector database {self.path} cannot commit: {exc}") from exc
            finally:
                cur.close()

    def _lock_host_sql(self) -> str:
        return ""  # BEGIN IMMEDIATE already holds the only write lock

    def close(self) -> None:
        with self._lock:
            self._db.close()
