from typing import Any

import pytest

from agentd.errors import ParseError
from agentd.normalize import jsonvalue


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"a": 1}', {"a": 1}),
        ('{"a": "é"}', {"a": "é"}),
        (b"[1, 2.5, null, true]", [1, 2.5, None, True]),
        (b'{"big": 123456789012345678901234567890}', {"big": 1.2345678901234568e29}),  # orjson: float
        (b"[Infinity]", [float("inf")]),
        (b'"\\ud800"', "\ud800"),
    ],
)
def test_parse(data: bytes | str, expected: Any) -> None:
    assert jsonvalue.parse(data, "body") == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "body: not valid JSON"),
        (b"{", "body: not valid JSON"),
        (b"\xff", "body: not valid JSON"),
        (b'"\xc3\x28"', "body: not valid JSON"),
        (b"[" * 50_000 + b"]" * 50_000, "body: (JSON nested too deeply|not valid JSON)"),
        (b"1" * 10_000, "body: not valid JSON"),
    ],
)
def test_parse_rejects(data: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        jsonvalue.parse(data, "body")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"b": 1, "a": [True, None]}, '{"b":1,"a":[true,null]}'),
        ("é", '"é"'),
        (2**70, str(2**70)),
        ("\ud800", '"\ud800"'),
    ],
)
def test_compact_keeps_key_order(value: Any, text: str) -> None:
    assert jsonvalue.compact(value) == text


@pytest.mark.parametrize(
    ("one", "other", "equal"),
    [
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}, True),
        ({"a": [1, 2]}, {"a": [2, 1]}, False),
        ({"a": "x"}, {"a": "y"}, False),
        ({"n": 2**70, "z": 1}, {"z": 1, "n": 2**70}, True),
        ({"s": "\ud800"}, {"s": "\ud800"}, True),
    ],
)
def test_digest_is_canonical(one: Any, other: Any, equal: bool) -> None:
    assert (jsonvalue.digest(one) == jsonvalue.digest(other)) is equal
    assert len(jsonvalue.digest(one)) == 64


def test_too_deep_to_render_is_a_parse_error() -> None:
    value: Any = 0
    for _ in range(100_000):
        value = [value]
    with pytest.raises(ParseError, match="nested too deeply"):
        jsonvalue.digest(value)
