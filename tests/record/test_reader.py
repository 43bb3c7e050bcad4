from pathlib import Path

import pytest

from agentd.clock import SystemClock
from agentd.errors import SpoolCorrupt, SpoolError
from agentd.events import Stamper, UserPrompt
from agentd.record.reader import SpoolReader
from agentd.record.spool import Spool

STAMP = Stamper(host_id="ab" * 16)
CLOCK = SystemClock()


def test_reads_while_the_writer_keeps_the_file_open(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    spool = Spool.open(path, max_bytes=10**8, retention_days=7, clock=CLOCK, stamp=STAMP)
    spool.emit(STAMP(UserPrompt, CLOCK.now(), message_index=0, chars=0, session_id="s"))
    spool.flush()
    with SpoolReader(path) as reader:
        assert [e.seq for e in reader.query()] == [1]
        spool.emit(STAMP(UserPrompt, CLOCK.now(), message_index=1, chars=0))
        spool.flush()
        assert [e.seq for e in reader.query(after_seq=1)] == [2]
        assert [e.seq for e in reader.query(session_id="s")] == [1]
    spool.close()
    with SpoolReader(path) as reader:  # and after the writer has gone
        assert len(reader.query()) == 2
    assert path.read_bytes()  # the reader never created or truncated anything


def test_a_missing_spool_is_a_spool_error(tmp_path: Path) -> None:
    with pytest.raises(SpoolError, match="no spool at"):
        SpoolReader(tmp_path / "absent.sqlite3")


@pytest.mark.parametrize("content", [b"not a database at all" * 50, b"SQLite format 3\x00" + b"\x00" * 200])
def test_garbage_is_reported_as_corrupt(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "spool.sqlite3"
    path.write_bytes(content)
    with SpoolReader(path) as reader, pytest.raises(SpoolCorrupt):
        reader.query()
    assert path.read_bytes() == content
