from typing import Any

import pytest

from agentd.errors import ParseError
from agentd.normalize.dialects import fields


@pytest.mark.parametrize(
    ("reader", "value", "expected"),
    [
        (fields.obj, {"a": 1}, {"a": 1}),
        (fields.obj, [1], {}),
        (fields.items, [1], [1]),
        (fields.items, "x", []),
        (fields.string, "x", "x"),
        (fields.string, 5, ""),
        (fields.opt_str, None, None),
        (fields.opt_int, 5, 5),
        (fields.opt_int, True, None),
        (fields.opt_int, 5.0, None),
        (fields.call_id, 7, "7"),
        (fields.call_id, "c", "c"),
        (fields.call_id, None, ""),
        (fields.call_id, False, ""),
        (fields.arguments_text, '{"a":1}', '{"a":1}'),
        (fields.arguments_text, {"a": 1}, '{"a":1}'),
        (fields.arguments_text, None, ""),
    ],
)
def test_readers(reader: Any, value: Any, expected: Any) -> None:
    assert reader(value) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"event: x\ndata: {}\n\n", True),
        (b"data: {}\n\n", True),
        (b": ping\n\n", True),
        (b"\xef\xbb\xbf\r\ndata: {}", True),
        (b'{"data": 1}', False),
        (b"[]", False),
        (b"", False),
    ],
)
def test_looks_like_sse(body: bytes, expected: bool) -> None:
    assert fields.looks_like_sse(body) is expected


@pytest.mark.parametrize(
    ("body", "message"), [(b"[]", "expected a JSON object, got list"), (b"x", "not valid JSON")]
)
def test_parse_object(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        fields.parse_object(body, "thing")
