import json
from typing import Any

import pytest

from agentd.demo.agent import parse_stream
from agentd.demo.model import FINAL, FOLLOW_UP, Text, ToolUse, answer, stream

CREDS = "/home/dev/.aws/credentials"


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        (
            [{"role": "user", "content": "why does the deploy fail?"}],
            ToolUse("toolu_demo_1", "Read", {"file_path": CREDS}),
        ),
        (
            [{"role": "user", "content": [{"type": "text", "text": FOLLOW_UP}]}],
            ToolUse(
                "toolu_demo_2", "Bash", {"command": "pytest -q tests/test_deploy.py", "description": "tests"}
            ),
        ),
        (
            [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "x", "content": "ok"}]}],
            Text(FINAL),
        ),
        ([], ToolUse("toolu_demo_1", "Read", {"file_path": CREDS})),
        ("not a list", ToolUse("toolu_demo_1", "Read", {"file_path": CREDS})),
        (
            [{"role": "user", "content": [1, None, {"type": "text"}]}],
            ToolUse("toolu_demo_1", "Read", {"file_path": CREDS}),
        ),
    ],
)
def test_the_scripted_turns(messages: Any, expected: Text | ToolUse) -> None:
    assert answer({"messages": messages}, CREDS)[-1] == expected


def test_stream_round_trips_through_the_agents_parser() -> None:
    blocks = [Text("hi"), ToolUse("t1", "Bash", {"command": "echo " + "x" * 100})]
    turn, content = parse_stream(b"".join(stream(blocks, "m", "msg_1")))
    assert turn.text == ["hi"]
    assert turn.stop_reason == "tool_use"
    assert [c["type"] for c in content] == ["text", "tool_use"]
    assert turn.tool_calls[0]["input"] == {"command": "echo " + "x" * 100}


def test_every_event_is_one_sse_frame() -> None:
    for frame in stream([Text("a")], "m", "msg"):
        event, data, blank = frame.decode().split("\n", 2)
        assert event.startswith("event: ")
        assert blank == "\n"
        assert json.loads(data.removeprefix("data: "))["type"] == event.removeprefix("event: ")
