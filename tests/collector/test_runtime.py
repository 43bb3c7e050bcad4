import asyncio
from pathlib import Path

import pytest

from agentd.collector.runtime import SIGNING_KEY_FILE, default_db_url, serve, signing_key
from agentd.collector.server import CollectorServer
from agentd.collector.service import POLICY_KEY_SETTING
from agentd.collector.store import open_store
from agentd.errors import KeyStoreError


def test_the_default_database_lives_in_the_state_dir(tmp_path: Path) -> None:
    assert default_db_url(tmp_path) == f"sqlite://{tmp_path / 'collector.sqlite3'}"


def test_the_signing_key_is_pinned_in_the_database(tmp_path: Path) -> None:
    store = open_store(default_db_url(tmp_path))
    with pytest.raises(KeyStoreError, match="no policy-signing key"):
        signing_key(store, tmp_path / SIGNING_KEY_FILE, create=False)
    key = signing_key(store, tmp_path / SIGNING_KEY_FILE, create=True)
    assert (tmp_path / SIGNING_KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert store.setting(POLICY_KEY_SETTING) == key.public_key().public_bytes_raw().hex()
    assert signing_key(store, tmp_path / SIGNING_KEY_FILE, create=False).public_key() == key.public_key()
    with pytest.raises(KeyStoreError, match="not the one this database's hosts pinned"):
        signing_key(store, tmp_path / "another_key", create=True)
    store.close()


async def test_serve_reports_ready_and_stops_when_cancelled(tmp_path: Path) -> None:
    ready: asyncio.Queue[CollectorServer] = asyncio.Queue()
    task = asyncio.get_running_loop().create_task(
        serve(
            listen="127.0.0.1:0",
            db_url=default_db_url(tmp_path),
            state_dir=tmp_path / "state",
            tls=None,
            on_ready=ready.put_nowait,
        )
    )
    server = await asyncio.wait_for(ready.get(), 60)
    assert server.port
    assert server.statistics()["listen"] == f"127.0.0.1:{server.port}"
    task.cancel()
    await task  # the collector stops cleanly instead of propagating the cancellation
    assert (tmp_path / "state" / SIGNING_KEY_FILE).exists()
