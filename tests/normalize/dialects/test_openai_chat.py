import json
from typing import Any

import openai
import pytest

from agentd.errors import ParseError
from agentd.normalize.dialects.openai_chat import OpenAIChat
from agentd.normalize.model import Denial, ParsedResponse, ToolOutput, ToolSpec, ToolUse
from tests.normalize.fixtures import feed_chunks, load, split_at, sse_events
from tests.normalize.sdks import openai_client

D = OpenAIChat()
MESSAGES: Any = [{"role": "user", "content": "hi"}]


def fx(name: str) -> bytes:
    return load("openai_chat", name)


def allow(call: ToolUse) -> None:
    return None


def deny(*names: str) -> Any:
    def hook(call: ToolUse) -> Denial | None:
        return Denial(f"{call.name} is not allowed") if call.name in names else None

    return hook


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("POST", "/v1/chat/completions", True),
        ("POST", "/chat/completions", True),
        ("POST", "/openai/deployments/gpt4/chat/completions?api-version=2024-10-21", True),
        ("GET", "/v1/chat/completions", False),
        ("POST", "/v1/completions", False),
        ("POST", "/v1/responses", False),
    ],
)
def test_matches(method: str, path: str, expected: bool) -> None:
    assert D.matches(method, "api.openai.com", path) is expected


def test_parse_request() -> None:
    parsed = D.parse_request(fx("request_tools.json"))
    assert parsed.dialect == "openai-chat"
    assert parsed.model == "gpt-4.1"
    assert parsed.stream is True
    assert parsed.system == "You are a coding agent.\nPrefer small diffs."
    assert parsed.tools[0].name == "get_weather"
    assert parsed.tools[0].input_schema is not None
    assert parsed.tools[1] == ToolSpec(name="apply_patch", description="Apply a unified diff")
    roles = [m.role for m in parsed.messages]
    assert roles == ["system", "system", "user", "assistant", "tool", "tool", "assistant", "user"]
    assert parsed.messages[2].text == "What is the weather in Paris and Berlin?"
    assert parsed.messages[3].tool_uses == (
        ToolUse("call_Paris", "get_weather", '{"city":"Paris"}'),
        ToolUse("call_Berlin", "get_weather", '{"city":"Berlin"}'),
    )
    assert parsed.messages[4].tool_outputs == (ToolOutput("call_Paris", "18C", False, "get_weather"),)
    assert parsed.messages[5].tool_outputs == (ToolOutput("call_Berlin", "12C, rain", False, "get_weather"),)
    assert parsed.messages[4].text == ""
    assert parsed.messages[7].text == "Thanks. Now apply the patch."
    assert parsed.messages[7].location == "messages[7]"


def test_legacy_function_calls_join_by_name() -> None:
    body = {
        "messages": [
            {"role": "assistant", "function_call": {"name": "lookup", "arguments": '{"q":1}'}},
            {"role": "function", "name": "lookup", "content": "found"},
        ],
        "functions": [{"name": "lookup", "parameters": {"type": "object"}}],
    }
    parsed = D.parse_request(json.dumps(body).encode())
    assert parsed.messages[0].tool_uses == (ToolUse("lookup", "lookup", '{"q":1}'),)
    assert parsed.messages[1].tool_outputs == (ToolOutput("lookup", "found", False, "lookup"),)
    assert parsed.tools == (ToolSpec("lookup", "", {"type": "object"}),)


