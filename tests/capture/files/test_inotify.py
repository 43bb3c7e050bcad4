import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentd.capture.files.backend import Interest, Op, Tree
from agentd.capture.files.inotify import InotifyBackend, inotify_available
from tests.capture.files.test_backend import Changes
from tests.support.agentd_env import wait_until


def interest(path: str) -> Interest:
    name = os.path.basename(path)
    if name.startswith(".env"):
        return Interest.READS
    return Interest.WRITES if name.endswith(".json") else Interest.NONE


@pytest.fixture
def backend() -> Iterator[tuple[InotifyBackend, Changes]]:
    assert inotify_available()
    backend, changes = InotifyBackend(), Changes()
    backend.start(changes, interest)
    yield backend, changes
    backend.stop()


def sentinel(changes: Changes, directory: Path, n: int = 0) -> None:
    marker = directory / f"sentinel-{n}.txt"
    marker.write_text("{}")
    changes.wait(Op.CREATED, marker)


def test_reads_of_interesting_files_only(backend: tuple[InotifyBackend, Changes], tmp_path: Path) -> None:
    watcher, changes = backend
    env, other = tmp_path / ".env", tmp_path / "notes.txt"
    env.write_text("A=1")
    other.write_text("x")
    watcher.update([Tree(str(tmp_path))])
    env.read_text()
    other.read_text()
    changes.wait(Op.OPENED, env)
    changes.wait(Op.READ, env)
    sentinel(changes, tmp_path)
    assert changes.find(Op.OPENED, other) == []
    assert watcher.statistics()["files"] == 1  # .env has its own watch; notes.txt none


def test_directory_reads_cover_every_file(backend: tuple[InotifyBackend, Changes], tmp_path: Path) -> None:
    watcher, changes = backend
    key = tmp_path / "id_ed25519"
    key.write_text("k")
    watcher.update([Tree(str(tmp_path), dir_reads=True)])
    key.read_text()
    changes.wait(Op.READ, key)
    key.write_text("k2")
    changes.wait(Op.WRITTEN, key)
    assert watcher.statistics()["files"] == 0


def test_depth_and_pruning(backend: tuple[InotifyBackend, Changes], tmp_path: Path) -> None:
    watcher, changes = backend
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "node_modules" / "x").mkdir(parents=True)
    watcher.update([Tree(str(tmp_path), depth=1, prune=frozenset({"node_modules"}))])
    (tmp_path / "a" / "in.json").write_text("{}")
    (tmp_path / "a" / "b" / "deep.json").write_text("{}")
    (tmp_path / "node_modules" / "x.json").write_text("{}")
    changes.wait(Op.CREATED, tmp_path / "a" / "in.json")
    sentinel(changes, tmp_path)
    assert changes.find(Op.CREATED, tmp_path / "a" / "b" / "deep.json") == []
    assert changes.find(Op.CREATED, tmp_path / "node_modules" / "x.json") == []
    assert watcher.statistics()["directories"] == 2  # root and a


def test_new_directories_are_watched_to_depth_and_their_files_reported(
    backend: tuple[InotifyBackend, Changes], tmp_path: Path
) -> None:
    watcher, changes = backend
    watcher.update([Tree(str(tmp_path), depth=2)])
    nested = tmp_path / "p" / "q"
    nested.mkdir(parents=True)
    early = nested / "early.json"
    early.write_text("{}")  # may beat the new watches: reported from the directory's contents
    changes.wait(Op.CREATED, early)
    later = nested / ".env"
    wait_until(lambda: watcher.statistics()["directories"] == 3, 20, "the new directories' watches")
    later.write_text("A=1")
    changes.wait(Op.CREATED, later)
    later.read_text()
    changes.wait(Op.READ, later)


def test_moves_pair_and_unpaired_moves_leave(backend: tuple[InotifyBackend, Changes], tmp_path: Path) -> None:
    watcher, changes = backend
    inside, outside = tmp_path / "in", tmp_path / "out"
    inside.mkdir()
    outside.mkdir()
    watcher.update([Tree(str(inside))])
    a = inside / "a.json"
    a.write_text("{}")
    changes.wait(Op.CREATED, a)
    os.rename(a, outside / "a.json")
    gone = changes.wait(Op.MOVED, a)
    assert gone.dest is None
    os.rename(outside / "a.json", inside / "b.json")
    arrived = changes.wait(Op.MOVED, inside / "b.json")
    assert arrived.dest == str(inside / "b.json")


def test_a_rewritten_file_keeps_its_watch(backend: tuple[InotifyBackend, Changes], tmp_path: Path) -> None:
    watcher, changes = backend
    env = tmp_path / ".env"
    env.write_text("A=1")
    watcher.update([Tree(str(tmp_path))])
    tmp = tmp_path / ".env.tmp"
    tmp.write_text("A=2")
    os.replace(tmp, env)  # an editor's atomic save
    changes.wait(Op.MOVED, tmp)
    env.read_text()
    changes.wait(Op.READ, env)


def test_the_watch_limit_is_reported_once(tmp_path: Path) -> None:
    watcher, changes = InotifyBackend(max_watches=2), Changes()
    watcher.start(changes, interest)
    try:
        for name in "abcd":
            (tmp_path / name).mkdir()
        watcher.update([Tree(str(tmp_path), depth=1)])
        lost = [c for c in changes.items if c.op is Op.LOST]
        assert len(lost) == 1
        assert "limit" in (lost[0].detail or "")
        assert watcher.statistics()["directories"] == 2
    finally:
        watcher.stop()


def test_a_deleted_root_is_forgotten(backend: tuple[InotifyBackend, Changes], tmp_path: Path) -> None:
    watcher, changes = backend
    root = tmp_path / "r"
    root.mkdir()
    watcher.update([Tree(str(root)), Tree(str(tmp_path))])
    root.rmdir()
    changes.wait(Op.DELETED, root)
    wait_until(lambda: watcher.statistics()["directories"] == 1, 20, "the root's watch to go")


def test_symlinked_roots_are_followed(backend: tuple[InotifyBackend, Changes], tmp_path: Path) -> None:
    watcher, changes = backend
    real = tmp_path / "dotfiles" / "aws"
    real.mkdir(parents=True)
    link = tmp_path / ".aws"
    link.symlink_to(real, target_is_directory=True)
    watcher.update([Tree(str(link), dir_reads=True)])
    (real / "credentials").write_text("x")
    changes.wait(Op.CREATED, link / "credentials")


def test_event_buffers_parse_whole_records_only() -> None:
    import struct

    from agentd.capture.files.inotify import _parse

    record = struct.pack("iIII", 3, 0x100, 0, 16) + b"name.json".ljust(16, b"\0")
    assert list(_parse(record)) == [(3, 0x100, 0, b"name.json")]
    assert list(_parse(record + record[:10])) == [(3, 0x100, 0, b"name.json")]  # truncated tail dropped
    assert list(_parse(b"")) == []
    huge_name = struct.pack("iIII", 1, 0x2, 0, 10_000) + b"x" * 10
    assert list(_parse(huge_name)) == [(1, 0x2, 0, b"x" * 10)]  # a length past the end is cut short
