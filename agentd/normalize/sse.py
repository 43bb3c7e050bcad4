"""Incremental Server-Sent Events framing that keeps each event's raw bytes, so an event that
is passed on is byte-identical to what arrived. Any chunk split, CR/LF/CRLF line ends,
comments and multi-line data; one event larger than a bound is an error, not unbounded memory.
"""

import re
from typing import NamedTuple

from agentd.errors import ParseError

DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024

_EOL = re.compile(rb"\r\n?|\n")
_BOM = b"\xef\xbb\xbf"


class SSEEvent(NamedTuple):
    """One event block as received."""

    raw: bytes  # every byte of the block, including the blank line that ended it
    event: str | None = None  # the `event:` field
    data: str | None = None  # the `data:` lines joined by "\n"; None when the block had none
    id: str | None = None
    complete: bool = True  # False for a last block the stream ended without a blank line
    invalid_utf8: bool = False  # a field was not UTF-8 (decoded with replacement characters)


class SSEOverflow(ParseError):
    """A single event grew beyond the decoder's bound."""


class SSEDecoder:
    """Feed bytes as they arrive; get back each event once its blank line has arrived.

    After an SSEOverflow the decoder is spent: ``take_pending`` returns the bytes of the
    oversized event so the caller can pass them on untouched.
    """

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self._max = max_event_bytes
        self._buf = bytearray()
        self._event_start = 0  # where the current (unfinished) event begins in _buf
        self._skip = 0  # a byte-order mark before the first event: part of raw, not of a field
        self._line_start = 0  # CR mode: where the current (unfinished) line begins
        self._scan = 0  # where the next search for a line or event end starts
        self._bom_checked = False
        # Until a CR shows up, events are found with one bytes.find per event (the common case);
        # after that, line by line, since CR, LF and CRLF may all end lines.
        self._lf_only = True
        self._reset_fields()

    def _reset_fields(self) -> None:
        self._event: str | None = None
        self._data: list[str] | None = None
        self._id: str | None = None
        self._invalid = False

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """The events completed by ``chunk``; raises SSEOverflow when one grows too large."""
        self._buf += chunk
        if not self._bom_checked:
            if len(self._buf) < len(_BOM) and _BOM.startswith(self._buf):
                return []
            self._bom_checked = True
            if self._buf.startswith(_BOM):
                self._skip = len(_BOM)
                self._line_start = self._scan = self._skip
        if self._lf_only and b"\r" in chunk:
            self._to_line_mode()
        events = self._events_lf() if self._lf_only else self._events_by_line()
        if self._event_start:
            del self._buf[: self._event_start]
            self._line_start -= self._event_start
            self._scan -= self._event_start
            self._event_start = 0
        if len(self._buf) > self._max:
            raise SSEOverflow(f"an event exceeds {self._max} bytes")
        return events

    def end(self) -> list[SSEEvent]:
        """End of stream: what is left, as events (the last one unterminated, if any)."""
        if self._lf_only:
            self._to_line_mode()
        events = self._events_by_line()
        buf = self._buf
        if self._event_start >= len(buf):
            return events
        ended = False
        if self._line_start < len(buf):
            # One line is left: either unterminated, or ended by a CR that was held back.
            match = _EOL.search(buf, self._line_start)
            stop = len(buf) if match is None else match.start()
            ended = self._take_line(bytes(buf[self._line_start : stop])) and match is not None
            self._line_start = len(buf)
        events.append(self._dispatch(len(buf), complete=ended))
        return events

    def _to_line_mode(self) -> None:
        # LF mode never half-parses an event: line mode starts over at the unfinished one.
        self._lf_only = False
        self._line_start = self._scan = self._event_start + self._skip
        self._reset_fields()

    def _events_lf(self) -> list[SSEEvent]:
        buf = self._buf
        events: list[SSEEvent] = []
        begin = self._event_start + self._skip
        last = buf.rfind(b"\n\n", max(self._scan, begin))
        if last == -1:
            self._scan = max(begin, len(buf) - 1)  # the last byte may be half of "\n\n"
            if not (begin < len(buf) and buf[begin] == 0x0A):
                return events
            last = begin - 1  # only a blank line is complete
        # Copy once, up to the end of the last complete event, and cut events out of that.
        data = bytes(buf[: last + 2])
        pos = self._event_start
        while True:
            start = pos + self._skip
            if start < len(data) and data[start] == 0x0A:  # a blank line on its own: an empty event
                events.append(self._event_of(data[pos : start + 1], complete=True))
                pos = start + 1
                continue
            end = data.find(b"\n\n", start)
            if end == -1:
                break
            for line in data[start:end].split(b"\n"):
                self._take_line(line)
            events.append(self._event_of(data[pos : end + 2], complete=True))
            pos = end + 2
        self._event_start = self._line_start = pos
        self._scan = max(pos, len(data) - 1)
        return events

    def _events_by_line(self) -> list[SSEEvent]:
        buf = self._buf
        events: list[SSEEvent] = []
        while True:
            match = _EOL.search(buf, self._scan)
            if match is None:
                self._scan = len(buf)
                break
            if match.end() == len(buf) and match.group() == b"\r":
                self._scan = match.start()  # maybe the first half of a CRLF split across chunks
                break
            if self._take_line(bytes(buf[self._line_start : match.start()])):
                events.append(self._dispatch(match.end(), complete=True))
            self._line_start = self._scan = match.end()
        return events

    def take_pending(self) -> bytes:
        """The bytes received but not yet returned as an event; the decoder forgets them."""
        pending = bytes(self._buf[self._event_start :])
        self._buf.clear()
        self._event_start = self._line_start = self._scan = self._skip = 0
        self._reset_fields()
        return pending

    def _take_line(self, line: bytes) -> bool:
        """Apply one line to the current event; True when it is the blank line ending it."""
        if not line:
            return True
        if line[0] == 0x3A:  # ":" starts a comment
            return False
        field, sep, value = line.partition(b":")
        if sep and value[:1] == b" ":
            value = value[1:]
        if field == b"data":
            if self._data is None:
                self._data = []
            self._data.append(self._decode(value))
        elif field == b"event":
            self._event = self._decode(value)
        elif field == b"id" and b"\0" not in value:
            self._id = self._decode(value)
        return False

    def _decode(self, value: bytes) -> str:
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            self._invalid = True
            return value.decode("utf-8", "replace")

    def _dispatch(self, end: int, *, complete: bool) -> SSEEvent:
        event = self._event_of(bytes(self._buf[self._event_start : end]), complete=complete)
        self._event_start = end
        return event

    def _event_of(self, raw: bytes, *, complete: bool) -> SSEEvent:
        """The event the fields taken so far describe; resets them for the next one."""
        data = self._data
        event = SSEEvent(
            raw, self._event, None if data is None else "\n".join(data), self._id, complete, self._invalid
        )
        self._skip = 0
        self._reset_fields()
        return event


def frame(event: str | None, data: str, eol: str = "\n") -> bytes:
    """One SSE event block carrying ``data`` (which must not contain line breaks)."""
    head = f"event: {event}{eol}" if event is not None else ""
    return f"{head}data: {data}{eol}{eol}".encode()
