"""The proxy pipeline: dialect choice, internal errors, and a 30-turn conversation resent in full
every turn through the real proxy, reported exactly once, across a restart too."""

import collections
import json
from pathlib import Path
from typing import Any

from agentd.capture.proxy.gate import FlowMeta
from agentd.errors import ParseError
from agentd.events import AgentRef, Severity
from agentd.normalize.model import ParsedResponse
from agentd.pipeline.proxy import ProxyPipeline, flow_context, safe_message
from agentd.record.statestore import StateStore
from tests.support.clients import Connection, in_thread, tls_through
from tests.support.governors import DenyTool
from tests.support.proxy import ListSink, make_pipeline, running_proxy
from tests.support.upstreams import Recorded, Reply, Text, ToolUse, Upstream, anthropic_events, make_pki


def _meta(method: str = "POST", path: str = "/v1/messages?beta=true&key=SECRET") -> FlowMeta:
    return FlowMeta("flow-1", method, "https", "api.anthropic.com", 443, path, {})


def _pipeline(tmp_path: Path) -> tuple[ProxyPipeline, ListSink]:
    sink = ListSink()
    return make_pipeline(StateStore(tmp_path / "state.sqlite3"), sink), sink


def test_flows_in_no_known_dialect_are_left_alone(tmp_path: Path) -> None:
    pipeline, _ = _pipeline(tmp_path)
    assert pipeline.open(_meta("GET", "/v1/models")) is None
    assert pipeline.open(_meta("POST", "/v1/complete")) is None
    exchange = pipeline.open(_meta())
    assert exchange is not None
    assert exchange.dialect.name == "anthropic"
    assert pipeline.statistics()["exchanges"] == 1


def test_reports_become_internal_errors_without_captured_content(tmp_path: Path) -> None:
    pipeline, sink = _pipeline(tmp_path)
    pipeline.report(ParseError("anthropic request: not valid JSON"), "request", _meta(), AgentRef(pid=9))
    pipeline.report(KeyError("sk-live-looking-content"), "stream", None, AgentRef())
    first, second = sink.of_kind("internal_error")
    assert (first.component, first.error, first.severity) == ("proxy.request", "ParseError", Severity.MEDIUM)
    assert first.message == "anthropic request: not valid JSON"
    assert first.context == "POST api.anthropic.com:443/v1/messages"
    assert first.agent.pid == 9
    assert (second.component, second.error, second.context) == ("proxy.stream", "KeyError", None)
    assert "sk-live" not in second.model_dump_json()
    assert pipeline.statistics()["internal_errors"] == 2


def test_stream_problems_are_one_internal_error_per_response(tmp_path: Path) -> None:
    pipeline, sink = _pipeline(tmp_path)
    exchange = pipeline.open(_meta())
    assert exchange is not None
    exchange.on_problems(exchange, ParsedResponse(problems=("bad event", "worse event"), truncated=True))
    [error] = sink.of_kind("internal_error")
    assert error.component == "dialect.anthropic"
    assert error.message == "bad event; worse event; the response ended before it was complete"


def test_helpers() -> None:
    assert flow_context(_meta(path="/a/b?x=1")) == "POST api.anthropic.com:443/a/b"
    assert safe_message(ParseError("x" * 1000)).endswith("...")
    assert len(safe_message(ParseError("x" * 1000))) == 500
    assert "unexpected" in safe_message(ValueError("content"))


# --- a whole conversation ----------------------------------------------------------------

TURNS = 30
SESSION = "sess-30"


def _call_id(turn: int) -> str:
    return f"toolu_{turn:02d}"


def _script(request: Recorded) -> Reply:
    turn = (len(request.json()["messages"]) - 1) // 2
    return Reply.sse(
        anthropic_events([Text(f"step {turn}"), ToolUse(_call_id(turn), "Bash", {"command": f"echo {turn}"})])
    )


def _next_messages(messages: list[dict[str, Any]], turn: int) -> None:
    messages.append(
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": f"step {turn}"},
                {
                    "type": "tool_use",
                    "id": _call_id(turn),
                    "name": "Bash",
                    "input": {"command": f"echo {turn}"},
                },
            ],
        }
    )
    content: list[dict[str, Any]] = [
        {"type": "tool_result", "tool_use_id": _call_id(turn), "content": f"{turn}\n"}
    ]
    if turn % 10 == 9:
        content.append({"type": "text", "text": f"now do part {turn // 10 + 2}"})
    messages.append({"role": "user", "content": content})


