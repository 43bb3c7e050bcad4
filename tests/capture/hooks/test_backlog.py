import os
from pathlib import Path

from agentd.capture.hooks import backlog


def test_record_then_drain(tmp_path: Path) -> None:
    path = tmp_path / "state" / backlog.BACKLOG_NAME
    assert backlog.record(path, {"agent": "claude-code", "tool": "Bash"})
    assert backlog.record(path, {"agent": "codex", "tool": "shell"})
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert [e["tool"] for e in backlog.drain(path)] == ["Bash", "shell"]
    assert not path.exists()
    assert backlog.drain(path) == []


def test_drain_skips_lines_that_are_not_objects(tmp_path: Path) -> None:
    path = tmp_path / backlog.BACKLOG_NAME
    path.write_bytes(b'{"a": 1}\nnot json\n[1,2]\n\xff\xfe\n{"b": 2}')
    assert backlog.drain(path) == [{"a": 1}, {"b": 2}]


def test_the_backlog_is_capped(tmp_path: Path) -> None:
    path = tmp_path / backlog.BACKLOG_NAME
    path.write_bytes(b"x" * (backlog.MAX_BYTES + 1))
    assert not backlog.record(path, {"a": 1})


def test_unwritable_places_do_not_raise(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert not backlog.record(blocker / "sub" / backlog.BACKLOG_NAME, {"a": 1})
