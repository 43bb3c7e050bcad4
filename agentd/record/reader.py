"""Read-only access to the spool for `agentd events`: works while the daemon writes, or without it."""

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from agentd.errors import SpoolCorrupt, SpoolError
from agentd.events import Event
from agentd.record.schema import connect, select_events


class SpoolReader:
    """Queries a spool file without writing to it (no schema changes, no retention)."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise SpoolError(f"no spool at {path} (has agentd run with this configuration?)")
        self.path = path
        self._db = connect(path, read_only=True)

    def query(
        self,
        kinds: Sequence[str] = (),
        session_id: str | None = None,
        after_seq: int = 0,
        limit: int | None = None,
        *,
        newest: bool = False,
    ) -> list[Event]:
        """Like ``Spool.query``; SpoolCorrupt when the file is not a readable spool."""
        try:
            return select_events(
                self._db, kinds=kinds, session_id=session_id, after_seq=after_seq, limit=limit, newest=newest
            )
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise SpoolError(f"spool {self.path} is busy: {exc}") from exc
            raise SpoolCorrupt(f"spool {self.path} cannot be read: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            raise SpoolCorrupt(f"spool {self.path} cannot be read: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "SpoolReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
