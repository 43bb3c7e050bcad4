"""The composition root: builds every component from Settings and runs them in one TaskGroup.

Components own their work; this module only wires them (``build``), serves the control
socket, and turns SIGTERM / SIGINT into an orderly stop.
"""

import asyncio
import logging
import os
import signal
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from agentd import __version__, keyfile
from agentd.capture.files import watcher as watch
from agentd.capture.proxy.ca import CertificateAuthority
from agentd.capture.proxy.server import ProxyServer
from agentd.clock import Clock, SystemClock
from agentd.config import LoadedSettings
from agentd.deploy.notify import ServiceNotifier
from agentd.deploy.posture import self_watch
from agentd.detect.redact import render_content
from agentd.detect.scanner import Scanner
from agentd.events import Stamper
from agentd.normalize.dialects import DIALECTS
from agentd.observe.control import ControlServer
from agentd.pipeline.content import Inspector
from agentd.pipeline.governor import Governor
from agentd.pipeline.ledger import Ledger
from agentd.pipeline.policy import build_policy
from agentd.pipeline.proxy import ProxyPipeline
from agentd.pipeline.recorder import Recorder
from agentd.record.inventory import Inventory, InventorySink
from agentd.record.spool import Spool
from agentd.record.statestore import StateStore
from agentd.ship.component import ship_components

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
        cleanup: Sequence[Callable[[], None]] = (),
    ) -> None:
        self.loaded = loaded
        self.settings = loaded.settings
        self.clock = clock or SystemClock()
        self.components = list(components)
        self.cleanup = list(cleanup)  # run after every component stopped, last first
        self.control = ControlServer(self.settings.paths.control_socket)
        self.control.register("status", self._status)
        # Tells systemd (Type=notify) once we serve; idle where no service manager listens.
        self.components.append(ServiceNotifier(self.readiness, self.clock))
        for component in self.components:  # components that answer control ops of their own
            for op, handler in getattr(component, "control_ops", dict)().items():
                self.control.register(op, handler)
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
            for close in reversed(self.cleanup):
                try:
                    close()
                except Exception:
                    log.exception("closing a resource failed")
        log.info("agentd stopped")

    def readiness(self) -> str | None:
        """A status line once the control socket answers and the proxy (if on) listens."""
        if not self.control.ready.is_set():
            return None
        proxy = next((c for c in self.components if c.name == "proxy"), None)
        if proxy is None:
            return "serving (proxy off)"
        listen = proxy.statistics().get("listen")
        return f"proxy listening on {listen}" if listen else None

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


def build(loaded: LoadedSettings, clock: Clock | None = None, governor: Governor | None = None) -> Daemon:
    """The daemon for ``loaded`` settings: spool, state store, scanner, pipeline and proxy.

    Raises the layer's own errors (ConfigError, SpoolError, KeyStoreError) when something it
    needs cannot be used.
    """
    settings = loaded.settings
    clock = clock or SystemClock()
    paths = settings.paths
    for directory in (paths.state_dir, paths.run_dir):
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = Stamper(host_id=keyfile.host_id(paths.state_dir), capture_level=settings.capture.level)
    spool = Spool.open(
        paths.spool,
        max_bytes=settings.spool.max_bytes,
        retention_days=settings.spool.retention_days,
        clock=clock,
        stamp=stamp,
        # With no collector, shipped-or-not makes no difference: retention applies to all.
        local_only=settings.collector.url is None,
    )
    store = StateStore(paths.state_dir / "state.sqlite3")
    scanner = Scanner.build(keyfile.load_or_create(paths.keys_dir / "fingerprint.key"))
    inventory = Inventory(store, stamp, scanner)
    # Decisions, session state and the hook / approval control ops; the proxy's policy seam
    # uses it unless a test hands in its own governor.
    policy = build_policy(
        settings,
        store=store,
        sink=InventorySink(spool, inventory),
        stamp=stamp,
        clock=clock,
        scanner=scanner,
        inventory=inventory,
    )
    components: list[Component] = [spool, policy]
    inspector: Inspector | None = None
    if settings.proxy.enabled:
        inspector = Inspector(scanner, render_content, settings.capture.level)
        recorder = Recorder(
            sink=InventorySink(spool, inventory),
            stamp=stamp,
            clock=clock,
            ledger=Ledger(store),
            inspector=inspector,
            governor=governor or policy,
        )
        pipeline = ProxyPipeline(dialects=DIALECTS, recorder=recorder, sink=spool, stamp=stamp, clock=clock)
        components.append(ProxyServer(settings.proxy, CertificateAuthority(paths.ca_dir), pipeline))
    components += ship_components(
        settings,
        spool=spool,
        clock=clock,
        stamp=stamp,
        apply_policy=lambda bundle: policy.install(bundle.version, bundle.policies),
    )
    components += watch.build(
        settings,
        sink=InventorySink(spool, inventory),
        stamp=stamp,
        clock=clock,
        store=store,
        scanner=scanner,
    )
    components += self_watch(
        loaded, spool=spool, stamp=stamp, clock=clock, components=components, inspector=inspector
    )
    return Daemon(loaded, components, clock, cleanup=[spool.close, store.close])
