"""Credential-file events: which process touched which credential file and how; for a changed
file its sha256, size and the scanner's fingerprints, never its content.

Opens are attributed on the backend's thread the moment they are seen, by finding the process
that holds the file open; the read or write is reported when the file is closed. agentd's own
reads (hashing a changed file) are recognised and dropped.
"""

import hashlib
import os
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agentd.capture import processes
from agentd.capture.files.backend import Op, RawChange
from agentd.capture.files.locations import OWN_CREDENTIALS, Layout
from agentd.clock import Clock
from agentd.detect.scanner import Scanner
from agentd.events import AgentRef, CredentialFileAccess, FileOperation, Severity, Source, Stamper

MAX_SCAN_BYTES = 1024 * 1024
COALESCE_SECONDS = 1.0
_PENDING_PER_FILE = 32
# agentd's own open of a file shows up as an open event moments later; a mark older than this
# was never matched (the backend does not see opens of that file) and is dropped.
_OWN_OPEN_SECONDS = 5.0

Attributor = Callable[[str], AgentRef | None]


def attribute_holder(path: str) -> AgentRef | None:
    """The agent-aware identity of whoever holds ``path`` open now (not agentd itself)."""
    pid = processes.holder_of(path, exclude=os.getpid())
    return processes.attribute(pid) if pid is not None else None


@dataclass(frozen=True, slots=True)
class _Self:
    """Marks an open that was agentd's own."""


SELF = _Self()
Opener = AgentRef | _Self | None


@dataclass(frozen=True, slots=True)
class Fingerprint:
    sha256: str
    size: int
    findings: tuple[str, ...]


