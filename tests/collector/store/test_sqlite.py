from pathlib import Path

import pytest

from agentd.collector.store import StoreError, open_store
from agentd.collector.store.sqlite import SqliteStore


def test_the_database_file_is_private_and_reopens(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "collector.sqlite3"
    store = open_store(f"sqlite://{path}")
    assert isinstance(store, SqliteStore)
    store.set_setting_once("k", "v")
    store.close()
    assert path.stat().st_mode & 0o777 == 0o600
    again = open_store(f"sqlite:///{path}")  # three or four slashes name the same absolute path
    assert again.setting("k") == "v"
    assert again.url == f"sqlite://{path}"
    again.close()


def test_an_unusable_file_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    with pytest.raises(StoreError):
        open_store(f"sqlite://{tmp_path / 'db'}")
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database" * 100)
    with pytest.raises(StoreError):
        open_store(f"sqlite://{garbage}")


def test_a_failed_statement_rolls_back_the_transaction(tmp_path: Path) -> None:
    store = open_store(f"sqlite://{tmp_path / 'c.sqlite3'}")

    def conflicting_writes() -> None:
        with store.transaction() as cur:
            cur.execute("INSERT INTO settings (key, value) VALUES ('a', '1')")
            cur.execute("INSERT INTO settings (key, value) VALUES ('a', '2')")

    with pytest.raises(StoreError, match="refused a write"):
        conflicting_writes()
    assert store.setting("a") is None
    store.close()
