"""GuardedStream: whatever the handler does, the client gets upstream's bytes in order."""

import pytest

from agentd.capture.proxy.passthrough import GuardedMessages, GuardedStream, HeldTooMuch

UPSTREAM = [b"event: a\ndata: 1\n\n", b"event: tool\ndata: {", b'"x": 1}\n\n', b"event: b\ndata: 2\n\n"]


class Holder:
    """A real ResponseStream: forwards whole SSE events, holds partial ones, and fails on
    demand after ``fail_after`` feeds (or in end())."""

    def __init__(self, fail_after: int | None = None, fail_in_end: bool = False) -> None:
        self.buffer = b""
        self.feeds = 0
        self.fail_after = fail_after
        self.fail_in_end = fail_in_end

    def feed(self, chunk: bytes) -> bytes:
        self.feeds += 1
        if self.fail_after is not None and self.feeds > self.fail_after:
            raise RuntimeError("handler bug")
        self.buffer += chunk
        complete, sep, rest = self.buffer.rpartition(b"\n\n")
        self.buffer = rest
        return complete + sep

    def end(self) -> bytes:
        if self.fail_in_end:
            raise RuntimeError("handler bug at the end")
        out, self.buffer = self.buffer, b""
        return out


class Rewriter(Holder):
    def feed(self, chunk: bytes) -> bytes:
        return super().feed(chunk).replace(b"data: 1", b"data: one")


def _run(stream: GuardedStream, chunks: list[bytes]) -> bytes:
    out = b"".join(b"".join(stream(chunk)) for chunk in chunks)
    return out + b"".join(stream(b""))


def _guard(inner: Holder, errors: list[BaseException], max_held: int = 1 << 20) -> GuardedStream:
    return GuardedStream(inner, on_error=errors.append, max_held=max_held)


def test_a_working_handler_passes_everything() -> None:
    errors: list[BaseException] = []
    guard = _guard(Holder(), errors)
    assert _run(guard, UPSTREAM) == b"".join(UPSTREAM)
    assert errors == []
    assert guard.bytes_in == guard.bytes_out == len(b"".join(UPSTREAM))


@pytest.mark.parametrize("fail_after", range(len(UPSTREAM)))
def test_a_failure_at_any_point_still_delivers_upstream_bytes(fail_after: int) -> None:
    errors: list[BaseException] = []
    guard = _guard(Holder(fail_after=fail_after), errors)
    assert _run(guard, UPSTREAM) == b"".join(UPSTREAM)
    assert [type(e) for e in errors] == [RuntimeError]
    assert guard.failed


def test_a_failure_in_end_releases_what_was_held() -> None:
    errors: list[BaseException] = []
    chunks = [b"event: a\ndata: 1\n\n", b"event: cut\ndata: {"]
    guard = _guard(Holder(fail_in_end=True), errors)
    assert _run(guard, chunks) == b"".join(chunks)
    assert len(errors) == 1


def test_holding_too_much_gives_up_and_releases() -> None:
    errors: list[BaseException] = []
    huge = [b"data: " + b"x" * 1000] * 30  # one event that never ends
    guard = _guard(Holder(), errors, max_held=10_000)
    first = guard(huge[0])
    assert first == []  # held while under the cap
    out = b"".join(first) + _run(guard, huge[1:])
    assert out == b"".join(huge)
    assert [type(e) for e in errors] == [HeldTooMuch]


def test_nothing_empty_is_ever_returned() -> None:
    # An empty chunk would end a chunked HTTP/1 body early.
    guard = _guard(Holder(), [])
    assert guard(b"data: partial") == []
    assert guard(b"") == [b"data: partial"]
    assert guard(b"") == []


def test_rewritten_output_is_the_handlers_business() -> None:
    errors: list[BaseException] = []
    guard = _guard(Rewriter(), errors)
    assert _run(guard, UPSTREAM) == b"".join(UPSTREAM).replace(b"data: 1", b"data: one")
    assert errors == []


def test_after_a_failure_bytes_pass_straight_through() -> None:
    errors: list[BaseException] = []
    guard = _guard(Holder(fail_after=0), errors)
    assert guard(b"abc") == [b"abc"]
    assert guard(b"def") == [b"def"]
    assert guard(b"") == []
    assert len(errors) == 1


class MessageHolder:
    """Holds messages that start with "hold" until one that says "release"; fails on "boom"."""

    def __init__(self) -> None:
        self.held: list[str] = []

    def __call__(self, text: str) -> list[str]:
        if text == "boom":
            raise RuntimeError("handler bug")
        if text.startswith("hold"):
            self.held.append(text)
            return []
        out, self.held = [*self.held, text], []
        return out


@pytest.mark.parametrize(
    ("messages", "expected_out"),
    [
        (["a", "b"], ["a", "b"]),
        (["a", "hold1", "hold2", "release", "b"], ["a", "hold1", "hold2", "release", "b"]),
        # A failure while holding releases the held originals, then passes the rest through.
        (["hold1", "hold2", "boom", "c"], ["hold1", "hold2", "boom", "c"]),
        (["a", "boom", "hold-after", "d"], ["a", "boom", "hold-after", "d"]),
    ],
)
def test_guarded_messages_keep_upstreams_messages_and_order(
    messages: list[str], expected_out: list[str]
) -> None:
    errors: list[BaseException] = []
    guard = GuardedMessages(MessageHolder(), errors.append)
    out = [item for text in messages for item in guard(text)]
    assert out == expected_out
    assert len(errors) == ("boom" in messages)


def test_aborting_releases_what_is_held() -> None:
    guard = GuardedMessages(MessageHolder(), lambda exc: None)
    assert guard("hold1") == []
    assert guard.abort() == ["hold1"]
    assert guard.failed
    assert guard("x") == ["x"]


def test_rewritten_messages_are_the_handlers_business() -> None:
    guard = GuardedMessages(lambda text: [text.upper()], lambda exc: None)
    assert guard("a") == ["A"]
    assert guard("b") == ["B"]
