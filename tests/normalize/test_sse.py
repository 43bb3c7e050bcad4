import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentd.errors import ParseError
from agentd.normalize.sse import SSEDecoder, SSEEvent, SSEOverflow, frame


def decode(chunks: list[bytes], max_event_bytes: int = 1 << 20) -> list[SSEEvent]:
    decoder = SSEDecoder(max_event_bytes)
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    return events + decoder.end()


def fields(events: list[SSEEvent]) -> list[tuple[str | None, str | None, str | None, bool]]:
    return [(e.event, e.data, e.id, e.complete) for e in events]


CASES = [
    # (stream, [(event, data, id, complete)])
    (b"data: x\n\n", [(None, "x", None, True)]),
    (b"event: ping\ndata: {}\n\n", [("ping", "{}", None, True)]),
    (
        b"data: a\r\n\r\ndata: b\r\rdata: c\n\n",
        [(None, "a", None, True), (None, "b", None, True), (None, "c", None, True)],
    ),
    (b"data: line1\ndata: line2\ndata:\ndata:line4\n\n", [(None, "line1\nline2\n\nline4", None, True)]),
    (b": keep-alive\n\n", [(None, None, None, True)]),
    (b": comment\ndata: x\n: another\n\n", [(None, "x", None, True)]),
    (b"id: 7\nretry: 100\nunknown: y\ndata\n\n", [(None, "", "7", True)]),
    (b"id: a\0b\ndata: x\n\n", [(None, "x", None, True)]),  # an id with NUL is ignored
    (b"data:  two spaces\n\n", [(None, " two spaces", None, True)]),
    (b"data: no end", [(None, "no end", None, False)]),
    (b"data: x\n", [(None, "x", None, False)]),
    (b"data: x\r", [(None, "x", None, False)]),
    (b"data: x\n\r", [(None, "x", None, True)]),
    (b"\xef\xbb\xbfdata: bom\n\n", [(None, "bom", None, True)]),
    (b"\xef\xbb\xbf\ndata: x\n\n", [(None, None, None, True), (None, "x", None, True)]),
    (b"\xef\xbb\xbfdata: a\r\n\r\n", [(None, "a", None, True)]),
    # LF-only framing that turns to CRLF in the middle of an event
    (
        b"data: a\n\ndata: b\ndata: c\r\n\r\ndata: d\n\n",
        [(None, "a", None, True), (None, "b\nc", None, True), (None, "d", None, True)],
    ),
    (b"", []),
    (b"\n\n\n", [(None, None, None, True), (None, None, None, True), (None, None, None, True)]),
]


@pytest.mark.parametrize(("stream", "expected"), CASES)
def test_fields_and_raw_bytes_at_every_split(stream: bytes, expected: list[tuple[object, ...]]) -> None:
    for cut in range(len(stream) + 1):
        for second in range(cut, len(stream) + 1):
            events = decode([stream[:cut], stream[cut:second], stream[second:]])
            assert fields(events) == expected, (cut, second)
            assert b"".join(e.raw for e in events) == stream


def test_invalid_utf8_is_flagged_and_replaced() -> None:
    (event,) = decode([b"data: caf\xe9\n\n"])
    assert event.invalid_utf8
    assert event.data == "caf\ufffd"
    assert event.raw == b"data: caf\xe9\n\n"


def test_an_oversized_event_raises_and_hands_back_its_bytes() -> None:
    decoder = SSEDecoder(max_event_bytes=100)
    assert decoder.feed(b"data: small\n\n")[0].data == "small"
    decoder.feed(b"data: " + b"x" * 50)
    with pytest.raises(SSEOverflow, match="exceeds 100 bytes") as info:
        decoder.feed(b"x" * 60)
    assert isinstance(info.value, ParseError)
    assert decoder.take_pending() == b"data: " + b"x" * 110
    assert decoder.end() == []


def test_many_events_in_one_chunk_are_linear() -> None:
    # 50k events in one feed: a quadratic scan would not finish in the test timeout
    stream = b"data: {}\n\n" * 50_000
    decoder = SSEDecoder()
    assert len(decoder.feed(stream)) == 50_000


def test_a_long_line_fed_in_small_chunks_is_linear() -> None:
    decoder = SSEDecoder()
    line = b"x" * 4096
    for _ in range(1000):  # a 4 MB data line arriving 4 KB at a time
        assert decoder.feed(line) == []
    (event,) = decoder.feed(b"\n\n")
    assert len(event.raw) == 1000 * 4096 + 2


@pytest.mark.parametrize(
    ("event", "data", "eol", "expected"),
    [
        ("ping", "{}", "\n", b"event: ping\ndata: {}\n\n"),
        (None, "[DONE]", "\n", b"data: [DONE]\n\n"),
        ("x", "1", "\r\n", b"event: x\r\ndata: 1\r\n\r\n"),
    ],
)
def test_frame(event: str | None, data: str, eol: str, expected: bytes) -> None:
    assert frame(event, data, eol) == expected
    assert fields(decode([expected])) == [(event, data, None, True)]


@given(st.lists(st.binary(max_size=40), max_size=12))
def test_arbitrary_bytes_never_lose_or_invent_a_byte(chunks: list[bytes]) -> None:
    events = decode(chunks)
    assert b"".join(e.raw for e in events) == b"".join(chunks)