async def _converse(
    root: Path, upstream: Upstream, state: StateStore, sink: ListSink, turns: range, pki: Any
) -> None:
    async with running_proxy(root, pki=pki, state=state, sink=sink) as proxy:

        def run() -> None:
            with tls_through(proxy.port, "localhost", upstream.port, proxy.client_context()) as tls:
                connection = Connection(tls)
                messages: list[dict[str, Any]] = [{"role": "user", "content": "do part 1"}]
                for turn in range(turns.stop):
                    if turn >= turns.start:
                        body = json.dumps({"model": "m", "stream": True, "messages": messages}).encode()
                        headers = {"content-type": "application/json", "x-claude-code-session-id": SESSION}
                        assert (
                            connection.request("POST", "localhost", "/v1/messages", body, headers).status
                            == 200
                        )
                    _next_messages(messages, turn)

        await in_thread(run)
        await sink.wait_for(lambda s: len(s.of_kind("model_response")) >= turns.stop, "every model response")


async def test_a_conversation_resent_every_turn_is_reported_once_across_a_restart(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    sink = ListSink()
    path = tmp_path / "state.sqlite3"
    with Upstream(_script, pki) as upstream:
        state = StateStore(path)
        await _converse(tmp_path / "first", upstream, state, sink, range(15), pki)
        state.close()
        # A new daemon: new proxy, new pipeline, the same state file. It sees turns 15-29,
        # each carrying the whole history again.
        state = StateStore(path)
        await _converse(tmp_path / "second", upstream, state, sink, range(15, TURNS), pki)
        state.close()
    assert len(upstream.requests) == TURNS
    counts = collections.Counter(e.kind for e in sink.events)
    assert counts["session_started"] == 1
    assert counts["internal_error"] == 0
    calls = [e.call_id for e in sink.of_kind("tool_call")]
    results = [e.call_id for e in sink.of_kind("tool_result")]
    prompts = [e.text for e in sink.of_kind("user_prompt")]
    assert calls == [_call_id(t) for t in range(TURNS)], "each tool call exactly once, in order"
    assert results == [_call_id(t) for t in range(TURNS - 1)], "each tool result exactly once"
    assert prompts == ["do part 1", "now do part 2", "now do part 3"]
    assert len(sink.of_kind("model_response")) == TURNS
    assert {e.session_id for e in sink.events} == {SESSION}


# --- MCP: a call the agent makes itself is decided before it is forwarded -----------------


def _mcp_call(call_id: int, tool: str) -> bytes:
    return json.dumps(
        {
            "jsonrpc": "2.0",
            "id": call_id,
            "method": "tools/call",
            "params": {"name": tool, "arguments": {"x": 1}},
        }
    ).encode()


async def test_a_blocked_mcp_tool_call_is_answered_by_agentd_and_never_forwarded(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    state = StateStore(tmp_path / "state.sqlite3")
    sink = ListSink()
    governor = DenyTool(tool="delete_repo", reason="destructive MCP tool")
    answer = {
        "jsonrpc": "2.0",
        "id": 1,
        "result": {"content": [{"type": "text", "text": "ok"}], "isError": False},
    }

    def server(request: Recorded) -> Reply:
        if request.body and json.loads(request.body).get("method") == "notifications/initialized":
            return Reply(202, {}, b"")
        return Reply.json({**answer, "id": json.loads(request.body)["id"]})

    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    with Upstream(server, pki) as upstream:
        gate = make_pipeline(state, sink, governor=governor)
        async with running_proxy(tmp_path, pki=pki, gate=gate) as proxy:

            def converse() -> list[Any]:
                with tls_through(proxy.port, "localhost", upstream.port, proxy.client_context()) as tls:
                    connection = Connection(tls)
                    note = json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}).encode()
                    return [
                        connection.request("POST", "localhost", "/mcp", note, headers),
                        connection.request("POST", "localhost", "/mcp", _mcp_call(1, "read_issue"), headers),
                        connection.request("POST", "localhost", "/mcp", _mcp_call(2, "delete_repo"), headers),
                    ]

            accepted, allowed, denied = await in_thread(converse)
            await sink.wait_for(lambda s: len(s.of_kind("tool_call")) == 2, "both tool calls")
    state.close()
    assert (accepted.status, accepted.body) == (202, b"")
    assert json.loads(allowed.body)["result"]["content"][0]["text"] == "ok"
    refusal = json.loads(denied.body)
    assert refusal["id"] == 2
    assert refusal["result"]["isError"] is True
    assert "destructive MCP tool" in refusal["result"]["content"][0]["text"]
    forwarded = [json.loads(r.body).get("params", {}).get("name") for r in upstream.requests]
    assert forwarded == [None, "read_issue"], "the blocked call never reached the server"
    calls = {c.tool: c for c in sink.of_kind("tool_call")}
    assert calls["delete_repo"].decision.outcome.value == "deny"
    assert calls["read_issue"].decision is None
    assert sink.of_kind("internal_error") == []
