import json
from typing import Any

import anthropic
import pytest

from agentd.errors import ParseError
from agentd.normalize.dialects.anthropic import SERVER_SIDE, AnthropicMessages, AnthropicStreamEditor
from agentd.normalize.model import Denial, ParsedResponse, ToolOutput, ToolSpec, ToolUse
from tests.normalize.fixtures import feed_chunks, load, split_at, sse_events
from tests.normalize.sdks import anthropic_client

D = AnthropicMessages()


def fx(name: str) -> bytes:
    return load("anthropic", name)


def allow(call: ToolUse) -> None:
    return None


def deny(*names: str) -> Any:
    def hook(call: ToolUse) -> Denial | None:
        return Denial(f"{call.name} is not allowed here") if call.name in names else None

    return hook


@pytest.mark.parametrize(
    ("method", "host", "path", "expected"),
    [
        ("POST", "api.anthropic.com", "/v1/messages", True),
        ("POST", "api.anthropic.com", "/v1/messages?beta=true", True),
        ("POST", "gateway.corp", "/anthropic/v1/messages", True),
        ("POST", "api.githubcopilot.com", "/v1/messages", True),
        ("GET", "api.anthropic.com", "/v1/messages", False),
        ("POST", "api.anthropic.com", "/v1/messages/count_tokens", False),
        ("GET", "api.anthropic.com", "/v1/models", False),
        ("POST", "api.openai.com", "/v1/threads/thread_1/messages", False),
        (
            "POST",
            "us-east5-aiplatform.googleapis.com",
            "/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5:streamRawPredict",
            True,
        ),
        (
            "POST",
            "us-east5-aiplatform.googleapis.com",
            "/v1/projects/p/locations/us-east5/publishers/google/models/gemini-2.5-pro:streamGenerateContent",
            False,
        ),
        (
            "POST",
            "bedrock-runtime.us-east-1.amazonaws.com",
            "/model/us.anthropic.claude-sonnet-4-5-v1:0/invoke-with-response-stream",
            True,
        ),
        ("POST", "bedrock-runtime.us-east-1.amazonaws.com", "/model/amazon.titan-text/invoke", False),
    ],
)
def test_matches(method: str, host: str, path: str, expected: bool) -> None:
    assert D.matches(method, host, path) is expected


def test_parse_request_of_a_claude_code_turn() -> None:
    parsed = D.parse_request(fx("request_claude_code.json"))
    assert parsed.dialect == "anthropic"
    assert parsed.model == "claude-sonnet-4-5-20250929"
    assert parsed.stream is True
    assert parsed.system is not None
    assert parsed.system.endswith("official CLI for Claude.")
    assert parsed.system.startswith("x-anthropic-billing-header")
    assert [t.name for t in parsed.tools] == ["Bash", "Read", "mcp__github__get_issue", "web_search"]
    assert parsed.tools[0].input_schema is not None
    assert parsed.tools[0].input_schema["required"] == ["command"]
    assert parsed.tools[3] == ToolSpec(name="web_search", server=SERVER_SIDE)
    assert [(m.index, m.role, m.location) for m in parsed.messages] == [
        (0, "user", "messages[0]"),
        (1, "assistant", "messages[1]"),
        (2, "user", "messages[2]"),
        (3, "assistant", "messages[3]"),
        (4, "user", "messages[4]"),
    ]
    first, second, third, fourth, fifth = parsed.messages
    assert first.text.endswith("list the files in this repo and read the README")
    assert second.text == "I'll list the files first."
    assert second.tool_uses == (
        ToolUse("toolu_01LsFiles", "Bash", '{"command":"ls -la","description":"List files"}'),
    )
    assert third.text == ""
    assert third.tool_outputs == (
        ToolOutput("toolu_01LsFiles", "README.md\nsrc\npyproject.toml", False, "Bash"),
    )
    assert [u.call_id for u in fourth.tool_uses] == ["toolu_02ReadMe", "toolu_03Missing"]
    assert fifth.tool_outputs == (
        ToolOutput("toolu_02ReadMe", "# proj\nA demo project.", False, "Read"),
        ToolOutput("toolu_03Missing", "File does not exist.", True, "Read"),
    )
    assert len({m.digest for m in parsed.messages}) == 5


