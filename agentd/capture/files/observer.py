"""The portable backend: watchdog's platform Observer (FSEvents on macOS), one schedule per tree.

It reports creates, writes, deletes and moves; opens and reads are not visible this way, so
`reads_observable` is False. Depth and pruning are applied to the events, not to the watch.
"""

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from agentd.capture.files.backend import Deliver, Interest, InterestFn, Op, RawChange, Tree

_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileClosedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]
_OPS = {"created": Op.CREATED, "modified": Op.WRITTEN, "closed": Op.WRITTEN, "deleted": Op.DELETED}


def _text(path: bytes | str) -> str:
    return os.fsdecode(path)


class _TreeHandler(FileSystemEventHandler):
    def __init__(self, tree: Tree, backend: "ObserverBackend") -> None:
        self.root = os.path.abspath(tree.root)
        self.tree = tree
        self.backend = backend

    def _inside(self, path: str) -> bool:
        relative = os.path.relpath(path, self.root)
        if relative.startswith(os.pardir):
            return False
        parts = relative.split(os.sep)
        # A file sits at len(parts) - 1 directory levels below the root.
        return len(parts) - 1 <= self.tree.depth and not any(p in self.tree.prune for p in parts[:-1])

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.backend.events += 1
        src = _text(event.src_path)
        if event.event_type == "moved":
            dest = _text(event.dest_path)
            src_in, dest_in = self._inside(src), self._inside(dest)
            if src_in or dest_in:
                change = RawChange(
                    Op.MOVED, src if src_in else dest, dest if dest_in else None, is_dir=event.is_directory
                )
                self.backend.deliver(change)
            return
        op = _OPS.get(event.event_type)
        if op is None or not self._inside(src) or (event.is_directory and op is Op.WRITTEN):
            return
        if event.event_type == "modified" and self.backend.reports_closes:
            return  # a write in progress; its close follows
        if op is Op.WRITTEN and self.backend.interest(src) is Interest.NONE:
            return
        self.backend.deliver(RawChange(op, src, is_dir=event.is_directory))


class ObserverBackend:
    name = "observer"
    reads_observable = False

    def __init__(self, observer_factory: Callable[[], BaseObserver] = Observer) -> None:
        self._factory = observer_factory
        self._observer: BaseObserver | None = None
        self._lock = threading.Lock()
        self._trees: tuple[Tree, ...] = ()
        self.deliver: Deliver = lambda _change: None
        self.interest: InterestFn = lambda _path: Interest.NONE
        self.events = 0
        self.reports_closes = False

    def start(self, deliver: Deliver, interest: InterestFn) -> None:
        self.deliver, self.interest = deliver, interest
        self._observer = self._factory()
        # Observers that see closes (inotify) report a finished write; others (FSEvents) only
        # modifications, which they coalesce over their latency window.
        self.reports_closes = "inotify" in type(self._observer).__module__
        self._observer.start()

    def update(self, trees: Sequence[Tree]) -> None:
        with self._lock:
            observer = self._observer
            if observer is None:
                return
            existing = tuple(t for t in trees if os.path.isdir(t.root))
            if existing == self._trees:
                return
            observer.unschedule_all()
            for tree in existing:
                observer.schedule(
                    _TreeHandler(tree, self), tree.root, recursive=tree.depth > 0, event_filter=_EVENTS
                )
            self._trees = existing

    def stop(self) -> None:
        with self._lock:
            observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join()

    def statistics(self) -> Mapping[str, Any]:
        return {"backend": self.name, "trees": len(self._trees), "events": self.events}
