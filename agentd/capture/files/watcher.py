"""The host watch component: credential files and agent configs (through a backend) and, beside
it, the process inventory. `build` makes both from Settings for the daemon.

The backend's thread attributes opens at once and hands every change to the event loop with
``call_soon_threadsafe``; the loop works through them in order, doing file reads in a worker
thread, and emits the events.
"""

import asyncio
import contextlib
import logging
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agentd.capture.agent_processes import ProcessInventory
from agentd.capture.files.backend import Backend, Op, RawChange
from agentd.capture.files.capabilities import default_backend, inotify_watch_limit
from agentd.capture.files.configs import NAMESPACE, ConfigMonitor, KeyValueStore
from agentd.capture.files.credentials import CredentialMonitor, Opener
from agentd.capture.files.locations import HEAVY_DIRS, Layout
from agentd.capture.files.observer import ObserverBackend
from agentd.clock import Clock
from agentd.config import Settings
from agentd.detect.scanner import Scanner
from agentd.events import Event, EventSink, InternalError, Severity, Source, Stamper
from agentd.normalize.agent_configs import AgentdMarks

log = logging.getLogger(__name__)

_SWEEP_DEPTH = 4
RECHECK_SECONDS = 0.5
_REPLAN_ROUNDS = 5


class FileWatcher:
    name = "watch"

    def __init__(
        self,
        layout: Layout,
        sink: EventSink,
        stamp: Stamper,
        clock: Clock,
        backend: Backend | None = None,
        store: KeyValueStore | None = None,
        scanner: Scanner | None = None,
        marks: AgentdMarks | None = None,
    ) -> None:
        self.layout = layout
        self.sink = sink
        self.stamp = stamp
        self.clock = clock
        self.backend = backend if backend is not None else default_backend()
        self.credentials = CredentialMonitor(layout, stamp, clock, scanner)
        self.configs = ConfigMonitor(layout, stamp, clock, store, marks)
        self.ready = asyncio.Event()
        self.counts: Counter[str] = Counter()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[tuple[RawChange, Opener]] = asyncio.Queue()

    async def serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        if not self._start_backend():
            await asyncio.Event().wait()  # nothing to watch with; the daemon goes on without it
        try:
            await asyncio.to_thread(self._replan)
            try:
                self._emit(await asyncio.to_thread(self.configs.baseline))
            except Exception as exc:  # a bad store or file must not keep the watch from running
                log.exception("the config baseline failed")
                self._emit([self._internal_error(type(exc).__name__, str(exc)[:300], "baseline")])
            self.ready.set()
            while True:
                change, opener = await self._queue.get()
                try:
                    events = await asyncio.to_thread(self._process, change, opener)
                except Exception as exc:  # one bad change must not stop the watcher
                    self.counts["errors"] += 1
                    log.exception("handling a file change failed")
                    events = [self._internal_error(type(exc).__name__, str(exc)[:300], change.path)]
                self._emit(events)
        finally:
            self.ready.clear()
            await asyncio.to_thread(self.backend.stop)

    def _start_backend(self) -> bool:
        """Start the backend; when it cannot start (no inotify instances left), report it and
        fall back to watchdog's Observer, which watches without reads."""
        try:
            self.backend.start(self._on_raw, self.layout.interest)
            return True
        except OSError as exc:
            log.exception("the %s file watch backend cannot start", self.backend.name)
            self._emit([self._internal_error("WatchUnavailable", f"{self.backend.name}: {exc}", "")])
            if isinstance(self.backend, ObserverBackend):
                return False
        self.backend = ObserverBackend()
        return self._start_backend()

    def statistics(self) -> Mapping[str, Any]:
        return {
            "reads_observable": self.backend.reads_observable,
            "inotify_max_user_watches": inotify_watch_limit(),
            **self.backend.statistics(),
            "changes": dict(self.counts),
            "credential_events": dict(self.credentials.counts),
            "config_parse_errors": self.configs.parse_errors,
        }

    # --- backend thread ----------------------------------------------------------------------

    def _on_raw(self, change: RawChange) -> None:
        opener: Opener = None
        if change.op in (Op.OPENED, Op.READ, Op.WRITTEN) and not change.is_dir:
            if self.layout.credential_family(change.path) is None:
                if change.op is not Op.WRITTEN:
                    return  # an open or read of some other file in a credential directory
            elif change.op is Op.OPENED:
                self.credentials.opened(change.path)
                return  # reported with its close, as a read or a write
            else:
                opener = self.credentials.closed(change.path)
        if not change.is_dir and change.op is not Op.LOST and not self._relevant(change):
            return  # a build or a checkout touching ordinary files: dropped before the loop
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed between check and call
                loop.call_soon_threadsafe(self._queue.put_nowait, (change, opener))

    def _relevant(self, change: RawChange) -> bool:
        paths = (change.path, change.dest) if change.dest else (change.path,)
        return any(
            self.layout.credential_family(p) is not None
            or self.credentials.tracks(p)
            or self.layout.config_source(p) is not None
            for p in paths
        )

    # --- worker thread -----------------------------------------------------------------------

    def _process(self, change: RawChange, opener: Opener) -> list[Event]:
        self.counts[change.op.value] += 1
        if change.op is Op.LOST:
            return [self._internal_error("WatchLost", change.detail or "file events were lost", change.path)]
        if change.is_dir:
            return self._directory(change)
        events: list[Event] = []
        paths = [change.path] + ([change.dest] if change.dest else [])
        if any(self.layout.credential_family(p) is not None or self.credentials.tracks(p) for p in paths):
            events += self.credentials.handle(change, opener)
        if change.op is Op.MOVED:
            events += self.configs.changed(change.path, exists=False)
            if change.dest:
                events += self.configs.changed(change.dest)
        elif change.op is Op.CREATED:
            events += self.configs.changed(change.path, settled=False)
            if change.path in self.configs.unsettled:
                self.configs.unsettled.discard(change.path)
                self._recheck(change.path)
        elif change.op is Op.WRITTEN:
            events += self.configs.changed(change.path)
        elif change.op is Op.DELETED:
            events += self.configs.changed(change.path, exists=False)
        return events

    def _directory(self, change: RawChange) -> list[Event]:
        paths = [change.path] + ([change.dest] if change.dest else [])
        if not any(self.layout.affects_plan(p) for p in paths):
            return []
        self._replan()
        arrived = change.dest if change.op is Op.MOVED else change.path
        if change.op in (Op.CREATED, Op.MOVED) and arrived:
            return self._sweep(arrived)
        return []

    def _replan(self) -> None:
        """Watch what the layout wants now. A directory created between deciding and watching
        is missed by the watch that should have seen it, so repeat until the plan holds still."""
        for _ in range(_REPLAN_ROUNDS):
            self.counts["replans"] += 1
            trees = self.layout.trees()
            self.backend.update(trees)
            if self.layout.trees() == trees:
                return

    def _sweep(self, directory: str) -> list[Event]:
        """Files that arrived with a directory before its watch existed (mkdir -p && write,
        or a whole directory moved into place)."""
        events: list[Event] = []
        base = directory.rstrip(os.sep).count(os.sep)
        for current, dirs, files in os.walk(directory):
            if current.count(os.sep) - base >= _SWEEP_DEPTH:
                dirs.clear()
            dirs[:] = [d for d in dirs if d not in HEAVY_DIRS]
            for name in files:
                path = os.path.join(current, name)
                if self.layout.credential_family(path) is not None:
                    events += self.credentials.handle(RawChange(Op.CREATED, path), None)
                elif self.configs.store.get(NAMESPACE, path) is None:
                    events += self.configs.changed(path)
        return events

    def _recheck(self, path: str) -> None:
        """Look at a just-created file again shortly: its writer may have finished before the
        file's own watch existed, so no close would ever be reported."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            item = (RawChange(Op.WRITTEN, path), None)
            loop.call_soon_threadsafe(loop.call_later, RECHECK_SECONDS, self._queue.put_nowait, item)

    # --- loop --------------------------------------------------------------------------------

    def _emit(self, events: Sequence[Event]) -> None:
        for event in events:
            self.sink.emit(event)

    def _internal_error(self, error: str, message: str, context: str) -> InternalError:
        return self.stamp(
            InternalError,
            self.clock.now(),
            severity=Severity.MEDIUM,
            source=Source.WATCHER,
            component=self.name,
            error=error,
            message=message,
            context=context or None,
        )


def build(
    settings: Settings,
    *,
    sink: EventSink,
    stamp: Stamper,
    clock: Clock,
    store: KeyValueStore | None = None,
    scanner: Scanner | None = None,
    homes: Sequence[Path] | None = None,
) -> list[FileWatcher | ProcessInventory]:
    """The watch components for the daemon: files (credentials, agent configs) and processes.
    Empty when ``[watch] enabled`` is false."""
    watch = settings.watch
    if not watch.enabled:
        return []
    layout = Layout.from_settings(watch.project_roots, watch.env_depth, watch.credential_paths, homes=homes)
    listen = f"{settings.proxy.listen_host}:{settings.proxy.listen_port}"
    marks = AgentdMarks(markers=("agentd", str(settings.paths.state_dir), listen))
    return [
        FileWatcher(layout, sink, stamp, clock, store=store, scanner=scanner, marks=marks),
        ProcessInventory(sink, stamp, clock, interval=watch.process_interval_seconds),
    ]