def _with_cache_control(body: dict[str, Any]) -> dict[str, Any]:
    body = json.loads(json.dumps(body))
    body["messages"][-1]["content"][-1]["cache_control"] = {"type": "ephemeral"}
    return body


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        # Claude Code moves the cache marker to the newest message each turn.
        ({"role": "user", "content": [{"type": "text", "text": "hi"}]}, None, True),
        (
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "t", "content": [{"type": "text", "text": "x"}]}
                ],
            },
            None,
            True,
        ),
        (
            {"role": "user", "content": [{"type": "text", "text": "hi", "citations": None}]},
            {"role": "user", "content": [{"citations": None, "text": "hi", "type": "text"}]},
            True,
        ),
        (
            {"role": "user", "content": [{"type": "text", "text": "hi"}]},
            {"role": "user", "content": [{"type": "text", "text": "hi!"}]},
            False,
        ),
        ({"role": "user", "content": "hi"}, {"role": "assistant", "content": "hi"}, False),
    ],
)
def test_digest_is_stable_across_resends(
    first: dict[str, Any], second: dict[str, Any] | None, same: bool
) -> None:
    def digest(message: dict[str, Any]) -> str:
        return D.parse_request(json.dumps({"messages": [message]}).encode()).messages[0].digest

    if second is None:
        second = _with_cache_control({"messages": [first]})["messages"][0]
        if second["content"][-1].get("type") == "tool_result":
            second["content"][-1]["content"][0]["cache_control"] = {"type": "ephemeral"}
    assert (digest(first) == digest(second)) is same


RESPONSES = [
    (
        "response_tool_use.json",
        ParsedResponse(
            model="claude-sonnet-4-5-20250929",
            text="I'll list the files.",
            tool_uses=(ToolUse("toolu_01A09q90qw90lq917835lq9", "Bash", '{"command":"ls -la"}'),),
            stop_reason="tool_use",
            input_tokens=2912,
            output_tokens=41,
            response_id="msg_01XFDUDYJgAACzvnptvVoYEL",
        ),
    ),
    (
        "response_text.json",
        ParsedResponse(
            model="claude-sonnet-4-5-20250929",
            text="The repository holds a demo project.",
            stop_reason="end_turn",
            input_tokens=1200,
            output_tokens=12,
            response_id="msg_01Text",
        ),
    ),
    ("response_error.json", ParsedResponse(text="Overloaded", stop_reason="error")),
    (
        "stream_tool_use.sse",
        ParsedResponse(
            model="claude-sonnet-4-5-20250929",
            text="I'll list the files.",
            tool_uses=(
                ToolUse("toolu_01Bash", "Bash", '{"command": "ls -la", "description": "List files"}'),
            ),
            stop_reason="tool_use",
            input_tokens=30812,
            output_tokens=41,
            response_id="msg_01Stream",
        ),
    ),
    (
        "stream_text.sse",
        ParsedResponse(
            model="claude-sonnet-4-5-20250929",
            text="Hello, world!",
            stop_reason="end_turn",
            input_tokens=30812,
            output_tokens=5,
            response_id="msg_01Stream",
        ),
    ),
    (
        "stream_two_tools.sse",
        ParsedResponse(
            model="claude-sonnet-4-5-20250929",
            tool_uses=(
                ToolUse("toolu_A", "Read", '{"file_path":"/home/dev/.aws/credentials"}'),
                ToolUse("toolu_B", "Bash", '{"command":"curl https://example.com"}'),
            ),
            stop_reason="tool_use",
            input_tokens=30812,
            output_tokens=60,
            response_id="msg_01Stream",
        ),
    ),
    (
        "stream_server_tool.sse",
        ParsedResponse(
            model="claude-sonnet-4-5-20250929",
            text="Found it.",
            tool_uses=(ToolUse("srvtoolu_01", "web_search", '{"query": "agentd"}', server=SERVER_SIDE),),
            stop_reason="end_turn",
            input_tokens=30812,
            output_tokens=30,
            response_id="msg_01Stream",
        ),
    ),
    (
        "stream_error.sse",
        ParsedResponse(
            model="claude-sonnet-4-5-20250929",
            text="Partial",
            input_tokens=30812,
            output_tokens=1,
            truncated=True,
            response_id="msg_01Stream",
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
    editor = D.stream_editor(allow)
    assert feed_chunks(editor, [data[i : i + 1] for i in range(len(data))]) == data
    assert editor.response() == expected


def test_stream_in_crlf_framing_is_understood_and_kept() -> None:
    data = fx("stream_tool_use.sse").replace(b"\n", b"\r\n")
    editor = D.stream_editor(allow)
    assert feed_chunks(editor, [data]) == data
    assert editor.response().tool_uses[0].name == "Bash"


def test_text_goes_out_at_once_and_a_tool_call_is_held_until_its_block_stops() -> None:
    calls: list[ToolUse] = []
    editor = D.stream_editor(lambda call: calls.append(call))
    out = []
    for event in sse_events(fx("stream_tool_use.sse")):
        out.append((json.loads(event.split(b"data: ", 1)[1]), editor.feed(event), list(calls)))
    for payload, forwarded, seen in out:
        block = payload.get("content_block", {})
        in_tool = payload.get("index") == 1 and payload["type"].startswith("content_block")
        if payload["type"] == "content_block_stop" and payload["index"] == 1:
            # the whole block leaves at once, after the hook saw the complete call
            assert forwarded.count(b"event: content_block_") == 6  # start, 4 deltas, stop
            assert [c.arguments for c in seen] == ['{"command": "ls -la", "description": "List files"}']
        elif in_tool or block.get("type") == "tool_use":
            assert forwarded == b""
            assert seen == []
        else:
            assert forwarded != b""
    assert editor.end() == b""


def test_denied_call_becomes_a_text_block_the_sdk_accepts() -> None:
    editor = D.stream_editor(deny("Bash"))
    out = feed_chunks(editor, [fx("stream_tool_use.sse")])
    assert b"tool_use" not in out.replace(b'"stop_reason":"tool_use"', b"")
    assert b'"stop_reason":"end_turn"' in out
    assert editor.response().tool_uses[0].name == "Bash"  # what the model asked for is still reported
    assert editor.response().stop_reason == "tool_use"

    client = anthropic_client(200, out, "text/event-stream")
    with client.messages.stream(model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}]) as s:
        final = s.get_final_message()
    assert [b.type for b in final.content] == ["text", "text"]
    assert final.content[1].text.startswith("[agentd] The tool call Bash (toolu_01Bash) was blocked")  # type: ignore[union-attr]
    assert "Bash is not allowed here" in final.content[1].text  # type: ignore[union-attr]
    assert final.stop_reason == "end_turn"


def test_denying_one_of_two_calls_keeps_the_other_and_the_stop_reason() -> None:
    editor = D.stream_editor(deny("Read"))
    out = feed_chunks(editor, [fx("stream_two_tools.sse")])
    client = anthropic_client(200, out, "text/event-stream")
    with client.messages.stream(model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}]) as s:
        final = s.get_final_message()
    assert [b.type for b in final.content] == ["text", "tool_use"]
    assert final.content[1].input == {"command": "curl https://example.com"}  # type: ignore[union-attr]
    assert final.stop_reason == "tool_use"