class CredentialMonitor:
    def __init__(
        self,
        layout: Layout,
        stamp: Stamper,
        clock: Clock,
        scanner: Scanner | None = None,
        attribute: Attributor = attribute_holder,
        coalesce_seconds: float = COALESCE_SECONDS,
    ) -> None:
        self.layout = layout
        self.stamp = stamp
        self.clock = clock
        self.scanner = scanner
        self.attribute = attribute
        self.coalesce_seconds = coalesce_seconds
        self._lock = threading.Lock()
        self._own_opens: dict[str, deque[float]] = {}
        self._pending: dict[str, deque[Opener]] = {}
        self._known: dict[str, str] = {}  # path -> sha256 last reported
        self._stats: dict[str, tuple[int, int, int]] = {}  # path -> (inode, size, mtime) hashed
        self._created: set[str] = set()  # created empty; reported once written
        self._last: dict[tuple[str, str, int | None], float] = {}
        self.counts: Counter[str] = Counter()

    # --- backend thread ----------------------------------------------------------------------

    def opened(self, path: str) -> None:
        """An open was seen: find who did it while the file is still open. Right after agentd
        read the file itself, an open nobody else holds is taken to be agentd's own."""
        opener: Opener = self.attribute(path)
        if opener is None and self._take_own_open(path):
            opener = SELF
        with self._lock:
            self._pending.setdefault(path, deque(maxlen=_PENDING_PER_FILE)).append(opener)
            self.counts["opens"] += 1

    def _take_own_open(self, path: str) -> bool:
        horizon = self.clock.monotonic() - _OWN_OPEN_SECONDS
        with self._lock:
            marks = self._own_opens.get(path)
            while marks and marks[0] < horizon:
                marks.popleft()
            if not marks:
                self._own_opens.pop(path, None)
                return False
            marks.popleft()
            return True

    def closed(self, path: str) -> Opener:
        """Who opened ``path`` for the close just seen (None when unknown)."""
        with self._lock:
            pending = self._pending.get(path)
            if not pending:
                return None
            opener = pending.popleft()
            if not pending:
                del self._pending[path]
            return opener

    # --- worker ------------------------------------------------------------------------------

    def handle(self, change: RawChange, opener: Opener) -> list[CredentialFileAccess]:
        """Events for one change of a credential path (the caller checked it is one)."""
        if opener is SELF and change.op in (Op.READ, Op.OPENED):
            self.counts["own_reads"] += 1
            return []
        agent = opener if isinstance(opener, AgentRef) else None
        path = change.path
        match change.op:
            case Op.READ:
                family = self.layout.credential_family(path)
                if agent and family in OWN_CREDENTIALS and agent.kind.value == OWN_CREDENTIALS[family]:
                    self.counts["owner_reads"] += 1
                    return []
                return self._event(path, FileOperation.READ, agent)
            case Op.OPENED:
                return self._event(path, FileOperation.OPENED, agent)
            case Op.CREATED | Op.WRITTEN:
                return self._changed(path, agent, created=change.op is Op.CREATED)
            case Op.DELETED:
                self._forget(path)
                return self._event(path, FileOperation.DELETED, agent)
            case Op.MOVED:
                return self._moved(change, agent)
        return []

    def _moved(self, change: RawChange, agent: AgentRef | None) -> list[CredentialFileAccess]:
        src, dest = change.path, change.dest
        if self.layout.credential_family(src) is None and not self.tracks(src) and dest is not None:
            # Something renamed over a credential file: an atomic rewrite.
            self._forget(src)
            return self._changed(dest, agent, created=dest not in self._known)
        self._forget(src)
        fingerprint = self.fingerprint(dest) if dest and os.path.isfile(dest) else None
        if dest and fingerprint:
            self._known[dest] = fingerprint.sha256
        return self._event(src, FileOperation.MOVED, agent, dest=dest, fingerprint=fingerprint)

    def _changed(self, path: str, agent: AgentRef | None, created: bool) -> list[CredentialFileAccess]:
        try:
            stat = os.stat(path)
        except OSError:
            return []  # gone again before we looked: its delete is reported on its own
        if created and stat.st_size == 0:
            self._created.add(path)  # reported when written, with content
            return []
        identity = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if path in self._known and self._stats.get(path) == identity:
            self.counts["unchanged"] += 1
            return []  # the same change reported twice (a sweep and its watch): no need to read
        fingerprint = self.fingerprint(path)
        if fingerprint is None or self._known.get(path) == fingerprint.sha256:
            self.counts["unchanged"] += 1
            return []
        self._known[path] = fingerprint.sha256
        self._stats[path] = identity
        operation = FileOperation.CREATED if created or path in self._created else FileOperation.MODIFIED
        self._created.discard(path)
        return self._event(path, operation, agent, fingerprint=fingerprint)

    def tracks(self, path: str) -> bool:
        """True for a file reported before under a name that is no credential's (moved there)."""
        return path in self._known

    def _forget(self, path: str) -> None:
        self._known.pop(path, None)
        self._stats.pop(path, None)
        self._created.discard(path)

    def fingerprint(self, path: str) -> Fingerprint | None:
        """sha256, size and finding fingerprints of the file; the open is marked as agentd's own."""
        with self._lock:
            self._own_opens.setdefault(path, deque(maxlen=_PENDING_PER_FILE)).append(self.clock.monotonic())
        digest = hashlib.sha256()
        head = bytearray()
        try:
            with open(path, "rb") as handle:
                while chunk := handle.read(64 * 1024):
                    digest.update(chunk)
                    if len(head) < MAX_SCAN_BYTES:
                        head += chunk[: MAX_SCAN_BYTES - len(head)]
                size = handle.tell()
        except OSError:
            return None
        findings: tuple[str, ...] = ()
        if self.scanner is not None and head:
            found = self.scanner.scan(head.decode("utf-8", "replace"), path)
            findings = tuple(sorted({f.fingerprint for f in found}))
        return Fingerprint(digest.hexdigest(), size, findings)

    def _event(
        self,
        path: str,
        operation: FileOperation,
        agent: AgentRef | None,
        dest: str | None = None,
        fingerprint: Fingerprint | None = None,
    ) -> list[CredentialFileAccess]:
        key = (path, operation.value, agent.pid if agent else None)
        now_mono = self.clock.monotonic()
        if operation in (FileOperation.READ, FileOperation.OPENED):
            last = self._last.get(key)
            if last is not None and now_mono - last < self.coalesce_seconds:
                self.counts["coalesced"] += 1
                return []
            if len(self._last) > 4096:
                self._last.clear()
            self._last[key] = now_mono
        by_agent = agent is not None and agent.kind.value != "unknown"
        if by_agent:
            severity = Severity.HIGH
        elif operation in (FileOperation.READ, FileOperation.OPENED):
            severity = Severity.INFO
        else:
            severity = Severity.LOW
        self.counts[operation.value] += 1
        fields: dict[str, Any] = {
            "path": path,
            "operation": operation,
            "dest_path": dest,
            "severity": severity,
            "source": Source.WATCHER,
        }
        if agent is not None:
            fields["agent"] = agent
        if fingerprint is not None:
            fields.update(
                sha256=fingerprint.sha256, size=fingerprint.size, finding_fingerprints=fingerprint.findings
            )
        return [self.stamp(CredentialFileAccess, self.clock.now(), **fields)]
