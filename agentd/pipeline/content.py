"""Captured text on its way into an event: scanned once, then rendered at the capture level.

No raw secret may reach an event: content is always passed through the detect layer's
renderer (metadata -> nothing, redacted -> secrets and PII masked, full -> secrets masked)
before an event is built, and findings carry previews and keyed fingerprints only.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from agentd.events import CaptureLevel, Finding

MAX_SCANNED_CHARS = 8 * 1024 * 1024
"""Text beyond this is not scanned (and not rendered): one message this big is an anomaly."""


class Scanner(Protocol):
    def scan(self, text: str, location: str) -> list[Finding]: ...


Renderer = Callable[[str, Sequence[Finding], CaptureLevel], str | None]
"""``detect.render_content``: the text as an event may carry it at a capture level."""


@dataclass(frozen=True, slots=True)
class Inspected:
    findings: tuple[Finding, ...]
    rendered: str | None  # what the event carries (None at metadata level)


class Inspector:
    """Scans and renders captured text for one capture level."""

    def __init__(self, scanner: Scanner, render: Renderer, level: CaptureLevel) -> None:
        self.scanner = scanner
        self.render = render
        self.level = level
        self.chars_scanned = 0

    def inspect(self, text: str, location: str) -> Inspected:
        if not text:
            return Inspected((), "" if self.level is not CaptureLevel.METADATA else None)
        if len(text) > MAX_SCANNED_CHARS:
            # Too big to scan in the request path: keep it out of events rather than risk a
            # secret going out unmasked.
            return Inspected((), None)
        self.chars_scanned += len(text)
        findings = tuple(self.scanner.scan(text, location))
        return Inspected(findings, self.render(text, findings, self.level))
