"""Byte offsets in the scanned UTF-8 buffer back to ``str`` indexes of the caller's text.

The scanner matches bytes (``text.encode("utf-8", "surrogatepass")``, so lone surrogates from
undecodable input survive); findings speak in ``str`` indexes. ASCII text maps one to one.
"""

from collections.abc import Iterable


def _is_continuation(byte: int) -> bool:
    return 0x80 <= byte < 0xC0


def widen(data: bytes, start: int, end: int) -> tuple[int, int]:
    """The smallest span of whole characters covering [start, end)."""
    while 0 < start < len(data) and _is_continuation(data[start]):
        start -= 1
    while end < len(data) and _is_continuation(data[end]):
        end += 1
    return start, end


_CONTINUATION = bytes(range(0x80, 0xC0))


def encode(text: str) -> bytes:
    """UTF-8 bytes of ``text``; lone surrogates (undecodable input) are kept as 3-byte sequences."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def char_indexes(data: bytes, offsets: Iterable[int]) -> dict[int, int]:
    """``{byte offset: str index}`` for offsets on character boundaries of ``data``.

    One pass however many offsets: a character is one lead byte plus continuation bytes, so the
    index is the count of non-continuation bytes before the offset.
    """
    mapping: dict[int, int] = {}
    previous = chars = 0
    for offset in sorted(set(offsets)):
        chars += len(data[previous:offset].translate(None, _CONTINUATION))
        mapping[offset] = chars
        previous = offset
    return mapping
