import json
from typing import Any

import pytest

from agentd.errors import ParseError
from agentd.normalize.dialects.gemini import SERVER_SIDE, Gemini, model_from_path
from agentd.normalize.model import Denial, ParsedResponse, ToolOutput, ToolSpec, ToolUse
from tests.normalize.fixtures import feed_chunks, load, split_at

D = Gemini()


def fx(name: str) -> bytes:
    return load("gemini", name)


def allow(call: ToolUse) -> None:
    return None


def deny(*names: str) -> Any:
    def hook(call: ToolUse) -> Denial | None:
        return Denial(f"{call.name} is not allowed") if call.name in names else None

    return hook


def chunks_of(stream: bytes) -> list[dict[str, Any]]:
    return [
        json.loads(line[6:])
        for line in stream.replace(b"\r\n", b"\n").split(b"\n")
        if line.startswith(b"data: ")
    ]


@pytest.mark.parametrize(
    ("method", "host", "path", "expected"),
    [
        ("POST", "cloudcode-pa.googleapis.com", "/v1internal:streamGenerateContent?alt=sse", True),
        ("POST", "cloudcode-pa.googleapis.com", "/v1internal:generateContent", True),
        ("POST", "cloudcode-pa.googleapis.com", "/v1internal:countTokens", False),
        (
            "POST",
            "generativelanguage.googleapis.com",
            "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
            True,
        ),
        (
            "POST",
            "generativelanguage.googleapis.com",
            "/v1beta/models/gemini-2.5-flash:generateContent",
            True,
        ),
        (
            "GET",
            "generativelanguage.googleapis.com",
            "/v1beta/models/gemini-2.5-flash:generateContent",
            False,
        ),
        (
            "POST",
            "generativelanguage.googleapis.com",
            "/v1beta/models/text-embedding-004:embedContent",
            False,
        ),
    ],
)
def test_matches(method: str, host: str, path: str, expected: bool) -> None:
    assert D.matches(method, host, path) is expected


@pytest.mark.parametrize(
    ("path", "model"),
    [
        ("/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", "gemini-2.5-pro"),
        (
            "/v1/projects/p/locations/us/publishers/google/models/gemini-2.5-flash:generateContent",
            "gemini-2.5-flash",
        ),
        ("/v1internal:streamGenerateContent", None),
        ("/v1beta/models/:generateContent", None),
    ],
)
def test_model_from_path(path: str, model: str | None) -> None:
    assert model_from_path(path) == model


def test_parse_a_code_assist_request() -> None:
    parsed = D.parse_request(fx("request_code_assist.json"))
    assert parsed.dialect == "gemini"
    assert parsed.model == "gemini-2.5-pro"
    assert parsed.session_hint == "5f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
    assert parsed.system == "You are an interactive CLI agent."
    assert [t.name for t in parsed.tools] == ["run_shell_command", "read_file"]
    assert parsed.tools[0].input_schema is not None
    assert parsed.tools[1].input_schema is not None
    assert [(m.role, m.location) for m in parsed.messages] == [
        ("user", "request.contents[0]"),
        ("assistant", "request.contents[1]"),
        ("user", "request.contents[2]"),
        ("assistant", "request.contents[3]"),
        ("user", "request.contents[4]"),
    ]
    first, call, result, answer, prompt = parsed.messages
    assert first.text.endswith("\nlist files")
    assert call.text == ""  # a thought is not the model's text
    assert call.tool_uses == (ToolUse("gemini-cli-1", "run_shell_command", '{"command":"ls"}'),)
    assert result.tool_outputs == (ToolOutput("gemini-cli-1", "README.md\nsrc", False, "run_shell_command"),)
    assert answer.text == "There are two entries."
    assert prompt.text == "read the README"


