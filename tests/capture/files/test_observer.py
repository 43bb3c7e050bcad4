import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from watchdog.observers.api import BaseObserver
from watchdog.observers.inotify import InotifyObserver
from watchdog.observers.polling import PollingObserver

from agentd.capture.files.backend import Interest, Op, Tree
from agentd.capture.files.observer import ObserverBackend
from tests.capture.files.test_backend import Changes


def interest(path: str) -> Interest:
    return Interest.WRITES if path.endswith(".json") else Interest.NONE


OBSERVERS: dict[str, Callable[[], BaseObserver]] = {
    "inotify": InotifyObserver,
    "polling": lambda: PollingObserver(timeout=0.05),  # stands in for FSEvents: no close events
}


@pytest.fixture(params=sorted(OBSERVERS))
def backend(request: pytest.FixtureRequest) -> Iterator[tuple[ObserverBackend, Changes]]:
    backend, changes = ObserverBackend(OBSERVERS[request.param]), Changes()
    backend.start(changes, interest)
    yield backend, changes
    backend.stop()


def test_reads_are_not_observable() -> None:
    assert ObserverBackend.reads_observable is False


def test_closes_are_used_where_the_observer_sees_them(backend: tuple[ObserverBackend, Changes]) -> None:
    observer, _ = backend
    assert observer.reports_closes is isinstance(observer._observer, InotifyObserver)


def test_depth_and_pruning_apply_to_events(backend: tuple[ObserverBackend, Changes], tmp_path: Path) -> None:
    observer, changes = backend
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "node_modules").mkdir()
    observer.update([Tree(str(tmp_path), depth=1, prune=frozenset({"node_modules"}))])
    (tmp_path / "a" / "b" / "deep.json").write_text("{}")
    (tmp_path / "node_modules" / "x.json").write_text("{}")
    (tmp_path / "a" / "ok.json").write_text("{}")
    changes.wait(Op.CREATED, tmp_path / "a" / "ok.json")
    (tmp_path / "a" / "ok.json").write_text('{"x": 1}')
    changes.wait(Op.WRITTEN, tmp_path / "a" / "ok.json")
    assert changes.find(Op.CREATED, tmp_path / "a" / "b" / "deep.json") == []
    assert changes.find(Op.CREATED, tmp_path / "node_modules" / "x.json") == []


def test_moves_across_the_tree_edge(backend: tuple[ObserverBackend, Changes], tmp_path: Path) -> None:
    observer, changes = backend
    inside = tmp_path / "in"
    inside.mkdir()
    deep = inside / "x" / "y"
    deep.mkdir(parents=True)
    observer.update([Tree(str(inside), depth=1)])
    source = inside / "a.json"
    source.write_text("{}")
    changes.wait(Op.CREATED, source)
    os.rename(source, deep / "a.json")  # out of the watched depth
    assert changes.wait(Op.MOVED, source).dest is None