RESPONSES = [
    (
        "response_tool_calls.json",
        ParsedResponse(
            model="gpt-4.1-2025-04-14",
            tool_uses=(
                ToolUse("call_Paris", "get_weather", '{"city":"Paris"}'),
                ToolUse("call_Rm", "shell", '{"command":"rm -rf /"}'),
            ),
            stop_reason="tool_calls",
            input_tokens=82,
            output_tokens=17,
            response_id="chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        ),
    ),
    (
        "response_text.json",
        ParsedResponse(
            model="gpt-4.1-2025-04-14",
            text="It is 18C in Paris.",
            stop_reason="stop",
            input_tokens=90,
            output_tokens=8,
            response_id="chatcmpl-text",
        ),
    ),
    ("response_error.json", ParsedResponse(text="Rate limit reached for gpt-4.1", stop_reason="error")),
    (
        "stream_tool_calls.sse",
        ParsedResponse(
            model="gpt-4.1-2025-04-14",
            tool_uses=(
                ToolUse("call_Paris", "get_weather", '{"city":"Paris"}'),
                ToolUse("call_Rm", "shell", '{"command":"rm -rf /"}'),
            ),
            stop_reason="tool_calls",
            input_tokens=82,
            output_tokens=17,
            response_id="chatcmpl-stream",
        ),
    ),
    (
        "stream_text.sse",
        ParsedResponse(
            model="gpt-4.1-2025-04-14",
            text="It is 18C.",
            stop_reason="stop",
            input_tokens=90,
            output_tokens=5,
            response_id="chatcmpl-stream",
        ),
    ),
    (
        "stream_text_then_tool.sse",
        ParsedResponse(
            model="gpt-4.1-2025-04-14",
            text="Let me check.",
            tool_uses=(ToolUse("call_Paris", "get_weather", '{"city":"Paris"}'),),
            stop_reason="tool_calls",
            response_id="chatcmpl-stream",
        ),
    ),
]


@pytest.mark.parametrize(("name", "expected"), RESPONSES, ids=[r[0] for r in RESPONSES])
def test_parse_response(name: str, expected: ParsedResponse) -> None:
    assert D.parse_response(fx(name)) == expected


STREAMS = [r[0] for r in RESPONSES if r[0].endswith(".sse")]


@pytest.mark.parametrize("name", STREAMS)
def test_allowed_stream_passes_byte_identical_at_every_split(name: str) -> None:
    data = fx(name)
    whole = D.stream_editor(allow)
    assert feed_chunks(whole, [data]) == data
    expected = whole.response()
    for cut in range(len(data) + 1):
        editor = D.stream_editor(allow)
        assert feed_chunks(editor, split_at(data, cut)) == data, cut
        assert editor.response() == expected, cut


def test_text_goes_out_at_once_and_calls_are_held_until_the_choice_finishes() -> None:
    decided: list[str] = []
    editor = D.stream_editor(lambda call: decided.append(call.call_id))
    events = sse_events(fx("stream_text_then_tool.sse"))
    assert editor.feed(events[0]) == events[0]  # text
    assert editor.feed(events[1]) == b""  # the whole call, but the choice has not finished
    assert decided == []
    assert editor.feed(events[2]) == events[1] + events[2]  # finish_reason: decided and released
    assert decided == ["call_Paris"]
    assert editor.feed(events[3]) == events[3]


def test_denied_calls_become_text_the_sdk_accepts() -> None:
    editor = D.stream_editor(deny("shell"))
    out = feed_chunks(editor, [fx("stream_tool_calls.sse")])
    with openai_client(200, out, "text/event-stream").chat.completions.stream(
        model="m", messages=MESSAGES
    ) as s:
        final = s.get_final_completion()
    message = final.choices[0].message
    assert message.content is not None
    assert message.content.startswith(
        "[agentd] The tool call shell (call_Rm) was blocked: shell is not allowed"
    )
    assert [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []] == [  # type: ignore[union-attr]
        ("call_Paris", "get_weather", '{"city":"Paris"}')
    ]
    assert final.choices[0].finish_reason == "tool_calls"


def test_denying_every_call_finishes_with_stop_and_renumbers_nothing_left() -> None:
    editor = D.stream_editor(deny("shell", "get_weather"))
    out = feed_chunks(editor, [fx("stream_tool_calls.sse")])
    assert b"tool_calls" not in out
    with openai_client(200, out, "text/event-stream").chat.completions.stream(
        model="m", messages=MESSAGES
    ) as s:
        final = s.get_final_completion()
    assert final.choices[0].finish_reason == "stop"
    assert not final.choices[0].message.tool_calls
    assert final.usage is not None
    assert final.usage.completion_tokens == 17


def test_denying_the_first_call_renumbers_the_survivor() -> None:
    editor = D.stream_editor(deny("get_weather"))
    out = feed_chunks(editor, [fx("stream_tool_calls.sse")])
    indexes = {
        fragment["index"]
        for event in sse_events(out)
        if b"[DONE]" not in event
        for choice in json.loads(event[6:])["choices"]
        for fragment in choice["delta"].get("tool_calls", [])
    }
    assert indexes == {0}
    with openai_client(200, out, "text/event-stream").chat.completions.stream(
        model="m", messages=MESSAGES
    ) as s:
        final = s.get_final_completion()
    assert [c.id for c in final.choices[0].message.tool_calls or []] == ["call_Rm"]


def test_deny_in_json_response() -> None:
    body = D.deny_in_response(fx("response_tool_calls.json"), {"call_Rm": Denial("destructive")})
    completion = openai_client(200, body, "application/json").chat.completions.create(
        model="m", messages=MESSAGES
    )
    message = completion.choices[0].message
    assert message.content == "[agentd] The tool call shell (call_Rm) was blocked: destructive"
    assert [c.id for c in message.tool_calls or []] == ["call_Paris"]
    everything = D.deny_in_response(
        fx("response_tool_calls.json"), {"call_Rm": Denial("x"), "call_Paris": Denial("y")}
    )
    assert json.loads(everything)["choices"][0]["finish_reason"] == "stop"
    assert "tool_calls" not in json.loads(everything)["choices"][0]["message"]


@pytest.mark.parametrize("name", ["response_tool_calls.json", "response_text.json", "stream_tool_calls.sse"])
def test_deny_in_response_without_matching_call_is_byte_identical(name: str) -> None:
    assert D.deny_in_response(fx(name), {"call_other": Denial("x")}) == fx(name)


def test_deny_call_is_an_error_the_sdk_raises() -> None:
    status, headers, body = D.deny_call(b"{}", ToolUse("c", "n", "{}"), Denial("secret in prompt"))
    client = openai_client(status, body, headers["content-type"])
    with pytest.raises(openai.PermissionDeniedError, match="secret in prompt"):
        client.chat.completions.create(model="m", messages=MESSAGES)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "not valid JSON"),
        (b"\xff", "not valid JSON"),
        (b"[]", "expected a JSON object"),
        (b'{"model": "m"}', "`messages` is missing"),
        (b'{"messages": [null]}', r"messages\[0\] is not an object"),
        (b'{"messages": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply|not valid JSON"),
    ],
)
def test_parse_request_rejects_bad_bodies(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        D.parse_request(body)


@pytest.mark.parametrize(
    "body",
    [
        {
            "messages": [
                {
                    "role": "assistant",
                    "tool_calls": [5, {"function": 3}, {"id": 9, "function": {"arguments": {}}}],
                }
            ]
        },
        {"messages": [{"role": "tool", "content": 5}], "tools": [1, {"type": "function"}], "functions": "x"},
        {"messages": [{"role": "user", "content": [1, {"type": "text"}, {"type": "image_url"}]}]},
    ],
)
def test_parse_request_tolerates_odd_shapes(body: dict[str, Any]) -> None:
    parsed = D.parse_request(json.dumps(body).encode())
    assert len(parsed.messages) == 1


HOSTILE = [
    (fx("stream_text.sse").replace(b'"content":"It is"', b'"content":"It is'), False, "not valid JSON"),
    (fx("stream_text.sse").replace(b"It is", b"It \xff is"), False, "not valid UTF-8"),
    (fx("stream_tool_calls.sse")[: fx("stream_tool_calls.sse").index(b"rm -rf")], True, "inside a tool call"),
    (b'data: {not json}\n\ndata: [1]\n\ndata: {"choices": 5}\n\n', True, "not valid JSON"),
    (b'data: {"choices":[{"index":[0],"delta":{"tool_calls":[{"index":{}}]}}]}\n\n', True, "cannot handle"),
]


@pytest.mark.parametrize(("data", "truncated", "problem"), HOSTILE)
def test_hostile_streams_pass_through_and_are_reported(data: bytes, truncated: bool, problem: str) -> None:
    editor = D.stream_editor(deny("shell"))
    assert feed_chunks(editor, split_at(data, len(data) // 2)) == data
    parsed = editor.response()
    assert parsed.truncated is truncated
    assert any(problem in p for p in parsed.problems), parsed.problems
