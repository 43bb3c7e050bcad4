import gzip
import zlib

import brotli
import pytest
import zstandard

from agentd.capture.proxy.bodies import BodyTooLarge, decode
from agentd.errors import ParseError

PLAIN = b'{"messages": [{"role": "user", "content": "hello"}]}' * 200


def _deflate_raw(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


ENCODERS = {
    "gzip": lambda data: gzip.compress(data, compresslevel=1),
    "x-gzip": lambda data: gzip.compress(data, compresslevel=1),
    "deflate": lambda data: zlib.compress(data, 1),
    "br": brotli.compress,
    "zstd": lambda data: zstandard.ZstdCompressor().compress(data),
}


@pytest.mark.parametrize("coding", sorted(ENCODERS))
def test_each_coding_round_trips(coding: str) -> None:
    assert decode(ENCODERS[coding](PLAIN), coding, 1 << 20) == PLAIN


@pytest.mark.parametrize("header", ["", "identity", " Identity ", "identity, identity"])
def test_identity_is_untouched(header: str) -> None:
    assert decode(PLAIN, header, 1 << 20) == PLAIN


def test_raw_deflate_is_accepted() -> None:
    assert decode(_deflate_raw(PLAIN), "deflate", 1 << 20) == PLAIN


def test_stacked_codings_are_undone_last_first() -> None:
    body = brotli.compress(gzip.compress(PLAIN))
    assert decode(body, "gzip, br", 1 << 20) == PLAIN


def test_concatenated_zstd_frames() -> None:
    compressor = zstandard.ZstdCompressor()
    assert decode(compressor.compress(b"ab") + compressor.compress(b"cd"), "zstd", 100) == b"abcd"


@pytest.mark.parametrize("coding", sorted(ENCODERS))
def test_bomb_stops_at_the_limit(coding: str) -> None:
    # 64 MiB of zeros compresses to well under 1 MiB; decoding stops at 1 MiB of output.
    zeros = bytes(64 << 20)
    bomb = brotli.compress(zeros, quality=1) if coding == "br" else ENCODERS[coding](zeros)
    assert len(bomb) < 1 << 20
    with pytest.raises(BodyTooLarge, match="exceeds"):
        decode(bomb, coding, 1 << 20)


def test_raw_body_over_the_limit() -> None:
    with pytest.raises(BodyTooLarge):
        decode(b"x" * 101, "", 100)


def test_exactly_the_limit_is_fine() -> None:
    assert decode(gzip.compress(b"y" * 100), "gzip", 100) == b"y" * 100


@pytest.mark.parametrize("coding", sorted(ENCODERS))
def test_truncated_streams_are_parse_errors(coding: str) -> None:
    encoded = ENCODERS[coding](PLAIN)
    with pytest.raises(ParseError):
        decode(encoded[: len(encoded) // 2], coding, 1 << 20)


@pytest.mark.parametrize("coding", sorted(ENCODERS))
@pytest.mark.parametrize("garbage", [b"\x00", b"not compressed at all", bytes(range(256)) * 8])
def test_garbage_is_a_parse_error_not_a_crash(coding: str, garbage: bytes) -> None:
    with pytest.raises(ParseError):
        decode(garbage, coding, 1 << 20)


@pytest.mark.parametrize("coding", ["compress", "snappy", "gzip;q=1"])
def test_unknown_codings_are_named(coding: str) -> None:
    with pytest.raises(ParseError, match="unsupported content-encoding"):
        decode(PLAIN, coding, 1 << 20)