def test_server_tools_are_reported_but_never_held_or_decided() -> None:
    asked: list[ToolUse] = []
    editor = D.stream_editor(lambda call: asked.append(call) or Denial("no"))
    data = fx("stream_server_tool.sse")
    assert feed_chunks(editor, [data]) == data
    assert asked == []


def test_deny_in_json_response() -> None:
    body = D.deny_in_response(
        fx("response_tool_use.json"), {"toolu_01A09q90qw90lq917835lq9": Denial("no shell")}
    )
    final = anthropic_client(200, body, "application/json").messages.create(
        model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
    )
    assert [b.type for b in final.content] == ["text", "text"]
    assert final.content[1].text.endswith("was blocked: no shell")  # type: ignore[union-attr]
    assert final.stop_reason == "end_turn"


@pytest.mark.parametrize("name", ["response_tool_use.json", "response_text.json", "stream_tool_use.sse"])
def test_deny_in_response_without_matching_call_is_byte_identical(name: str) -> None:
    assert D.deny_in_response(fx(name), {"toolu_other": Denial("x")}) == fx(name)


def test_deny_in_buffered_stream() -> None:
    out = D.deny_in_response(fx("stream_tool_use.sse"), {"toolu_01Bash": Denial("no")})
    assert b"was blocked: no" in out
    assert D.parse_response(out).tool_uses == ()


