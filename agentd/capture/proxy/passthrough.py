"""Fail-open for streamed bodies: if agentd's stream handling raises, or holds more than it
may, the client still receives exactly the bytes upstream sent, in order, and the rest of the
stream passes through untouched.

It keeps the bytes received but not yet forwarded while the handler's output is a prefix of
its input (nothing edited), so a failure can release them verbatim.
"""

from collections import deque
from collections.abc import Callable

from agentd.capture.proxy.gate import ResponseStream
from agentd.errors import ParseError


class HeldTooMuch(ParseError):
    """The stream handler held back more bytes than allowed (e.g. one enormous event)."""


class GuardedStream:
    """The callable mitmproxy's ``flow.response.stream`` takes (``b""`` marks the end)."""

    def __init__(
        self, inner: ResponseStream, on_error: Callable[[BaseException], None], max_held: int
    ) -> None:
        self._inner: ResponseStream | None = inner
        self._on_error = on_error
        self._max_held = max_held
        self._pending = bytearray()  # received, not yet forwarded (meaningful while pristine)
        self._pristine = True  # everything forwarded so far equals the input's prefix
        self.bytes_in = 0
        self.bytes_out = 0

    @property
    def failed(self) -> bool:
        return self._inner is None

    def __call__(self, data: bytes) -> list[bytes]:
        # mitmproxy writes every returned chunk; an empty one would end a chunked body early.
        out = self._end() if data == b"" else self._feed(data)
        out = [chunk for chunk in out if chunk]
        self.bytes_out += sum(map(len, out))
        return out

    def _feed(self, data: bytes) -> list[bytes]:
        self.bytes_in += len(data)
        if self._inner is None:
            return [data]
        if self._pristine:
            self._pending += data
        try:
            out = self._inner.feed(data)
        except Exception as exc:
            return self._give_up(exc, data)
        self._account(out)
        if self._pristine and len(self._pending) > self._max_held:
            return [out, *self._give_up(HeldTooMuch(f"stream handler held over {self._max_held} bytes"), b"")]
        return [out]

    def _end(self) -> list[bytes]:
        if self._inner is None:
            return []
        inner, self._inner = self._inner, None
        try:
            out = inner.end()
        except Exception as exc:
            self._inner = inner
            return self._give_up(exc, b"")
        return [out]

    def _account(self, out: bytes) -> None:
        if not self._pristine:
            return
        if self._pending.startswith(out):
            del self._pending[: len(out)]
        else:
            # The handler rewrote something (a denied tool call): from here on identity is
            # the handler's business, and a later failure can only pass new bytes through.
            self._pristine = False
            self._pending.clear()

    def _give_up(self, exc: BaseException, data: bytes) -> list[bytes]:
        self._inner = None
        released = bytes(self._pending) if self._pristine else data
        self._pending.clear()
        self._on_error(exc)
        return [released]


class GuardedMessages:
    """The same guarantee for WebSocket messages from upstream: a handler failure releases the
    messages it was holding, unchanged and in order, and later messages pass through."""

    def __init__(self, inner: Callable[[str], list[str]], on_error: Callable[[BaseException], None]) -> None:
        self._inner: Callable[[str], list[str]] | None = inner
        self._on_error = on_error
        self._pending: deque[str] = deque()  # received, not yet forwarded (while pristine)
        self._pristine = True

    @property
    def failed(self) -> bool:
        return self._inner is None

    def __call__(self, text: str) -> list[str]:
        if self._inner is None:
            return [text]
        if self._pristine:
            self._pending.append(text)
        try:
            out = self._inner(text)
        except Exception as exc:
            released = self.abort() if self._pristine else [text]
            self._on_error(exc)
            return released
        if self._pristine:
            if len(out) <= len(self._pending) and all(
                a == b for a, b in zip(out, self._pending, strict=False)
            ):
                for _ in out:
                    self._pending.popleft()
            else:
                self._pristine = False
                self._pending.clear()
        return out

    def abort(self) -> list[str]:
        """Stop handling: the held originals, to be sent before anything else."""
        self._inner = None
        released = list(self._pending) if self._pristine else []
        self._pending.clear()
        return released
