from agentd.demo.agent import parse_stream
from agentd.demo.model import Text, ToolUse, stream


def test_a_replaced_tool_call_reads_as_text() -> None:
    turn, _ = parse_stream(b"".join(stream([Text("[agentd] blocked")], "m", "id")))
    assert turn.text == ["[agentd] blocked"]
    assert turn.tool_calls == []
    assert turn.stop_reason == "end_turn"


def test_malformed_truncated_and_hostile_streams_do_not_raise() -> None:
    whole = b"".join(stream([ToolUse("t", "Bash", {"command": "ls"})], "m", "id"))
    for raw in (
        b"",
        b"data: {not json\n",
        whole[: len(whole) // 2],
        b"\xff\xfe" * 1000,
        b"data: []\n" * 10_000,
    ):
        turn, content = parse_stream(raw)
        assert isinstance(content, list)
        for call in turn.tool_calls:
            assert isinstance(call["input"], dict)
