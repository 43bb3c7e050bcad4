"""What a file-watching backend reports and how it is told what to watch.

Backends run their own thread and hand RawChange records to a `deliver` callback on it; the
watcher decides what the changes mean. Two backends exist: `inotify` (Linux: reads visible,
depth-limited trees, one thread) and `observer` (watchdog's platform observer elsewhere).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any, Protocol


class Op(StrEnum):
    CREATED = "created"
    WRITTEN = "written"  # closed after writing, or modified: content may have changed
    DELETED = "deleted"
    MOVED = "moved"
    OPENED = "opened"
    READ = "read"  # closed without writing
    LOST = "lost"  # the backend dropped events (queue overflow, watch limit)


@dataclass(frozen=True, slots=True)
class RawChange:
    op: Op
    path: str
    dest: str | None = None
    is_dir: bool = False
    detail: str | None = None


class Interest(Enum):
    """How closely one file is watched on top of its directory's create/delete/move events."""

    NONE = 0
    WRITES = 1  # config files: content changes
    READS = 2  # credential files: content changes and every open / read


@dataclass(frozen=True, slots=True)
class Tree:
    """A directory watched to ``depth`` levels below it (0: the directory alone).

    ``dir_reads`` asks for opens, reads and writes of every file directly in the tree's
    directories (for directories that hold nothing but credentials); elsewhere only files the
    interest function names get their own read or write watch. ``prune`` names directories
    never descended into.
    """

    root: str
    depth: int = 0
    dir_reads: bool = False
    prune: frozenset[str] = field(default_factory=frozenset)


Deliver = Callable[[RawChange], None]
InterestFn = Callable[[str], Interest]


class Backend(Protocol):
    name: str
    reads_observable: bool

    def start(self, deliver: Deliver, interest: InterestFn) -> None:
        """Begin watching on the backend's own thread; ``deliver`` is called on that thread."""
        ...

    def update(self, trees: Sequence[Tree]) -> None:
        """Watch exactly ``trees`` (roots that do not exist are skipped); safe from any thread."""
        ...

    def stop(self) -> None:
        """Stop the thread and release every watch; idempotent."""
        ...

    def statistics(self) -> Mapping[str, Any]: ...
