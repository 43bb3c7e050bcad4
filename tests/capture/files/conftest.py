"""A throwaway host for the watchers: a temp HOME, a project root and a fake system root."""

import functools
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from agentd.capture.files.backend import Backend
from agentd.capture.files.configs import KeyValueStore, MemoryStore
from agentd.capture.files.inotify import InotifyBackend
from agentd.capture.files.locations import Layout
from agentd.capture.files.observer import ObserverBackend
from agentd.capture.files.watcher import FileWatcher
from agentd.clock import SystemClock
from agentd.detect.scanner import Scanner
from agentd.events import Event, Stamper
from tests.support.agentd_env import wait_until
from tests.support.background import serving


@functools.cache
def scanner() -> Scanner:
    """The real scanner, compiled once per test process."""
    return Scanner.build(b"watch-test-fingerprint-key-01234")


@dataclass
class ListSink:
    """An EventSink keeping events in a list; safe to read from the test thread."""

    events: list[Event] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def emit(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def of_kind(self, kind: str) -> list[Any]:
        with self._lock:
            return [e for e in self.events if e.kind == kind]


@dataclass
class FakeHost:
    root: Path
    home: Path
    project: Path
    sysroot: Path
    depth: int = 2

    def layout(self) -> Layout:
        return Layout(
            homes=(self.home,),
            project_roots=(self.project,),
            env_depth=self.depth,
            env={},
            system="linux",
            system_root=self.sysroot,
        )


@pytest.fixture
def host(tmp_path: Path) -> FakeHost:
    home, project, sysroot = tmp_path / "home", tmp_path / "work", tmp_path / "sys"
    for directory in (home / ".claude", project, sysroot / "etc"):
        directory.mkdir(parents=True)
    return FakeHost(tmp_path, home, project, sysroot)


BACKENDS: dict[str, Callable[[], Backend]] = {"inotify": InotifyBackend, "observer": ObserverBackend}


class Watching:
    """A running FileWatcher and the events it emitted."""

    def __init__(self, watcher: FileWatcher, sink: ListSink, host: FakeHost) -> None:
        self.watcher = watcher
        self.sink = sink
        self.host = host
        self._sentinels = 0

    def events(self, kind: str | None = None, **fields: Any) -> list[Any]:
        with self.sink._lock:
            events = list(self.sink.events)
        return [
            e
            for e in events
            if (kind is None or e.kind == kind) and all(getattr(e, k) == v for k, v in fields.items())
        ]

    def wait(self, kind: str, count: int = 1, timeout: float = 20, **fields: Any) -> list[Any]:
        wait_until(lambda: len(self.events(kind, **fields)) >= count, timeout, f"{count} {kind} {fields}")
        return self.events(kind, **fields)

    def sentinel(self) -> None:
        """A change whose event, once seen, proves every earlier change was handled (changes are
        handled in the order they happened)."""
        self._sentinels += 1
        settings = self.host.home / ".claude" / "settings.json"
        hooks = {"Stop": [{"hooks": [{"type": "command", "command": f"sentinel-{self._sentinels}"}]}]}
        settings.write_text(json.dumps({"hooks": hooks}))
        wanted = f"sentinel-{self._sentinels}"
        wait_until(
            lambda: any(
                wanted in json.dumps(e.model_dump(mode="json")) for e in self.events("agent_config_change")
            ),
            20,
            "the sentinel change",
        )

    def dumped(self) -> str:
        return json.dumps([e.model_dump(mode="json") for e in self.events()])


@pytest.fixture(params=sorted(BACKENDS))
def backend_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def start_watcher(
    host: FakeHost, backend: str = "inotify", store: KeyValueStore | None = None
) -> tuple[FileWatcher, ListSink]:
    sink = ListSink()
    watcher = FileWatcher(
        host.layout(),
        sink,
        Stamper(host_id="test-host"),
        SystemClock(),
        backend=BACKENDS[backend](),
        store=store if store is not None else MemoryStore(),
        scanner=scanner(),
    )
    return watcher, sink


@pytest.fixture
def watching(host: FakeHost) -> Iterator[Watching]:
    watcher, sink = start_watcher(host)
    with serving(watcher, watcher.ready):
        yield Watching(watcher, sink, host)


def kinds(events: list[Event]) -> list[str]:
    return [e.kind for e in events]
