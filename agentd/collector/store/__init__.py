"""Collector storage backends behind one protocol: SQLite (embedded) and PostgreSQL."""

from pathlib import Path

from agentd.collector.store.sql import ChainMoved, SqlStore, StoreError

__all__ = ["ChainMoved", "SqlStore", "StoreError", "open_store"]


def open_store(url: str, *, migrate: bool = True) -> SqlStore:
    """The store a ``--db`` URL names: ``sqlite:///ABSOLUTE/PATH`` or ``postgresql://…``; migrated
    by default.

    StoreError for an unknown scheme or an unreachable database.
    """
    store: SqlStore
    if url.startswith("sqlite:///"):
        from agentd.collector.store.sqlite import SqliteStore

        store = SqliteStore(Path("/" + url.removeprefix("sqlite://").lstrip("/")))
    elif url.startswith(("postgresql://", "postgres://")):
        from agentd.collector.store.postgres import PostgresStore

        store = PostgresStore(url)
    else:
        raise StoreError(
            f"unsupported database URL {url.split(':', 1)[0]!r}: use sqlite:///PATH or postgresql://…"
        )
    if migrate:
        try:
            store.migrate()
        except BaseException:
            store.close()
            raise
    return store
