"""What every stream editor shares: SSE events or WebSocket messages in, bytes or messages out;
a tool call's events held, in order, only until the call is complete and decided; and the
fail-open rule that nothing raises out of ``feed``/``feed_message``/``end``.
"""

from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from agentd.errors import ParseError
from agentd.normalize import jsonvalue
from agentd.normalize.model import Denial, ParsedResponse, ToolUse, ToolUseHook
from agentd.normalize.sse import DEFAULT_MAX_EVENT_BYTES, SSEDecoder, SSEEvent, SSEOverflow, frame

DEFAULT_MAX_HELD_BYTES = 64 * 1024 * 1024
MAX_PROBLEMS = 20


@dataclass(slots=True)
class Held:
    """One event on its way out: SSE block bytes or a WebSocket text message."""

    raw: bytes | str
    name: str | None = None  # the SSE `event:` name
    payload: Any = None  # the event's JSON, None when it had none or it was not JSON
    data: str | None = None  # the SSE data text (e.g. "[DONE]")
    owner: str | None = None  # the tool call holding it back
    complete: bool = True  # False for a last SSE block the stream ended without terminating


class HoldQueue:
    """Events leave in arrival order; an event owned by an open tool call waits, and so does
    everything behind it, until that call is closed (released as is) or replaced."""

    def __init__(self) -> None:
        self._entries: deque[Held] = deque()
        self._open: set[str] = set()
        self.size = 0  # bytes/characters waiting

    @property
    def holding(self) -> bool:
        return bool(self._open)

    def is_open(self, key: str) -> bool:
        return key in self._open

    def push(self, entry: Held, owner: str | None = None) -> None:
        if owner is not None:
            self._open.add(owner)
            entry.owner = owner
        self._entries.append(entry)
        self.size += len(entry.raw)

    def owned(self, key: str) -> list[Held]:
        return [entry for entry in self._entries if entry.owner == key]

    def close(self, key: str) -> None:
        """Release ``key``'s events unchanged."""
        self._open.discard(key)

    def replace(self, key: str, replacement: Iterable[Held]) -> None:
        """Put ``replacement`` where ``key``'s first event is, drop its other events, close it."""
        entries: deque[Held] = deque()
        placed = False
        for entry in self._entries:
            if entry.owner != key:
                entries.append(entry)
            elif not placed:
                entries.extend(replacement)
                placed = True
        self._entries = entries
        self.size = sum(len(entry.raw) for entry in entries)
        self._open.discard(key)

    def drain(self) -> list[Held]:
        """The events free to go now."""
        out: list[Held] = []
        while self._entries and self._entries[0].owner not in self._open:
            entry = self._entries.popleft()
            self.size -= len(entry.raw)
            out.append(entry)
        return out

    def drain_all(self) -> list[Held]:
        """Everything, held or not (end of stream, or giving up)."""
        out = list(self._entries)
        self._entries.clear()
        self._open.clear()
        self.size = 0
        return out


