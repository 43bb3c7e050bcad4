"""The composition root: builds every component from Settings and runs them in one TaskGroup.

Components own their work; this module only wires them, serves the control socket, and
turns SIGTERM / SIGINT into an orderly stop.
"""

import asyncio
import logging
import os
import signal
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from agentd import __version__
from agentd.clock import Clock, SystemClock
from agentd.config import LoadedSettings
from agentd.observe.control import ControlServer

log = logging.getLogger(__name__)


class Component(Protocol):
    """A long-running part of the daemon."""

    name: str

    async def serve(self) -> None:
        """Run until cancelled; release every resource on the way out."""
        ...

    def statistics(self) -> Mapping[str, Any]:
        """A JSON-ready snapshot for `agentd status`; must be cheap and never raise."""
        ...


class Daemon:
    def __init__(
        self,
        loaded: LoadedSettings,
        components: Sequence[Component] = (),
        clock: Clock | None = None,
    ) -> None:
        self.loaded = loaded
        self.settings = loaded.settings
        self.clock = clock or SystemClock()
        self.components = list(components)
        self.control = ControlServer(self.settings.paths.control_socket)
        self.control.register("status", self._status)
        self._started_at = self.clock.now()
        self._started_mono = self.clock.monotonic()

    async def run(self) -> None:
        """Serve until SIGTERM or SIGINT, then stop every component and return."""
        for directory in (self.settings.paths.state_dir, self.settings.paths.run_dir):
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info(
            "agentd starting",
            extra={"version": __version__, "pid": os.getpid(), "components": self._names()},
        )
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(c.serve(), name=c.name) for c in self.components]
                tasks.append(group.create_task(self.control.serve(), name="control"))
                await stop.wait()
                log.info("agentd stopping")
                for task in tasks:
                    task.cancel()
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
        log.info("agentd stopped")

    def _names(self) -> list[str]:
        return [c.name for c in self.components]

    async def _status(self, _args: Mapping[str, Any]) -> dict[str, Any]:
        snapshot: dict[str, Any] = {
            "state": "running",
            "version": __version__,
            "pid": os.getpid(),
            "started": self._started_at.isoformat(),
            "uptime_seconds": round(self.clock.monotonic() - self._started_mono, 3),
            "config": {"locked_keys": sorted(self.loaded.locked)},
        }
        for component in self.components:
            try:
                snapshot[component.name] = dict(component.statistics())
            except Exception as exc:  # a broken statistics() must not break status
                snapshot[component.name] = {"state": "error", "error": type(exc).__name__}
        # The keys scripts rely on exist even while a component is switched off.
        snapshot.setdefault("proxy", {}).setdefault("listen", None)
        snapshot.setdefault("policy", {}).setdefault("version", None)
        snapshot.setdefault("spool", {}).setdefault("depth", 0)
        snapshot.setdefault("collector", {}).setdefault("state", "not_configured")
        return snapshot