def test_parse_a_plain_request_joins_calls_without_ids() -> None:
    parsed = D.parse_request(fx("request_plain.json"))
    assert parsed.model is None
    assert parsed.system == "Be brief."
    assert parsed.tools[1] == ToolSpec("googleSearch", server=SERVER_SIDE)
    first_call = parsed.messages[1].tool_uses[0]
    second_call = parsed.messages[3].tool_uses[0]
    assert first_call.call_id.startswith("gemini-")
    assert first_call.call_id != second_call.call_id
    assert parsed.messages[2].tool_outputs == (ToolOutput(first_call.call_id, "# proj", False, "read_file"),)
    assert parsed.messages[4].tool_outputs == (
        ToolOutput(second_call.call_id, "File not found", True, "read_file"),
    )
    # the same call seen in a response gets the same id, so results join across turns
    response = {
        "candidates": [
            {
                "content": {
                    "parts": [
                        {
                            "functionCall": {
                                "name": "read_file",
                                "args": {"absolute_path": "/home/dev/proj/README.md"},
                            }
                        }
                    ]
                }
            }
        ]
    }
    assert D.parse_response(json.dumps(response).encode()).tool_uses[0].call_id == first_call.call_id


CALL = ToolUse("", "run_shell_command", '{"command":"cat ~/.aws/credentials"}')

RESPONSES = [
    (
        "response_function_call.json",
        {"text": "Let me look.", "calls": ["run_shell_command"], "stop": "STOP", "tokens": (1820, 24)},
    ),
    (
        "response_text.json",
        {"text": "The README says hello.", "calls": [], "stop": "STOP", "tokens": (1820, 24)},
    ),
    (
        "response_array.json",
        {"text": "Let me look.", "calls": ["run_shell_command"], "stop": "STOP", "tokens": (1820, 24)},
    ),
    (
        "stream_plain.sse",
        {"text": "Let me look.", "calls": ["run_shell_command"], "stop": "STOP", "tokens": (1820, 24)},
    ),
    (
        "stream_code_assist.sse",
        {
            "text": "Running it.",
            "calls": ["run_shell_command", "read_file"],
            "stop": "STOP",
            "tokens": (1820, 24),
        },
    ),
]


@pytest.mark.parametrize(("name", "expected"), RESPONSES, ids=[r[0] for r in RESPONSES])
def test_parse_response(name: str, expected: dict[str, Any]) -> None:
    parsed = D.parse_response(fx(name))
    assert parsed.text == expected["text"]
    assert [c.name for c in parsed.tool_uses] == expected["calls"]
    assert parsed.stop_reason == expected["stop"]
    assert (parsed.input_tokens, parsed.output_tokens) == expected["tokens"]
    assert parsed.model == "gemini-2.5-pro"
    assert parsed.response_id == "abc123resp"
    assert not parsed.truncated


def test_parse_error_response() -> None:
    expected = ParsedResponse(text="Resource has been exhausted (e.g. check quota).", stop_reason="error")
    assert D.parse_response(fx("response_error.json")) == expected


@pytest.mark.parametrize("name", ["stream_plain.sse", "stream_code_assist.sse"])
def test_allowed_stream_passes_byte_identical_at_every_split(name: str) -> None:
    data = fx(name)
    whole = D.stream_editor(allow)
    assert feed_chunks(whole, [data]) == data
    expected = whole.response()
    for cut in range(len(data) + 1):
        editor = D.stream_editor(allow)
        assert feed_chunks(editor, split_at(data, cut)) == data, cut
        assert editor.response() == expected, cut


def test_a_chunk_with_a_call_is_decided_and_sent_at_once() -> None:
    decided: list[str] = []
    editor = D.stream_editor(lambda call: decided.append(call.name))
    data = fx("stream_code_assist.sse")
    events = [e + b"\n\n" for e in data.split(b"\n\n") if e]
    for number, event in enumerate(events):
        assert editor.feed(event) == event
        assert decided == ([] if number < 2 else ["run_shell_command", "read_file"])


