"""The Linux backend: one inotify instance read by one thread, with a watch per directory down
to each tree's depth and per-file watches for opens and reads of credential files.

watchdog's Observer walks whole trees and starts a thread per watch; this backend uses
watchdog's inotify bindings but keeps its own bookkeeping so that depth limits, pruned
directories (node_modules, .git) and read events on single files cost nothing where not asked for.
"""

import contextlib
import ctypes
import errno
import logging
import os
import select
import struct
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from watchdog.observers.inotify_c import InotifyConstants as C
from watchdog.observers.inotify_c import WatchDescriptor, inotify_add_watch, inotify_init, inotify_rm_watch

from agentd.capture.files.backend import Deliver, Interest, InterestFn, Op, RawChange, Tree

log = logging.getLogger(__name__)

_STRUCTURE = C.IN_CREATE | C.IN_DELETE | C.IN_MOVED_FROM | C.IN_MOVED_TO | C.IN_DELETE_SELF | C.IN_MOVE_SELF
_FILE_IO = C.IN_OPEN | C.IN_CLOSE_NOWRITE | C.IN_CLOSE_WRITE
DIR_MASK = _STRUCTURE | C.IN_ONLYDIR | C.IN_EXCL_UNLINK
DIR_READS_MASK = DIR_MASK | _FILE_IO
FILE_MASKS = {Interest.WRITES: C.IN_CLOSE_WRITE, Interest.READS: _FILE_IO}

_HEADER = struct.Struct("iIII")
_BUFFER = 64 * 1024
# A rename arrives as MOVED_FROM then MOVED_TO with one cookie; a MOVED_FROM still unpaired
# after this long left the watched area and is reported as a delete.
MOVE_PAIR_SECONDS = 0.2


@dataclass(slots=True)
class _Watch:
    path: str
    mask: int
    depth_left: int = 0  # directories: levels still watched below this one
    dir_reads: bool = False
    prune: frozenset[str] = frozenset()
    is_dir: bool = True


def inotify_available() -> bool:
    """True when the kernel and libc let this process create an inotify instance."""
    try:
        fd = inotify_init()
    except (OSError, AttributeError):
        return False
    if fd < 0:
        return False
    os.close(fd)
    return True


