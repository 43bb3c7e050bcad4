import asyncio
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agentd.capture.files.backend import Op, RawChange
from agentd.capture.files.credentials import SELF, CredentialMonitor, attribute_holder
from agentd.capture.files.locations import Layout
from agentd.events import AgentKind, AgentRef, FileOperation, Severity, Stamper
from tests.capture.files.conftest import scanner
from tests.support import secrets


class StepClock:
    """A Clock whose monotonic time the test moves."""

    def __init__(self) -> None:
        self.mono = 100.0

    def now(self) -> datetime:
        return datetime(2026, 8, 1, tzinfo=UTC)

    def monotonic(self) -> float:
        return self.mono

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)


AGENT = AgentRef(kind=AgentKind.CODEX, pid=4242, exe="/usr/bin/codex")


class Holder:
    """Who holds a file open when an open is seen: the process lookup's answer, set by the test."""

    def __init__(self) -> None:
        self.current: AgentRef | None = AGENT

    def __call__(self, path: str) -> AgentRef | None:
        return self.current


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".claude").mkdir()
    return tmp_path


def monitor(home: Path, clock: StepClock | None = None, holder: Holder | None = None) -> CredentialMonitor:
    layout = Layout(homes=(home,), env={}, system="linux", system_root=home / "sys")
    return CredentialMonitor(
        layout, Stamper("h"), clock or StepClock(), scanner(), attribute=holder or Holder()
    )


def test_a_file_created_empty_is_reported_once_written(home: Path) -> None:
    creds = monitor(home)
    path = home / ".aws" / "credentials"
    path.touch()
    assert creds.handle(RawChange(Op.CREATED, str(path)), None) == []
    content = secrets.aws_credentials_file("c")
    path.write_text(content)
    [event] = creds.handle(RawChange(Op.WRITTEN, str(path)), AGENT)
    assert (event.operation, event.size) == (FileOperation.CREATED, len(content))
    assert event.sha256 == hashlib.sha256(content.encode()).hexdigest()
    assert event.agent == AGENT
    assert event.severity is Severity.HIGH
    assert len(event.finding_fingerprints) >= 2
    assert secrets.aws_secret_access_key("c") not in event.model_dump_json()
    assert creds.handle(RawChange(Op.WRITTEN, str(path)), None) == []  # same content
    path.write_text(secrets.aws_credentials_file("d"))
    [modified] = creds.handle(RawChange(Op.WRITTEN, str(path)), None)
    assert modified.operation is FileOperation.MODIFIED
    assert modified.severity is Severity.LOW


def test_reads_are_attributed_at_open_and_reported_at_close(home: Path) -> None:
    creds = monitor(home)
    path = str(home / ".aws" / "credentials")
    creds.opened(path)
    opener = creds.closed(path)
    assert opener == AGENT
    assert creds.closed(path) is None  # nothing pending any more
    [read] = creds.handle(RawChange(Op.READ, path), opener)
    assert (read.operation, read.agent.pid, read.sha256) == (FileOperation.READ, 4242, None)


def test_agentds_own_reads_are_dropped(home: Path) -> None:
    holder = Holder()
    creds = monitor(home, holder=holder)
    path = home / ".aws" / "credentials"
    path.write_text("x")
    assert creds.fingerprint(str(path)) is not None
    holder.current = AGENT
    creds.opened(str(path))  # someone else's open while ours is expected: theirs
    assert creds.closed(str(path)) == AGENT
    holder.current = None
    creds.opened(str(path))  # an open nobody else holds right after our read: ours
    opener = creds.closed(str(path))
    assert opener is SELF
    assert creds.handle(RawChange(Op.READ, str(path)), opener) == []
    creds.opened(str(path))  # the mark is used up: an unattributed open is reported
    assert creds.closed(str(path)) is None
    path.write_text("y")
    assert len(creds.handle(RawChange(Op.WRITTEN, str(path)), SELF)) == 1  # agentd never writes


def test_an_own_open_mark_expires(home: Path) -> None:
    clock = StepClock()
    holder = Holder()
    holder.current = None
    creds = monitor(home, clock, holder)
    path = home / ".aws" / "credentials"
    path.write_text("x")
    creds.fingerprint(str(path))
    clock.mono += 60  # the backend never reported that open
    creds.opened(str(path))
    assert creds.closed(str(path)) is None


def test_repeated_reads_are_coalesced(home: Path) -> None:
    clock = StepClock()
    creds = monitor(home, clock)
    path = str(home / ".aws" / "credentials")
    assert len(creds.handle(RawChange(Op.READ, path), AGENT)) == 1
    assert creds.handle(RawChange(Op.READ, path), AGENT) == []
    clock.mono += 5
    assert len(creds.handle(RawChange(Op.READ, path), AGENT)) == 1
    assert creds.counts["coalesced"] == 1


def test_an_agent_reading_its_own_login_is_routine(home: Path) -> None:
    creds = monitor(home)
    path = str(home / ".claude" / ".credentials.json")
    claude = AgentRef(kind=AgentKind.CLAUDE_CODE, pid=1)
    assert creds.handle(RawChange(Op.READ, path), claude) == []
    assert len(creds.handle(RawChange(Op.READ, path), AGENT)) == 1


def test_renames(home: Path) -> None:
    creds = monitor(home)
    path = home / ".aws" / "credentials"
    tmp = home / ".aws" / "credentials.tmp1234"
    tmp.write_text("new")
    os.replace(tmp, path)
    [rewrite] = creds.handle(RawChange(Op.MOVED, str(tmp), dest=str(path)), None)
    assert rewrite.operation is FileOperation.CREATED
    backup = home / ".aws" / "old"
    os.rename(path, backup)
    [moved] = creds.handle(RawChange(Op.MOVED, str(path), dest=str(backup)), None)
    assert (moved.operation, moved.dest_path) == (FileOperation.MOVED, str(backup))
    assert creds.tracks(str(backup))
    backup.unlink()
    [deleted] = creds.handle(RawChange(Op.DELETED, str(backup)), None)
    assert deleted.operation is FileOperation.DELETED
    assert not creds.tracks(str(backup))


def test_hostile_files(home: Path) -> None:
    creds = monitor(home)
    big = home / ".aws" / "credentials"
    big.write_bytes(b"\xff\xfe\x00" * 3_000_000)
    [event] = creds.handle(RawChange(Op.CREATED, str(big)), None)
    assert event.size == 9_000_000
    gone = str(home / ".aws" / "vanished")
    assert creds.handle(RawChange(Op.WRITTEN, gone), None) == []
    assert creds.fingerprint(gone) is None


def test_attribute_holder_without_a_holder(home: Path) -> None:
    assert attribute_holder(str(home / "nothing-open-here")) is None
    json.dumps(dict(monitor(home).counts))
