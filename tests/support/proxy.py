"""The embedded proxy in a test's own event loop.

``running_proxy`` starts the real ProxyServer (real mitmproxy) with the real pipeline over a
StateStore and the real scanner, writing events into a ``ListSink``; tests reach upstreams
through it with ``tests.support.clients``.
"""

import asyncio
import contextlib
import json
import ssl
import threading
import tomllib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentd.capture.proxy.ca import CertificateAuthority
from agentd.capture.proxy.server import ProxyServer
from agentd.clock import SystemClock
from agentd.config import ProxySettings
from agentd.detect.redact import render_content
from agentd.detect.scanner import Scanner
from agentd.events import CaptureLevel, Event, Stamper
from agentd.normalize.dialects import DIALECTS
from agentd.pipeline.content import Inspector
from agentd.pipeline.governor import AllowAll, Governor
from agentd.pipeline.ledger import Ledger
from agentd.pipeline.proxy import ProxyPipeline
from agentd.pipeline.recorder import Recorder
from agentd.record.statestore import StateStore
from tests.support.upstreams import Pki

FINGERPRINT_KEY = b"agentd-test-fingerprint-key-0123"
_SCANNER: Scanner | None = None


def scanner() -> Scanner:
    """The real scanner, compiled once per test process."""
    global _SCANNER
    if _SCANNER is None:
        _SCANNER = Scanner.build(FINGERPRINT_KEY)
    return _SCANNER


@dataclass
class ListSink:
    """An EventSink that keeps events in a list (thread-safe), for tests; ``wait_for`` wakes
    on each new event instead of polling."""

    events: list[Event] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = field(default_factory=list, repr=False)

    def emit(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)
            waiters = list(self._waiters)
        for loop, changed in waiters:
            loop.call_soon_threadsafe(changed.set)

    async def wait_for(
        self, predicate: Callable[["ListSink"], object], what: str, within: float = 30.0
    ) -> None:
        """Return once ``predicate(sink)`` holds, re-checking whenever an event arrives."""
        changed = asyncio.Event()
        entry = (asyncio.get_running_loop(), changed)
        with self._lock:
            self._waiters.append(entry)
        try:
            async with asyncio.timeout(within):
                while not predicate(self):
                    await changed.wait()
                    changed.clear()
        except TimeoutError:
            raise AssertionError(f"timed out after {within}s waiting for {what}") from None
        finally:
            with self._lock:
                self._waiters.remove(entry)

    def of_kind(self, kind: str) -> list[Any]:
        with self._lock:
            return [e for e in self.events if e.kind == kind]


def make_pipeline(
    state: StateStore,
    sink: ListSink,
    *,
    level: CaptureLevel = CaptureLevel.REDACTED,
    governor: Governor | None = None,
) -> ProxyPipeline:
    clock = SystemClock()
    stamp = Stamper(host_id="test-host", capture_level=level)
    recorder = Recorder(
        sink=sink,
        stamp=stamp,
        clock=clock,
        ledger=Ledger(state),
        inspector=Inspector(scanner(), render_content, level),
        governor=governor or AllowAll(),
    )
    return ProxyPipeline(dialects=DIALECTS, recorder=recorder, sink=sink, stamp=stamp, clock=clock)


@dataclass
class RunningProxy:
    server: ProxyServer
    sink: ListSink
    ca: CertificateAuthority

    @property
    def port(self) -> int:
        port = self.server.port
        assert port is not None
        return port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client_context(self) -> ssl.SSLContext:
        """Trusts agentd's CA only: a flow that is not intercepted fails to verify with it."""
        return ssl.create_default_context(cafile=str(self.ca.cert_path))


@contextlib.asynccontextmanager
async def running_proxy(
    root: Path,
    *,
    pki: Pki | None = None,
    intercept: Sequence[str] = ("localhost",),
    level: CaptureLevel = CaptureLevel.REDACTED,
    state: StateStore | None = None,
    sink: ListSink | None = None,
    settings: ProxySettings | None = None,
    gate: Any = None,
) -> AsyncIterator[RunningProxy]:
    """The real ProxyServer on a free loopback port, stopped (port released) on exit."""
    own_state = state is None
    state = state or StateStore(root / "state.sqlite3")
    sink = sink or ListSink()
    base = settings or ProxySettings()
    proxy_settings = replace_settings(
        base,
        listen_port=0,
        intercept_hosts=tuple(intercept),
        upstream_ca=pki.ca_cert if pki else base.upstream_ca,
    )
    ca = CertificateAuthority(root / "ca")
    server = ProxyServer(proxy_settings, ca, gate or make_pipeline(state, sink, level=level))
    task = asyncio.get_running_loop().create_task(server.serve())
    ready = asyncio.get_running_loop().create_task(server.ready.wait())
    await asyncio.wait([task, ready], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        ready.cancel()
        task.result()
    try:
        yield RunningProxy(server=server, sink=sink, ca=ca)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if own_state:
            state.close()


def replace_settings(settings: ProxySettings, **changes: Any) -> ProxySettings:
    return ProxySettings.model_validate({**settings.model_dump(), **changes})


def configure_proxy(config: Path, **values: object) -> None:
    """Set ``[proxy]`` keys in a test home's config (the section make_home writes)."""
    text = config.read_text()
    lines = [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    head, marker, rest = text.partition("[proxy]\n")
    assert marker, "the config has a [proxy] section"
    kept = [line for line in rest.splitlines() if line.split("=", 1)[0].strip() not in values]
    updated = head + marker + "\n".join([*lines, *kept]) + "\n"
    tomllib.loads(updated)
    config.write_text(updated)
