import pytest

from agentd.observe.protocol import decode, encode


def test_encode_is_one_line() -> None:
    line = encode({"op": "status", "args": {"text": "a\nb"}})
    assert line.count(b"\n") == 1
    assert decode(line) == {"op": "status", "args": {"text": "a\nb"}}


@pytest.mark.parametrize("line", [b"[]", b"3", b'"x"', b"\xff"])
def test_non_objects_are_refused(line: bytes) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - json.JSONDecodeError and UnicodeDecodeError are ValueErrors
        decode(line)
