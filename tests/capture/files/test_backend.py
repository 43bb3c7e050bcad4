"""Both backends honour the Backend contract: start, watch trees, report changes, stop."""

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agentd.capture.files.backend import Backend, Interest, Op, RawChange, Tree
from tests.capture.files.conftest import BACKENDS
from tests.support.agentd_env import wait_until


class Changes:
    def __init__(self) -> None:
        self.items: list[RawChange] = []
        self.lock = threading.Lock()

    def __call__(self, change: RawChange) -> None:
        with self.lock:
            self.items.append(change)

    def find(self, op: Op, path: Path) -> list[RawChange]:
        with self.lock:
            return [c for c in self.items if c.op is op and c.path == str(path)]

    def wait(self, op: Op, path: Path) -> RawChange:
        wait_until(lambda: bool(self.find(op, path)), 20, f"{op} {path}")
        return self.find(op, path)[0]


def interest(path: str) -> Interest:
    return Interest.WRITES if path.endswith(".json") else Interest.NONE


@pytest.fixture(params=sorted(BACKENDS))
def started(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Backend, Changes]]:
    factory: Callable[[], Backend] = BACKENDS[request.param]
    backend, changes = factory(), Changes()
    backend.start(changes, interest)
    try:
        yield backend, changes
    finally:
        backend.stop()
        backend.stop()  # idempotent


def test_structural_changes_are_reported(started: tuple[Backend, Changes], tmp_path: Path) -> None:
    backend, changes = started
    backend.update([Tree(str(tmp_path), depth=1)])
    config = tmp_path / "c.json"
    config.write_text("{}")
    changes.wait(Op.CREATED, config)
    config.write_text('{"a": 1}')
    changes.wait(Op.WRITTEN, config)
    sub = tmp_path / "sub"
    sub.mkdir()
    assert changes.wait(Op.CREATED, sub).is_dir
    moved = tmp_path / "d.json"
    os.rename(config, moved)
    assert changes.wait(Op.MOVED, config).dest == str(moved)
    moved.unlink()
    changes.wait(Op.DELETED, moved)
    stats = backend.statistics()
    assert stats["backend"] == backend.name
    assert stats["events"] > 0


def test_missing_roots_are_skipped(started: tuple[Backend, Changes], tmp_path: Path) -> None:
    backend, changes = started
    backend.update([Tree(str(tmp_path / "missing")), Tree(str(tmp_path))])
    (tmp_path / "x.json").write_text("{}")
    changes.wait(Op.CREATED, tmp_path / "x.json")


def test_update_replaces_the_watched_set(started: tuple[Backend, Changes], tmp_path: Path) -> None:
    backend, changes = started
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    backend.update([Tree(str(a))])
    backend.update([Tree(str(b))])
    (a / "1.json").write_text("{}")
    (b / "2.json").write_text("{}")
    changes.wait(Op.CREATED, b / "2.json")
    assert changes.find(Op.CREATED, a / "1.json") == []