class InotifyBackend:
    name = "inotify"
    reads_observable = True

    def __init__(self, max_watches: int = 16384) -> None:
        self.max_watches = max_watches
        self._lock = threading.RLock()
        self._fd = -1
        self._wake_r = self._wake_w = -1
        self._thread: threading.Thread | None = None
        self._deliver: Deliver = lambda _change: None
        self._interest: InterestFn = lambda _path: Interest.NONE
        self._by_wd: dict[int, _Watch] = {}
        self._wd_by_path: dict[str, int] = {}
        self._moves: dict[int, tuple[str, bool, float]] = {}
        self._limit_reported = False
        self.events = 0
        self.lost = 0
        self.errors = 0

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self, deliver: Deliver, interest: InterestFn) -> None:
        self._deliver, self._interest = deliver, interest
        fd = inotify_init()
        if fd < 0:
            raise OSError(errno.EMFILE, "cannot create an inotify instance")
        os.set_inheritable(fd, False)
        self._fd = fd
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._run, name="agentd-inotify", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        os.write(self._wake_w, b"x")
        thread.join()
        with self._lock:
            for fd in (self._fd, self._wake_r, self._wake_w):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._fd = self._wake_r = self._wake_w = -1
            self._by_wd.clear()
            self._wd_by_path.clear()

    def statistics(self) -> Mapping[str, Any]:
        with self._lock:
            dirs = sum(1 for w in self._by_wd.values() if w.is_dir)
            return {
                "backend": self.name,
                "directories": dirs,
                "files": len(self._by_wd) - dirs,
                "events": self.events,
                "lost": self.lost,
                "errors": self.errors,
            }

    # --- what to watch -----------------------------------------------------------------------

    def update(self, trees: Sequence[Tree]) -> None:
        # One lock over walk and apply: an entry the reader thread adds meanwhile (a file created
        # during the walk) must not be removed again by a plan computed before it existed.
        with self._lock:
            if self._fd < 0:
                return
            desired_dirs: dict[str, _Watch] = {}
            for tree in trees:
                root = os.path.abspath(tree.root)
                if os.path.isdir(root):
                    self._collect(root, tree.depth, tree, desired_dirs)
            desired_files: dict[str, Interest] = {}
            for path, spec in desired_dirs.items():
                if not spec.dir_reads:
                    desired_files.update(self._files_in(path))
            for path, wd in list(self._wd_by_path.items()):
                watch = self._by_wd.get(wd)
                keep = watch is not None and (path in desired_dirs if watch.is_dir else path in desired_files)
                if not keep:
                    self._unwatch(path)
            for path, spec in desired_dirs.items():
                self._watch_dir(path, spec)
            for path, interest in desired_files.items():
                self._watch_file(path, interest)

    def _collect(self, path: str, depth_left: int, tree: Tree, into: dict[str, _Watch]) -> None:
        mask = DIR_READS_MASK if tree.dir_reads else DIR_MASK
        known = into.get(path)
        if known is not None:
            # Trees overlap: watch with the wider of the two specs.
            if known.depth_left >= depth_left and (known.dir_reads or not tree.dir_reads):
                return
            depth_left = max(depth_left, known.depth_left)
            mask |= known.mask
        into[path] = _Watch(
            path, mask, depth_left, tree.dir_reads or bool(known and known.dir_reads), tree.prune
        )
        if depth_left > 0:
            for child in _subdirs(path, tree.prune):
                self._collect(child, depth_left - 1, tree, into)

    def _files_in(self, directory: str) -> Iterator[tuple[str, Interest]]:
        with contextlib.suppress(OSError), os.scandir(directory) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    if entry.is_file():
                        interest = self._interest(entry.path)
                        if interest is not Interest.NONE:
                            yield entry.path, interest

    # --- watch bookkeeping (callers hold the lock) -------------------------------------------

    def _add(self, path: str, mask: int) -> int | None:
        if len(self._by_wd) >= self.max_watches and path not in self._wd_by_path:
            if not self._limit_reported:
                self._limit_reported = True
                self._deliver(RawChange(Op.LOST, path, detail=f"watch limit {self.max_watches} reached"))
            return None
        wd = inotify_add_watch(self._fd, os.fsencode(path), mask)
        if wd < 0:
            err = _errno()
            if err not in (errno.ENOENT, errno.ENOTDIR, errno.EACCES, errno.EPERM):
                self.errors += 1
                if err == errno.ENOSPC and not self._limit_reported:
                    self._limit_reported = True
                    self._deliver(RawChange(Op.LOST, path, detail="inotify max_user_watches reached"))
            return None
        return wd

    def _watch_dir(self, path: str, spec: _Watch) -> None:
        current = self._wd_by_path.get(path)
        watch = self._by_wd.get(current) if current is not None else None
        if (
            watch is not None
            and watch.mask == spec.mask
            and watch.depth_left == spec.depth_left
            and watch.prune == spec.prune
        ):
            return
        wd = self._add(path, spec.mask)
        if wd is not None:
            self._remember(wd, spec)

    def _watch_file(self, path: str, interest: Interest, fresh: bool = False) -> None:
        """Watch one file; ``fresh`` when a new inode may now sit at ``path`` (created or renamed
        over), whose watch the kernel must be asked for even if the path was watched before."""
        mask = FILE_MASKS[interest]
        current = self._wd_by_path.get(path)
        if not fresh and current is not None and (watch := self._by_wd.get(current)) and watch.mask == mask:
            return
        wd = self._add(path, mask)
        if wd is not None:
            self._remember(wd, _Watch(path, mask, is_dir=False))

    def _remember(self, wd: int, watch: _Watch) -> None:
        old = self._by_wd.get(wd)
        if old is not None and old.path != watch.path:
            # Same inode reached by two paths (a hard link, a bind mount): keep the newer path.
            self._wd_by_path.pop(old.path, None)
        self._by_wd[wd] = watch
        self._wd_by_path[watch.path] = wd

    def _unwatch(self, path: str) -> None:
        wd = self._wd_by_path.pop(path, None)
        if wd is None:
            return
        if self._by_wd.pop(wd, None) is not None:
            inotify_rm_watch(self._fd, WatchDescriptor(wd))

    def _forget_tree(self, root: str) -> None:
        prefix = root + os.sep
        for path in [p for p in self._wd_by_path if p == root or p.startswith(prefix)]:
            wd = self._wd_by_path.pop(path)
            self._by_wd.pop(wd, None)
            with contextlib.suppress(OSError):
                inotify_rm_watch(self._fd, WatchDescriptor(wd))

    # --- the reader thread -------------------------------------------------------------------

    def _run(self) -> None:
        poller = select.poll()
        poller.register(self._fd, select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        while True:
            # Idle means blocked in poll(); a timeout only while a rename waits for its pair.
            timeout = MOVE_PAIR_SECONDS * 1000 if self._moves else None
            ready = {fd for fd, _ in poller.poll(timeout)}
            if self._wake_r in ready:
                return
            if self._fd in ready:
                try:
                    buffer = os.read(self._fd, _BUFFER)
                except InterruptedError:
                    continue
                except OSError:
                    log.exception("inotify read failed; file watching stopped")
                    self._deliver(RawChange(Op.LOST, "", detail="inotify read failed"))
                    return
                for wd, mask, cookie, name in _parse(buffer):
                    try:
                        self._handle(wd, mask, cookie, name)
                    except Exception:  # one bad event must not stop the watcher
                        self.errors += 1
                        log.exception("inotify event handling failed")
            if self._moves:
                self._flush_moves(time.monotonic() - MOVE_PAIR_SECONDS)

    def _handle(self, wd: int, mask: int, cookie: int, name: bytes) -> None:
        self.events += 1
        if mask & C.IN_Q_OVERFLOW:
            self.lost += 1
            self._deliver(RawChange(Op.LOST, "", detail="inotify queue overflowed"))
            return
        with self._lock:
            watch = self._by_wd.get(wd)
            if watch is None:
                return
            if mask & C.IN_IGNORED:
                self._by_wd.pop(wd, None)
                if self._wd_by_path.get(watch.path) == wd:
                    del self._wd_by_path[watch.path]
                return
            path = os.path.join(watch.path, os.fsdecode(name)) if name else watch.path
            is_dir = bool(mask & C.IN_ISDIR)
            if not watch.is_dir:
                self._file_event(path, mask)
            else:
                self._dir_event(watch, path, is_dir, mask, cookie)

    def _file_event(self, path: str, mask: int) -> None:
        if mask & C.IN_OPEN:
            self._deliver(RawChange(Op.OPENED, path))
        if mask & C.IN_CLOSE_NOWRITE:
            self._deliver(RawChange(Op.READ, path))
        if mask & C.IN_CLOSE_WRITE:
            self._deliver(RawChange(Op.WRITTEN, path))

    def _dir_event(self, watch: _Watch, path: str, is_dir: bool, mask: int, cookie: int) -> None:
        if mask & (C.IN_DELETE_SELF | C.IN_MOVE_SELF):
            self._forget_tree(watch.path)
            return
        if mask & C.IN_CREATE:
            self._appeared(watch, path, is_dir)
            self._deliver(RawChange(Op.CREATED, path, is_dir=is_dir))
            if is_dir:
                self._report_contents(path)
        elif mask & C.IN_MOVED_FROM:
            self._moves[cookie] = (path, is_dir, time.monotonic())
        elif mask & C.IN_MOVED_TO:
            source = self._moves.pop(cookie, None)
            if source is not None:
                self._forget_tree(source[0])
            self._appeared(watch, path, is_dir)
            self._deliver(RawChange(Op.MOVED, source[0] if source else path, dest=path, is_dir=is_dir))
        elif mask & C.IN_DELETE:
            self._unwatch(path)
            self._deliver(RawChange(Op.DELETED, path, is_dir=is_dir))
        elif not is_dir and watch.dir_reads:
            self._file_event(path, mask)

    def _flush_moves(self, older_than: float) -> None:
        """Renames whose other half never came: moved out of the watched area."""
        with self._lock:
            for cookie, (path, is_dir, at) in list(self._moves.items()):
                if at <= older_than:
                    del self._moves[cookie]
                    self._forget_tree(path)
                    self._deliver(RawChange(Op.MOVED, path, dest=None, is_dir=is_dir))

    def _appeared(self, parent: _Watch, path: str, is_dir: bool) -> None:
        """A new entry in a watched directory: watch it as its tree says."""
        if is_dir:
            if parent.depth_left > 0 and os.path.basename(path) not in parent.prune:
                tree = Tree(path, parent.depth_left - 1, parent.dir_reads, parent.prune)
                found: dict[str, _Watch] = {}
                self._collect(path, tree.depth, tree, found)
                for sub, spec in found.items():
                    self._watch_dir(sub, spec)
                    if not spec.dir_reads:
                        for file, interest in self._files_in(sub):
                            self._watch_file(file, interest)
        elif not parent.dir_reads:
            interest = self._interest(path)
            if interest is not Interest.NONE:
                self._watch_file(path, interest, fresh=True)

    def _report_contents(self, directory: str) -> None:
        """Files created inside a new directory before its watch existed (mkdir -p; git clone)."""
        root_wd = self._wd_by_path.get(directory)
        if root_wd is None:
            return
        for current, dirs, files in os.walk(directory):
            dirs[:] = [d for d in dirs if os.path.join(current, d) in self._wd_by_path]
            for file in files:
                self._deliver(RawChange(Op.CREATED, os.path.join(current, file)))


def _subdirs(path: str, prune: frozenset[str]) -> Iterator[str]:
    with contextlib.suppress(OSError), os.scandir(path) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):
                if entry.name not in prune and entry.is_dir(follow_symlinks=False):
                    yield entry.path


def _parse(buffer: bytes) -> Iterator[tuple[int, int, int, bytes]]:
    offset = 0
    while offset + _HEADER.size <= len(buffer):
        wd, mask, cookie, length = _HEADER.unpack_from(buffer, offset)
        start = offset + _HEADER.size
        yield wd, mask, cookie, buffer[start : start + length].rstrip(b"\0")
        offset = start + length


def _errno() -> int:
    return ctypes.get_errno()
