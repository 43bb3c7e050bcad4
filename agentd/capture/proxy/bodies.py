"""Request bodies as the agent meant them: content-encoding undone, never past a size cap.

Codex sends zstd, others gzip or br; a hostile body can expand a thousandfold (a "bomb"),
so every decoder stops at ``limit`` output bytes instead of trusting the compressed size.
"""

import zlib
from collections.abc import Callable

import brotli
import zstandard

from agentd.errors import ParseError


class BodyTooLarge(ParseError):
    """The (decoded) body exceeds the inspection cap; it is forwarded uninspected."""


def _inflate(data: bytes, limit: int, wbits: int) -> bytes:
    decoder = zlib.decompressobj(wbits)
    out = bytearray()
    pending = data
    while pending:
        out += decoder.decompress(pending, limit + 1 - len(out))
        if len(out) > limit:
            raise BodyTooLarge(f"decoded body exceeds {limit} bytes")
        pending = decoder.unconsumed_tail
    out += decoder.flush()
    if len(out) > limit:
        raise BodyTooLarge(f"decoded body exceeds {limit} bytes")
    if not decoder.eof:
        raise ParseError("compressed body is truncated")
    return bytes(out)


def _gzip(data: bytes, limit: int) -> bytes:
    return _inflate(data, limit, 16 + zlib.MAX_WBITS)


def _deflate(data: bytes, limit: int) -> bytes:
    # "deflate" is meant to be zlib-wrapped, but raw deflate is common in the wild.
    try:
        return _inflate(data, limit, zlib.MAX_WBITS)
    except zlib.error:
        return _inflate(data, limit, -zlib.MAX_WBITS)


def _brotli(data: bytes, limit: int) -> bytes:
    decoder = brotli.Decompressor()
    out = bytearray(decoder.process(data, output_buffer_limit=limit + 1))
    while len(out) <= limit and not decoder.is_finished() and not decoder.can_accept_more_data():
        out += decoder.process(b"", output_buffer_limit=limit + 1 - len(out))
    if len(out) > limit:
        raise BodyTooLarge(f"decoded body exceeds {limit} bytes")
    if not decoder.is_finished():
        raise ParseError("compressed body is truncated")
    return bytes(out)


def _zstd(data: bytes, limit: int) -> bytes:
    # Fed in slices sized so that even zstd's worst expansion (~32768x for RLE blocks) cannot
    # overshoot the remaining budget by more than itself; frames may be concatenated.
    view = memoryview(data)
    out = bytearray()
    pos = 0
    while pos < len(view):
        decoder = zstandard.ZstdDecompressor().decompressobj()
        while pos < len(view) and not decoder.eof:
            step = max(1024, (limit + 1 - len(out)) >> 15)
            chunk = view[pos : pos + step]
            out += decoder.decompress(chunk)
            pos += len(chunk)
            if len(out) > limit:
                raise BodyTooLarge(f"decoded body exceeds {limit} bytes")
        if not decoder.eof:
            raise ParseError("compressed body is truncated")
        pos -= len(decoder.unused_data)
    return bytes(out)


_DECODERS: dict[str, Callable[[bytes, int], bytes]] = {
    "gzip": _gzip,
    "x-gzip": _gzip,
    "deflate": _deflate,
    "br": _brotli,
    "zstd": _zstd,
}


def decode(data: bytes, content_encoding: str, limit: int) -> bytes:
    """``data`` with every listed content-coding undone (last applied first).

    Raises BodyTooLarge past ``limit`` bytes (raw or decoded) and ParseError for an unknown
    coding or a corrupt / truncated stream.
    """
    if len(data) > limit:
        raise BodyTooLarge(f"body of {len(data)} bytes exceeds {limit} bytes")
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    for coding in reversed(codings):
        if coding == "identity":
            continue
        decoder = _DECODERS.get(coding)
        if decoder is None:
            raise ParseError(f"unsupported content-encoding {coding!r}")
        try:
            data = decoder(data, limit)
        except (zlib.error, brotli.error, zstandard.ZstdError) as exc:
            raise ParseError(f"corrupt {coding} body: {exc}") from exc
    return data
