import pytest

from agentd.capture.hooks.protocol import MAX_REASON, NativeReply, clip, field, text_of


def test_native_reply_round_trip() -> None:
    reply = NativeReply(stdout='{"a":1}', stderr="no", exit_code=2)
    assert NativeReply.from_json(reply.to_json()) == reply
    assert NativeReply.from_json({}) == NativeReply()


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "x",
        {"stdout": 1},
        {"stderr": None},
        {"exit_code": "0"},
        {"exit_code": 127},
        {"exit_code": -1},
    ],
)
def test_native_reply_refuses_what_the_daemon_could_not_have_sent(data: object) -> None:
    with pytest.raises(ValueError, match="hook reply"):
        NativeReply.from_json(data)


def test_text_of() -> None:
    assert text_of(None) == ""
    assert text_of("x") == "x"
    assert text_of({"stdout": "é", "n": 1}) == '{"stdout":"é","n":1}'
    nested: list[object] = []
    nested.append(nested)
    assert text_of(nested)  # a self-referencing value still becomes text


def test_clip_and_field() -> None:
    assert clip("short") == "short"
    assert len(clip("x" * 50_000)) == MAX_REASON
    assert field({"a": "b", "n": 1}, "a") == "b"
    assert field({"a": "b", "n": 1}, "n") is None
