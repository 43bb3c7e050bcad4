import json
from dataclasses import replace
from typing import Any

import openai
import pytest

from agentd.errors import ParseError
from agentd.normalize.dialects.openai_responses import SERVER_SIDE, OpenAIResponses
from agentd.normalize.model import Denial, ParsedResponse, ToolOutput, ToolSpec, ToolUse
from tests.normalize.fixtures import feed_chunks, load, split_at, sse_events
from tests.normalize.sdks import openai_client

D = OpenAIResponses()
RM = ToolUse("call_rm", "shell", '{"command":["rm","-rf","build"]}')
PATCH = ToolUse("call_patch2", "apply_patch", "*** Begin Patch\n*** Delete File: .env\n*** End Patch")


def fx(name: str) -> bytes:
    return load("openai_responses", name)


def ws_messages() -> list[str]:
    return fx("ws_two_responses.jsonl").decode().splitlines()


def allow(call: ToolUse) -> None:
    return None


def deny(*names: str) -> Any:
    def hook(call: ToolUse) -> Denial | None:
        return Denial(f"{call.name} is not allowed") if call.name in names else None

    return hook


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("POST", "/v1/responses", True),
        ("POST", "/backend-api/codex/responses", True),
        ("GET", "/backend-api/codex/responses", True),  # the WebSocket upgrade
        ("GET", "/v1/responses/resp_123", False),
        ("POST", "/v1/chat/completions", False),
        ("DELETE", "/v1/responses", False),
    ],
)
def test_matches(method: str, path: str, expected: bool) -> None:
    assert D.matches(method, "chatgpt.com", path) is expected


def test_parse_a_codex_request() -> None:
    parsed = D.parse_request(fx("request_codex.json"))
    assert parsed.dialect == "openai-responses"
    assert parsed.model == "gpt-5-codex"
    assert parsed.system == "You are Codex, a coding agent based on GPT-5."
    assert parsed.session_hint == "0199a1b2-c3d4-7e8f-9a0b-c1d2e3f4a5b6"
    assert parsed.stream is True
    assert [t.name for t in parsed.tools] == ["shell", "apply_patch", "web_search"]
    assert parsed.tools[2] == ToolSpec("web_search", server=SERVER_SIDE)
    assert parsed.tools[0].input_schema is not None
    assert [(m.role, m.location) for m in parsed.messages] == [
        ("system", "input[0]"),
        ("user", "input[1]"),
        ("user", "input[2]"),
        ("assistant", "input[3]"),
        ("assistant", "input[4]"),
        ("tool", "input[5]"),
        ("assistant", "input[6]"),
        ("tool", "input[7]"),
        ("assistant", "input[8]"),
    ]
    messages = parsed.messages
    assert messages[2].text == "fix the failing test"
    assert messages[4].tool_uses == (
        ToolUse("call_ls", "shell", '{"command":["bash","-lc","ls"],"workdir":"/home/dev/proj"}'),
    )
    assert messages[5].tool_outputs == (ToolOutput("call_ls", "README.md\nsrc\ntests", False, "shell"),)
    assert messages[6].tool_uses[0].name == "apply_patch"
    assert messages[6].tool_uses[0].arguments.startswith("*** Begin Patch")
    assert messages[7].tool_outputs[0].name == "apply_patch"
    assert messages[8].text == "Patched src/a.py."


@pytest.mark.parametrize(
    ("name", "continues", "texts"),
    [
        ("request_continued.json", "resp_prev_01", ["and now in Berlin?"]),
        ("ws_response_create.json", "resp_prev_02", [""]),
    ],
)
def test_continued_requests_and_websocket_frames(name: str, continues: str, texts: list[str]) -> None:
    parsed = D.parse_request(fx(name))
    assert parsed.continues == continues
    assert [m.text for m in parsed.messages] == texts


def test_websocket_control_frames_carry_nothing() -> None:
    assert D.parse_request(b'{"type": "response.processed", "response_id": "resp_1"}').messages == ()


