import sys
from pathlib import Path

from agentd.capture.files import capabilities
from agentd.capture.files.inotify import InotifyBackend
from agentd.capture.files.observer import ObserverBackend


def test_limits_from_a_proc_tree(tmp_path: Path) -> None:
    (tmp_path / "max_user_watches").write_text("8192\n")
    (tmp_path / "max_user_instances").write_text("128\n")
    (tmp_path / "max_queued_events").write_text("garbage\n")
    limits = capabilities.inotify_limits(tmp_path)
    assert limits == capabilities.InotifyLimits(8192, 128, None)
    assert capabilities.inotify_limits(tmp_path / "absent") is None


def test_what_this_host_can_see() -> None:
    backend = capabilities.default_backend()
    if sys.platform.startswith("linux"):
        limit = capabilities.inotify_watch_limit()
        assert limit is not None
        assert limit > 0
        assert capabilities.reads_observable() is True
        assert isinstance(backend, InotifyBackend)
    else:  # macOS: FSEvents shows no reads
        assert capabilities.inotify_watch_limit() is None
        assert capabilities.reads_observable() is False
        assert isinstance(backend, ObserverBackend)
    assert backend.reads_observable is capabilities.reads_observable()