class EventStreamEditor(ABC):
    """Base of the dialects' stream editors. A dialect implements ``handle`` (route one event:
    ``emit`` it, ``hold`` it under a call key, ``decide`` complete calls and ``replace`` denied
    ones) and ``snapshot`` (the ParsedResponse so far)."""

    def __init__(
        self,
        on_tool_use: ToolUseHook,
        *,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        max_held_bytes: int = DEFAULT_MAX_HELD_BYTES,
    ) -> None:
        self._hook = on_tool_use
        self._decoder = SSEDecoder(max_event_bytes)
        self._max_held = max_held_bytes
        self._queue = HoldQueue()
        self._problems: list[str] = []
        self._problem_count = 0
        self._passthrough = False
        self._websocket = False
        self._eol = "\n"
        self._ended = False
        self._cut_in_call = False
        self._pushed = False

    # -- the StreamEditor protocol -------------------------------------------------------------

    def feed(self, chunk: bytes) -> bytes:
        if self._passthrough:
            return chunk
        try:
            events = self._decoder.feed(chunk)
        except SSEOverflow as exc:
            return self._give_up(str(exc), self._decoder.take_pending())
        for position, event in enumerate(events):
            self._take_sse(event)
            if self._queue.size > self._max_held:
                rest = b"".join(e.raw for e in events[position + 1 :]) + self._decoder.take_pending()
                return self._give_up(f"held tool-call events exceed {self._max_held} bytes", rest)
        return self._as_bytes(self._queue.drain())

    def feed_message(self, text: str) -> list[str]:
        self._websocket = True
        if self._passthrough:
            return [text]
        payload: Any = None
        try:
            payload = jsonvalue.parse(text, "websocket message")
        except ParseError as exc:
            self.problem(str(exc))
        self._dispatch(Held(raw=text, payload=payload, data=text))
        if self._queue.size > self._max_held:
            self.problem(f"held tool-call events exceed {self._max_held} bytes; passing the rest through")
            self._passthrough = True
            self._cut_in_call = True
            return self._as_texts(self._queue.drain_all())
        return self._as_texts(self._queue.drain())

    def end(self) -> bytes:
        if self._ended:
            return b""
        self._ended = True
        if not self._passthrough:
            for event in self._decoder.end():
                self._take_sse(event)
        if self._queue.holding:
            self._cut_in_call = True
            if self._websocket:  # nothing can be sent on a closed socket
                self.problem("websocket closed inside a tool call; its held messages were dropped")
            else:
                self.problem("stream ended inside a tool call; its events were forwarded undecided")
        held = self._queue.drain_all()
        return b"" if self._websocket else self._as_bytes(held)

    def response(self) -> ParsedResponse:
        try:
            parsed = self.snapshot()
        except Exception as exc:  # fail-open: a bug in a dialect must not break the stream
            self.problem(f"cannot summarise the stream: {type(exc).__name__}")
            parsed = ParsedResponse()
        return replace(
            parsed,
            truncated=parsed.truncated or self._cut_in_call,
            problems=(*self._problems, *self._problems_overflow()),
        )

    # -- for dialects --------------------------------------------------------------------------

    @abstractmethod
    def handle(self, entry: Held) -> None:
        """Route one event (its JSON in ``entry.payload``, None if it had none)."""

    @abstractmethod
    def snapshot(self) -> ParsedResponse:
        """What the stream said so far (problems and truncation are added by the base)."""

    def emit(self, entry: Held) -> None:
        """Send ``entry`` on (after whatever is still held ahead of it)."""
        self._pushed = True
        self._queue.push(entry)

    def hold(self, key: str, entry: Held) -> None:
        """Keep ``entry`` back as part of the tool call ``key``."""
        self._pushed = True
        self._queue.push(entry, owner=key)

    def holding(self, key: str | None = None) -> bool:
        return self._queue.holding if key is None else self._queue.is_open(key)

    def owned(self, key: str) -> list[Held]:
        return self._queue.owned(key)

    def release(self, key: str) -> None:
        self._queue.close(key)

    def replace(self, key: str, replacement: Iterable[Held]) -> None:
        self._queue.replace(key, replacement)

    def decide(self, call: ToolUse) -> Denial | None:
        """Ask the hook about a complete call; a failing hook lets the call through."""
        try:
            return self._hook(call)
        except Exception as exc:  # fail-open: the decision seam belongs to the pipeline
            self.problem(f"tool-use hook failed for {call.call_id}: {type(exc).__name__}")
            return None

    def render(self, name: str | None, payload: Any) -> Held:
        """A new event carrying ``payload`` in this stream's framing."""
        text = jsonvalue.compact(payload)
        raw: bytes | str = text if self._websocket else frame(name, text, self._eol)
        return Held(raw=raw, name=name, payload=payload)

    def problem(self, text: str) -> None:
        self._problem_count += 1
        if len(self._problems) < MAX_PROBLEMS:
            self._problems.append(text)

    # -- internals -----------------------------------------------------------------------------

    def _take_sse(self, event: SSEEvent) -> None:
        if event.raw.endswith(b"\r\n\r\n"):
            self._eol = "\r\n"
        if event.invalid_utf8:
            self.problem("stream event is not valid UTF-8")
        payload: Any = None
        if event.data and event.data != "[DONE]":
            try:
                payload = jsonvalue.parse(event.data, f"stream event {event.event or 'data'}")
            except ParseError as exc:
                self.problem(str(exc))
        self._dispatch(
            Held(raw=event.raw, name=event.event, payload=payload, data=event.data, complete=event.complete)
        )

    def _dispatch(self, entry: Held) -> None:
        self._pushed = False
        try:
            self.handle(entry)
        except Exception as exc:  # fail-open: pass the event on as received
            label = f"stream event {entry.name}" if entry.name else "stream event"
            self.problem(f"cannot handle {label}: {type(exc).__name__}")
            if not self._pushed:
                self._queue.push(entry)

    def _give_up(self, reason: str, pending: bytes) -> bytes:
        self.problem(f"{reason}; the rest of the stream passes through unparsed")
        self._passthrough = True
        self._cut_in_call = self._cut_in_call or self._queue.holding
        return self._as_bytes(self._queue.drain_all()) + pending

    def _problems_overflow(self) -> tuple[str, ...]:
        extra = self._problem_count - len(self._problems)
        return (f"... and {extra} more problems",) if extra > 0 else ()

    @staticmethod
    def _as_bytes(entries: list[Held]) -> bytes:
        return b"".join(e.raw if isinstance(e.raw, bytes) else e.raw.encode() for e in entries)

    @staticmethod
    def _as_texts(entries: list[Held]) -> list[str]:
        return [e.raw if isinstance(e.raw, str) else e.raw.decode("utf-8", "replace") for e in entries]


def replay(editor: EventStreamEditor, body: bytes) -> tuple[bytes, ParsedResponse]:
    """Run a whole buffered event stream through ``editor``: (the bytes to send, what it said)."""
    out = editor.feed(body) + editor.end()
    return out, editor.response()
