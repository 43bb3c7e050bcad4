"""Running a collector process: its state directory, the policy-signing key, the store, the
gRPC server, and an orderly stop on SIGTERM / SIGINT.

The policy-signing key is a 0600 file in the collector's state directory; its public half is
recorded in the database on first start, so every replica hands hosts the same key and
`agentd collector policy publish` can refuse a key that does not match.
"""

import asyncio
import logging
import signal
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agentd.clock import Clock, SystemClock
from agentd.collector.server import CollectorServer, TlsFiles
from agentd.collector.service import POLICY_KEY_SETTING, CollectorService
from agentd.collector.store import SqlStore, open_store
from agentd.errors import KeyStoreError
from agentd.ship.keys import key_id, load_signing_key

log = logging.getLogger(__name__)

SIGNING_KEY_FILE = "policy_signing_ed25519"


def default_db_url(state_dir: Path) -> str:
    return f"sqlite://{(state_dir / 'collector.sqlite3').absolute()}"


def signing_key(store: SqlStore, path: Path, *, create: bool) -> Ed25519PrivateKey:
    """The collector's policy-signing key; KeyStoreError when it does not match the database's."""
    if not create and not path.exists():
        raise KeyStoreError(f"no policy-signing key at {path} (it is created by `agentd collector serve`)")
    key = load_signing_key(path)
    public = key.public_key().public_bytes_raw()
    stored = store.set_setting_once(POLICY_KEY_SETTING, public.hex())
    if stored != public.hex():
        raise KeyStoreError(
            f"the signing key {path} (id {key_id(public)}) is not the one this database's hosts pinned "
            f"(id {key_id(bytes.fromhex(stored))}); use that collector's key file"
        )
    return key


async def serve(
    *,
    listen: str,
    db_url: str,
    state_dir: Path,
    tls: TlsFiles | None,
    clock: Clock | None = None,
    on_ready: Callable[[CollectorServer], None] = lambda _server: None,
) -> None:
    """Serve until SIGTERM or SIGINT (or cancellation)."""
    await asyncio.to_thread(state_dir.mkdir, parents=True, exist_ok=True, mode=0o700)
    store = await asyncio.to_thread(open_store, db_url)
    try:
        key = signing_key(store, state_dir / SIGNING_KEY_FILE, create=True)
        service = CollectorService(store, clock or SystemClock(), key.public_key().public_bytes_raw())
        server = CollectorServer(service, listen, tls)
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        try:
            async with asyncio.TaskGroup() as group:
                serving = group.create_task(server.serve())
                await server.ready.wait()
                log.info("collector ready", extra={"db": store.url})
                on_ready(server)
                await serving
        except asyncio.CancelledError:
            log.info("collector stopping")
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
    finally:
        store.close()
