import json
from typing import Any

import pytest
from mcp import types

from agentd.errors import ParseError
from agentd.normalize.dialects.mcp import MCP, with_server
from agentd.normalize.model import Denial, ParsedRequest, ParsedResponse, ToolOutput, ToolSpec, ToolUse
from tests.normalize.fixtures import feed_chunks, load, split_at

D = MCP()


def fx(name: str) -> bytes:
    return load("mcp", name)


def allow(call: ToolUse) -> None:
    return None


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("POST", "/mcp", True),
        ("POST", "/mcp/", True),
        ("GET", "/mcp", True),
        ("POST", "/api/v1/mcp?x=1", True),
        ("POST", "/mcp/github", True),
        ("DELETE", "/mcp", False),
        ("POST", "/v1/messages", False),
        ("POST", "/mcpx", False),
    ],
)
def test_matches(method: str, path: str, expected: bool) -> None:
    assert D.matches(method, "mcp.example.com", path) is expected


REQUESTS = [
    ("request_initialize.json", ParsedRequest("mcp", rpc_method="initialize")),
    ("request_notification.json", ParsedRequest("mcp", rpc_method="notifications/initialized")),
    ("request_tools_list.json", ParsedRequest("mcp", rpc_method="tools/list")),
    (
        "request_tools_call.json",
        ParsedRequest(
            "mcp",
            rpc_method="tools/call",
            calls=(ToolUse("2", "get_issue", '{"owner":"acme","repo":"api","issue_number":42}'),),
        ),
    ),
    (
        "request_tools_call_2026.json",
        ParsedRequest(
            "mcp",
            rpc_method="tools/call",
            calls=(ToolUse("call-7", "send_email", '{"to":"someone@example.com","body":"hi"}'),),
        ),
    ),
    (
        "request_batch.json",
        ParsedRequest(
            "mcp", rpc_method="tools/call", calls=(ToolUse("3", "delete_repo", '{"repo":"acme/api"}'),)
        ),
    ),
]


@pytest.mark.parametrize(("name", "expected"), REQUESTS, ids=[r[0] for r in REQUESTS])
def test_parse_request(name: str, expected: ParsedRequest) -> None:
    assert D.parse_request(fx(name)) == expected


TOOLS = (
    ToolSpec(
        "get_issue",
        "Get an issue of a GitHub repository.",
        {
            "type": "object",
            "properties": {
                "owner": {"type": "string"},
                "repo": {"type": "string"},
                "issue_number": {"type": "number"},
            },
            "required": ["owner", "repo", "issue_number"],
        },
    ),
    ToolSpec(
        "delete_repo", "Delete repository", {"type": "object", "properties": {"repo": {"type": "string"}}}
    ),
)
ISSUE = "Issue 42: Login fails on Safari"

RESPONSES = [
    ("response_tools_list.json", ParsedResponse(tools=TOOLS)),
    ("stream_tools_list.sse", ParsedResponse(tools=TOOLS)),
    (
        "response_tools_call.json",
        ParsedResponse(tool_outputs=(ToolOutput("2", ISSUE + "\nSteps to reproduce: ..."),)),
    ),
    ("stream_tools_call.sse", ParsedResponse(tool_outputs=(ToolOutput("2", ISSUE),))),
    (
        "response_tools_call_structured.json",
        ParsedResponse(tool_outputs=(ToolOutput("5", '{"temperature":18,"unit":"C"}'),)),
    ),
    (
        "response_tools_call_error.json",
        ParsedResponse(tool_outputs=(ToolOutput("2", "API rate limit exceeded", True),)),
    ),
    (
        "response_rpc_error.json",
        ParsedResponse(tool_outputs=(ToolOutput("2", "Unknown tool: get_issues", True),)),
    ),
]


@pytest.mark.parametrize(("name", "expected"), RESPONSES, ids=[r[0] for r in RESPONSES])
def test_parse_response(name: str, expected: ParsedResponse) -> None:
    assert D.parse_response(fx(name)) == expected