STREAM_SUMMARY = ParsedResponse(
    model="gpt-5-codex",
    text="Running the tests.",
    tool_uses=(RM,),
    stop_reason="completed",
    input_tokens=3210,
    output_tokens=45,
    response_id="resp_01",
)

RESPONSES = [
    ("response_function_call.json", STREAM_SUMMARY),
    ("stream_function_call.sse", STREAM_SUMMARY),
    (
        "stream_custom_tool.sse",
        ParsedResponse(
            model="gpt-5-codex",
            tool_uses=(PATCH,),
            stop_reason="completed",
            input_tokens=3210,
            output_tokens=45,
            response_id="resp_02",
        ),
    ),
    ("stream_text.sse", replace(STREAM_SUMMARY, tool_uses=(), response_id="resp_03")),
    ("response_text.json", replace(STREAM_SUMMARY, tool_uses=(), response_id="resp_03")),
    (
        "response_incomplete.json",
        ParsedResponse(
            model="gpt-5-codex",
            text="Running the tests.",
            stop_reason="max_output_tokens",
            response_id="resp_04",
        ),
    ),
    ("response_error.json", ParsedResponse(text="Invalid 'input[3].call_id'", stop_reason="error")),
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
    step = 1 if name == "stream_custom_tool.sse" else 3  # every offset for one stream keeps this quick
    for cut in range(0, len(data) + 1, step):
        editor = D.stream_editor(allow)
        assert feed_chunks(editor, split_at(data, cut)) == data, cut
        assert editor.response() == expected, cut


def test_a_call_item_is_held_from_added_to_done() -> None:
    decided: list[ToolUse] = []
    editor = D.stream_editor(lambda call: decided.append(call))
    for event in sse_events(fx("stream_function_call.sse")):
        kind = json.loads(event.split(b"data: ", 1)[1])["type"]
        out = editor.feed(event)
        if kind == "response.output_item.done" and decided:
            assert out.count(b"event: ") == 6  # added, 3 deltas, arguments done, item done
        elif "function_call" in kind or (kind == "response.output_item.added" and b"fc_02" in event):
            assert out == b""
        else:
            assert out == event
    assert decided == [RM]


@pytest.mark.parametrize(
    ("name", "denied"), [("stream_function_call.sse", "shell"), ("stream_custom_tool.sse", "apply_patch")]
)
def test_denied_item_becomes_a_message_the_sdk_accepts(name: str, denied: str) -> None:
    editor = D.stream_editor(deny(denied))
    out = feed_chunks(editor, [fx(name)])
    numbers = [json.loads(e.split(b"data: ", 1)[1])["sequence_number"] for e in sse_events(out)]
    assert numbers == sorted(numbers)
    assert len(set(numbers)) == len(numbers)
    with openai_client(200, out, "text/event-stream").responses.stream(model="m", input="hi") as stream:
        final = stream.get_final_response()
    assert all(item.type == "message" for item in final.output)
    assert f"[agentd] The tool call {denied}" in final.output_text
    assert f"{denied} is not allowed" in final.output_text


def test_deny_in_json_response() -> None:
    body = D.deny_in_response(fx("response_function_call.json"), {"call_rm": Denial("destructive")})
    response = openai_client(200, body, "application/json").responses.create(model="m", input="hi")
    assert [item.type for item in response.output] == ["message", "message"]
    assert response.output_text.endswith("[agentd] The tool call shell (call_rm) was blocked: destructive")


@pytest.mark.parametrize("name", ["response_function_call.json", "stream_function_call.sse"])
def test_deny_in_response_without_matching_call_is_byte_identical(name: str) -> None:
    assert D.deny_in_response(fx(name), {"call_other": Denial("x")}) == fx(name)


def test_deny_call_is_an_error_the_sdk_raises() -> None:
    status, headers, body = D.deny_call(b"{}", ToolUse("c", "n", "{}"), Denial("no"))
    with pytest.raises(openai.PermissionDeniedError, match="Request blocked: no"):
        openai_client(status, body, headers["content-type"]).responses.create(model="m", input="hi")


def test_websocket_messages_pass_through_and_each_response_is_summarised() -> None:
    editor = D.stream_editor(allow)
    out: list[str] = []
    summaries: dict[str | None, ParsedResponse] = {}
    for message in ws_messages():
        out += editor.feed_message(message)
        parsed = editor.response()
        if parsed.stop_reason is not None:  # the pipeline's signal that a response is complete
            summaries.setdefault(parsed.response_id, parsed)
    assert out == ws_messages()
    assert [(s.response_id, s.tool_uses, s.text) for s in summaries.values()] == [
        ("resp_ws1", (RM,), ""),
        ("resp_ws2", (), "Running the tests."),
    ]
    assert editor.end() == b""


def test_websocket_denial_replaces_messages() -> None:
    editor = D.stream_editor(deny("shell"))
    out = [text for message in ws_messages() for text in editor.feed_message(message)]
    events = [json.loads(text) for text in out]
    assert not any(e.get("item", {}).get("type") == "function_call" for e in events)
    completed = next(e for e in events if e["type"] == "response.completed")
    assert completed["response"]["output"][0]["type"] == "message"
    assert len(out) == len(ws_messages()) - 2  # four call events became two message events


def test_a_response_cut_off_inside_a_call_does_not_block_the_next_one() -> None:
    editor = D.stream_editor(allow)
    messages = ws_messages()
    cut = messages[:3]  # created, item added, a delta: then the server starts over
    second = messages[7:]
    out = [text for message in cut + second for text in editor.feed_message(message)]
    assert out == cut + second
    assert any("inside a tool call" in p for p in editor.response().problems)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "not valid JSON"),
        (b"[]", "expected a JSON object"),
        (b'{"model": "m"}', "`input` is missing"),
        (b'{"input": 5}', "`input` is missing or neither"),
        (b'{"input": [1]}', r"input\[0\] is not an object"),
    ],
)
def test_parse_request_rejects_bad_bodies(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        D.parse_request(body)


@pytest.mark.parametrize(
    "body",
    [
        {
            "input": [
                {"type": "function_call", "arguments": {"a": 1}},
                {"type": "mcp_call", "server_label": "gh"},
            ]
        },
        {"input": [{"role": "user", "content": [1, {"type": "input_text", "text": 5}]}], "tools": [1, {}]},
        {
            "input": [
                {
                    "type": "function_call_output",
                    "call_id": 1,
                    "output": [{"type": "input_text", "text": "x"}],
                }
            ]
        },
        {"input": [{"type": "unknown_future_item", "payload": {}}]},
    ],
)
def test_parse_request_tolerates_odd_shapes(body: dict[str, Any]) -> None:
    assert len(D.parse_request(json.dumps(body).encode()).messages) >= 1


HOSTILE = [
    (fx("stream_text.sse").replace(b'"delta":"Running"', b'"delta":"Runn'), False, "not valid JSON"),
    (
        fx("stream_function_call.sse")[
            : fx("stream_function_call.sse").index(b"response.function_call_arguments.done")
        ],
        True,
        "inside a tool call",
    ),
    (b"event: x\ndata: \xff\xfe\n\n", True, "not valid UTF-8"),
    (
        b'data: {"type":"response.output_item.added","output_index":[1],"item":{"type":"function_call"}}\n\n',
        True,
        "cannot handle",
    ),
]


@pytest.mark.parametrize(("data", "truncated", "problem"), HOSTILE)
def test_hostile_streams_pass_through_and_are_reported(data: bytes, truncated: bool, problem: str) -> None:
    editor = D.stream_editor(deny("shell"))
    assert feed_chunks(editor, split_at(data, len(data) // 2)) == data
    parsed = editor.response()
    assert parsed.truncated is truncated
    assert any(problem in p for p in parsed.problems), parsed.problems


@pytest.mark.parametrize("message", ["not json", "", "[1,2]", '{"type": 5}', "\ud800"])
def test_hostile_websocket_messages_pass_through(message: str) -> None:
    editor = D.stream_editor(deny("shell"))
    assert editor.feed_message(message) == [message]