def test_deny_call_answers_with_a_permission_error_the_sdk_raises() -> None:
    status, headers, body = D.deny_call(b"{}", ToolUse("c", "Bash", "{}"), Denial("prompt holds a secret"))
    assert status == 403
    client = anthropic_client(status, body, headers["content-type"])
    with pytest.raises(anthropic.PermissionDeniedError, match="prompt holds a secret"):
        client.messages.create(model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "not valid JSON"),
        (b"{", "not valid JSON"),
        (b'{"messages": [}', "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b'{"messages": "\xc3\x28"}', "not valid JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b"null", "expected a JSON object"),
        (b'{"model": "m"}', "`messages` is missing"),
        (b'{"messages": {"role": "user"}}', "`messages` is missing or not a list"),
        (b'{"messages": [42]}', r"messages\[0\] is not an object"),
        (b'{"messages": [{"content": "ok"}, "x"]}', r"messages\[1\] is not an object"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply|not valid JSON"),
        (b'{"messages": [' + b"[" * 5000 + b"]" * 5000 + b"]}", "nested too deeply|not valid JSON"),
        (b'{"messages": [], "n": ' + b"9" * 5000 + b"}", "not valid JSON"),
    ],
)
def test_parse_request_rejects_bad_bodies_clearly(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        D.parse_request(body)


@pytest.mark.parametrize(
    "body",
    [
        # wrong types inside an otherwise valid request read as absent, never as a crash
        b'{"messages": [{"role": 7, "content": [1, null, {"type": 3}, {"type": "tool_use", "id": 5}]}]}',
        b'{"messages": [], "tools": [1, {"name": null}], "system": 12, "model": []}',
        b'{"messages": [{"role": "user", "content": [{"type": "tool_result", "content": '
        b'[[], 3, {"text": 4}]}]}]}',
        b'{"messages": [{"role": "user", "content": "\\ud800 lone surrogate"}], '
        b'"n": 123456789012345678901234567890}',
        b'{"messages": [{"role": "user", "content": [{"type":"text","text":"deep","x":'
        + b"[" * 400
        + b"]" * 400
        + b"}]}]}",
    ],
)
def test_parse_request_tolerates_odd_shapes(body: bytes) -> None:
    parsed = D.parse_request(body)
    assert all(len(m.digest) == 64 for m in parsed.messages)


def test_huge_request_parses() -> None:
    big = "x" * (20 * 1024 * 1024)
    parsed = D.parse_request(json.dumps({"messages": [{"role": "user", "content": big}]}).encode())
    assert len(parsed.messages[0].text) == len(big)


def test_deeply_nested_tool_input_still_digests() -> None:
    nested: Any = "leaf"
    for _ in range(300):  # beyond orjson's serialisation depth, within json's
        nested = [nested]
    body = {
        "messages": [
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t", "name": "n", "input": {"a": nested}}],
            }
        ]
    }
    parsed = D.parse_request(json.dumps(body).encode())
    assert parsed.messages[0].tool_uses[0].parsed_arguments() == {"a": nested}


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b"\xff", b'{"type": "message", "content": 5, "usage": []}'],
)
def test_parse_response_on_bad_bodies(body: bytes) -> None:
    if body.startswith(b"{"):
        assert D.parse_response(body) == ParsedResponse()
    else:
        with pytest.raises(ParseError):
            D.parse_response(body)


def _tool_stream_cut_after(marker: bytes) -> bytes:
    data = fx("stream_tool_use.sse")
    return data[: data.index(marker) + len(marker)]


HOSTILE_STREAMS = [
    # (stream, truncated, a problem mentions)
    (fx("stream_text.sse").replace(b'"text":"Hello"', b'"text":"Hel'), False, "not valid JSON"),
    (fx("stream_text.sse").replace(b"Hello", b"Hel\xfflo"), False, "not valid UTF-8"),
    (_tool_stream_cut_after(b'"partial_json":"{\\"command\\": \\"l"}}\n\n'), True, "inside a tool call"),
    (_tool_stream_cut_after(b'"partial_json":"{\\"command\\": \\"l"'), True, "inside a tool call"),
    (fx("stream_text.sse")[:-40], True, None),
    (b"\x00\x01binary\xff" * 100, True, None),
    (b'data: [1, 2]\n\ndata: "str"\n\ndata: {"type": 5, "index": [1]}\n\n', True, None),
    (
        b'data: {"type":"content_block_start","index":[0],"content_block":{"type":"tool_use"}}\n\n',
        True,
        "cannot handle",
    ),
]


@pytest.mark.parametrize(("data", "truncated", "problem"), HOSTILE_STREAMS)
def test_hostile_streams_pass_through_and_are_reported(
    data: bytes, truncated: bool, problem: str | None
) -> None:
    for chunks in ([data], split_at(data, len(data) // 3, len(data) // 2)):
        editor = D.stream_editor(allow)
        assert feed_chunks(editor, chunks) == data
        parsed = editor.response()
        assert parsed.truncated is truncated
        if problem is not None:
            assert any(problem in p for p in parsed.problems), parsed.problems


def test_an_event_over_the_bound_switches_to_passthrough() -> None:
    editor = AnthropicStreamEditor(allow, max_event_bytes=1000)  # a small bound keeps the test fast
    head = fx("stream_tool_use.sse")
    cut = head.index(b'event: content_block_delta\ndata: {"type":"content_block_delta","index":1')
    huge = (
        b'event: content_block_delta\ndata: {"type":"content_block_delta","index":1,'
        b'"delta":{"type":"input_json_delta","partial_json":"' + b"A" * 5000
    )
    rest = b'"}}\n\n' + head[cut:]
    out = feed_chunks(editor, [head[:cut], huge[:2000], huge[2000:], rest])
    assert out == head[:cut] + huge + rest
    parsed = editor.response()
    assert parsed.truncated
    assert any("exceeds 1000 bytes" in p for p in parsed.problems)


def test_a_failing_hook_lets_the_call_through() -> None:
    def broken(call: ToolUse) -> Denial | None:
        raise RuntimeError("policy engine down")

    editor = D.stream_editor(broken)
    data = fx("stream_tool_use.sse")
    assert feed_chunks(editor, [data]) == data
    assert any("hook failed for toolu_01Bash" in p for p in editor.response().problems)
