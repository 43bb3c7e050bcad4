"""What file watching can see on this host, for `agentd doctor` and `agentd status`:
whether opens and reads of credential files are observable, and the inotify limits."""

import sys
from dataclasses import dataclass
from pathlib import Path

from agentd.capture.files.backend import Backend

_INOTIFY_LIMITS = Path("/proc/sys/fs/inotify")


@dataclass(frozen=True, slots=True)
class InotifyLimits:
    max_user_watches: int | None
    max_user_instances: int | None
    max_queued_events: int | None


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def inotify_limits(proc: Path = _INOTIFY_LIMITS) -> InotifyLimits | None:
    """The kernel's inotify limits, or None where there is no inotify (macOS)."""
    if not proc.is_dir():
        return None
    return InotifyLimits(
        max_user_watches=_read_int(proc / "max_user_watches"),
        max_user_instances=_read_int(proc / "max_user_instances"),
        max_queued_events=_read_int(proc / "max_queued_events"),
    )


def inotify_watch_limit() -> int | None:
    """``fs.inotify.max_user_watches``; None when unknown or not Linux."""
    limits = inotify_limits()
    return limits.max_user_watches if limits else None


def reads_observable() -> bool:
    """True when credential-file opens and reads can be seen (Linux inotify); on macOS only
    creates, writes, deletes and moves are (FSEvents reports no reads)."""
    if not sys.platform.startswith("linux"):
        return False
    from agentd.capture.files.inotify import inotify_available

    return inotify_available()


def default_backend() -> Backend:
    """The inotify backend where reads are observable, watchdog's Observer elsewhere."""
    if reads_observable():
        from agentd.capture.files.inotify import InotifyBackend

        return InotifyBackend()
    from agentd.capture.files.observer import ObserverBackend

    return ObserverBackend()
