"""Durable daemon state that is not telemetry: sessions' seen-message digests, session labels,
approvals, the tool inventory. One SQLite file (WAL), namespaced keys, JSON values.

It survives restarts so that, for example, a resent conversation is not re-reported after
the daemon comes back.
"""

import json
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from agentd.errors import SpoolCorrupt, SpoolError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                               PRIMARY KEY (ns, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS members (ns TEXT NOT NULL, key TEXT NOT NULL, member TEXT NOT NULL,
                                    PRIMARY KEY (ns, key, member)) WITHOUT ROWID;
"""


class StateStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise SpoolError(f"cannot open state store {path}: {exc}") from exc
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise SpoolCorrupt(f"state store {path} is unusable: {exc}") from exc
        path.chmod(0o600)

    def close(self) -> None:
        self._db.close()

    def get(self, ns: str, key: str, default: Any = None) -> Any:
        row = self._db.execute("SELECT value FROM kv WHERE ns = ? AND key = ?", (ns, key)).fetchone()
        return default if row is None else json.loads(row[0])

    def put(self, ns: str, key: str, value: Any) -> None:
        self._db.execute(
            "INSERT INTO kv (ns, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value",
            (ns, key, json.dumps(value, separators=(",", ":"))),
        )

    def delete(self, ns: str, key: str) -> None:
        self._db.execute("DELETE FROM kv WHERE ns = ? AND key = ?", (ns, key))

    def items(self, ns: str) -> Iterator[tuple[str, Any]]:
        for key, value in self._db.execute("SELECT key, value FROM kv WHERE ns = ? ORDER BY key", (ns,)):
            yield key, json.loads(value)

    def add_members(self, ns: str, key: str, members: Iterable[str]) -> list[str]:
        """Add ``members`` to the set (ns, key); return those that were not in it, in order."""
        added = []
        with self._db:  # one transaction for the whole batch
            self._db.execute("BEGIN")
            for member in members:
                cursor = self._db.execute(
                    "INSERT OR IGNORE INTO members (ns, key, member) VALUES (?, ?, ?)", (ns, key, member)
                )
                if cursor.rowcount:
                    added.append(member)
        return added

    def has_member(self, ns: str, key: str, member: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM members WHERE ns = ? AND key = ? AND member = ?", (ns, key, member)
        ).fetchone()
        return row is not None
