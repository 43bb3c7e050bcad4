import asyncio
import os
import signal
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agentd.config import load
from agentd.daemon import Daemon
from agentd.observe.client import call
from agentd.paths import ConfigFiles
from tests.support.agentd_env import make_home


class Recorder:
    """A component that records its lifecycle and can break its statistics."""

    def __init__(self, name: str, broken: bool = False) -> None:
        self.name = name
        self.broken = broken
        self.started = asyncio.Event()
        self.cancelled = False

    async def serve(self) -> None:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise

    def statistics(self) -> Mapping[str, Any]:
        if self.broken:
            raise RuntimeError("stats broke")
        return {"state": "ok"}


async def test_components_run_under_one_group_and_stop_on_sigterm(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    loaded = load(ConfigFiles(user=home.config, system=None, managed=None))
    good, bad = Recorder("good"), Recorder("spool", broken=True)
    daemon = Daemon(loaded, [good, bad])
    task = asyncio.get_running_loop().create_task(daemon.run())
    await good.started.wait()
    await daemon.control.ready.wait()
    snapshot = await asyncio.to_thread(call, home.run_dir / "control.sock", "status")
    assert snapshot["good"] == {"state": "ok"}
    assert snapshot["spool"] == {"state": "error", "error": "RuntimeError", "depth": 0}
    os.kill(os.getpid(), signal.SIGTERM)
    await task
    assert good.cancelled
    assert bad.cancelled