def test_with_server_binds_tools_and_calls() -> None:
    listed = with_server(D.parse_response(fx("response_tools_list.json")), "mcp.example.com")
    assert {t.server for t in listed.tools} == {"mcp.example.com"}
    called = with_server(D.parse_request(fx("request_tools_call.json")), "mcp.example.com")
    assert called.calls[0].server == "mcp.example.com"


@pytest.mark.parametrize("name", ["stream_tools_call.sse", "stream_tools_list.sse"])
def test_stream_passes_byte_identical_at_every_split(name: str) -> None:
    data = fx(name)
    whole = D.stream_editor(allow)
    assert feed_chunks(whole, [data]) == data
    expected = whole.response()
    for cut in range(len(data) + 1):
        editor = D.stream_editor(allow)
        assert feed_chunks(editor, split_at(data, cut)) == data, cut
        assert editor.response() == expected, cut


def test_deny_call_answers_with_a_tool_error_the_sdk_reads() -> None:
    request = fx("request_tools_call.json")
    call = D.parse_request(request).calls[0]
    status, headers, body = D.deny_call(request, call, Denial("GitHub is not an approved destination"))
    assert (status, headers) == (200, {"content-type": "application/json"})
    answer = types.JSONRPCResponse.model_validate_json(body)
    assert answer.id == 2
    result = types.CallToolResult.model_validate(answer.result)
    assert result.isError
    assert isinstance(result.content[0], types.TextContent)
    assert result.content[0].text == (
        "[agentd] The tool call get_issue (2) was blocked: GitHub is not an approved destination"
    )
    assert "resultType" not in answer.result


def test_deny_call_in_the_stateless_revision_marks_the_result_complete() -> None:
    request = fx("request_tools_call_2026.json")
    _, _, body = D.deny_call(request, D.parse_request(request).calls[0], Denial("no"))
    answer = json.loads(body)
    assert answer["id"] == "call-7"
    assert answer["result"]["resultType"] == "complete"


def test_deny_call_in_a_batch_answers_every_request() -> None:
    request = fx("request_batch.json")
    _, _, body = D.deny_call(request, D.parse_request(request).calls[0], Denial("destructive"))
    answers: list[dict[str, Any]] = json.loads(body)
    assert [a["id"] for a in answers] == [3, 4]  # the notification gets no answer
    assert answers[0]["result"]["isError"] is True
    assert types.JSONRPCError.model_validate(answers[1]).error.code == -32001


def test_deny_call_for_an_unknown_call_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="no tools/call with id 'nine'"):
        D.deny_call(fx("request_tools_call.json"), ToolUse("nine", "x", ""), Denial("no"))


@pytest.mark.parametrize("name", ["response_tools_call.json", "stream_tools_call.sse"])
def test_responses_are_never_rewritten(name: str) -> None:
    assert D.deny_in_response(fx(name), {"2": Denial("x")}) == fx(name)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "not valid JSON"),
        (b"[]", "an empty JSON-RPC batch"),
        (b"[1]", "message 0 is not a JSON-RPC message"),
        (b'{"jsonrpc": "2.0", "id": 1}', "message 0 is not a JSON-RPC message"),
        (b'"tools/call"', "message 0 is not a JSON-RPC message"),
        (b"[" * 100_000, "not valid JSON|nested too deeply"),
    ],
)
def test_parse_request_rejects_bad_bodies(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        D.parse_request(body)


@pytest.mark.parametrize(
    "body",
    [
        {"jsonrpc": "2.0", "id": None, "method": "tools/call", "params": 5},
        {"jsonrpc": "2.0", "id": [1], "method": "tools/call", "params": {"name": 5, "arguments": "raw"}},
        {"jsonrpc": "2.0", "id": 1, "method": 7},
    ],
)
def test_parse_request_tolerates_odd_shapes(body: dict[str, Any]) -> None:
    parsed = D.parse_request(json.dumps(body).encode())
    assert len(parsed.calls) == (1 if body["method"] == "tools/call" else 0)


def test_a_stream_cut_mid_event_is_truncated_and_passes_through() -> None:
    data = fx("stream_tools_call.sse")[:-30]
    editor = D.stream_editor(allow)
    assert feed_chunks(editor, [data]) == data
    parsed = editor.response()
    assert parsed.truncated
    assert any("not valid JSON" in p for p in parsed.problems)