@pytest.mark.parametrize(("name", "eol"), [("stream_plain.sse", b"\r\n"), ("stream_code_assist.sse", b"\n")])
def test_denied_call_becomes_a_text_part(name: str, eol: bytes) -> None:
    editor = D.stream_editor(deny("run_shell_command"))
    out = feed_chunks(editor, [fx(name)])
    assert b"data: " + out.split(b"data: ")[-1].rstrip() + eol + eol in out  # framing kept
    parts = [
        part
        for chunk in chunks_of(out)
        for candidate in chunk.get("response", chunk)["candidates"]
        for part in candidate["content"]["parts"]
    ]
    assert not any(p.get("functionCall", {}).get("name") == "run_shell_command" for p in parts)
    denied = [p["text"] for p in parts if p.get("text", "").startswith("[agentd]")]
    assert len(denied) == 1
    assert "run_shell_command is not allowed" in denied[0]
    assert editor.response().tool_uses[0].name == "run_shell_command"
    if name == "stream_code_assist.sse":
        assert any(p.get("functionCall", {}).get("name") == "read_file" for p in parts)
        assert all("traceId" in chunk for chunk in chunks_of(out))


@pytest.mark.parametrize("name", ["response_function_call.json", "response_array.json"])
def test_deny_in_json_response(name: str) -> None:
    call_id = D.parse_response(fx(name)).tool_uses[0].call_id
    body = D.deny_in_response(fx(name), {call_id: Denial("reads credentials")})
    parsed = D.parse_response(body)
    assert parsed.tool_uses == ()
    assert "was blocked: reads credentials" in parsed.text
    assert D.deny_in_response(fx(name), {"other": Denial("x")}) == fx(name)


def test_deny_call_is_a_google_error() -> None:
    status, headers, body = D.deny_call(b"{}", CALL, Denial("no"))
    assert status == 403
    assert headers == {"content-type": "application/json"}
    assert json.loads(body)["error"]["status"] == "PERMISSION_DENIED"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "not valid JSON"),
        (b"[]", "expected a JSON object"),
        (b'{"model": "m", "request": {}}', "`request.contents` is missing"),
        (b'{"contents": {}}', "`contents` is missing"),
        (b'{"contents": [3]}', r"contents\[0\] is not an object"),
    ],
)
def test_parse_request_rejects_bad_bodies(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        D.parse_request(body)


@pytest.mark.parametrize(
    "body",
    [
        {"contents": [{"parts": [1, {"functionCall": 5}, {"functionResponse": {"response": [1]}}]}]},
        {"contents": [{"role": 5, "parts": "x"}], "tools": [1, {"functionDeclarations": [1, {}]}]},
        {"contents": [{"parts": [{"functionResponse": {"name": "x", "id": "never-called"}}]}]},
    ],
)
def test_parse_request_tolerates_odd_shapes(body: dict[str, Any]) -> None:
    assert len(D.parse_request(json.dumps(body).encode()).messages) == 1


@pytest.mark.parametrize(("body", "message"), [(b"[1]", "array of objects"), (b"x", "not valid JSON")])
def test_parse_response_rejects_bad_bodies(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        D.parse_response(body)


HOSTILE = [
    (fx("stream_plain.sse").replace(b'"text":"Let"', b'"text":"Le'), False, "not valid JSON"),
    (fx("stream_plain.sse").replace(b"Let", b"L\xffet"), False, "not valid UTF-8"),
    (fx("stream_plain.sse")[:-200], True, None),
    (
        b'data: {"candidates": [{"content": {"parts": [{"functionCall": {"args": '
        + b"[" * 300
        + b"]" * 300
        + b"}}]}}]}\n\n",
        True,
        None,
    ),
]


@pytest.mark.parametrize(("data", "truncated", "problem"), HOSTILE)
def test_hostile_streams_pass_through_and_are_reported(
    data: bytes, truncated: bool, problem: str | None
) -> None:
    editor = D.stream_editor(allow)
    assert feed_chunks(editor, split_at(data, len(data) // 2)) == data
    parsed = editor.response()
    assert parsed.truncated is truncated
    if problem is not None:
        assert any(problem in p for p in parsed.problems), parsed.problems
