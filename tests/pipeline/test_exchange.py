"""An Exchange over the real Anthropic dialect: requests read now or just after forwarding,
streamed and buffered responses, denials turned into the dialect's replacement bytes."""

import asyncio
import json
from pathlib import Path

import pytest

from agentd.capture.proxy.gate import FlowMeta
from agentd.clock import SystemClock
from agentd.detect.redact import render_content
from agentd.errors import ParseError
from agentd.events import AgentKind, AgentRef, CaptureLevel, Outcome, Stamper
from agentd.normalize.dialects.anthropic import AnthropicMessages
from agentd.normalize.model import ParsedResponse
from agentd.pipeline.content import Inspector
from agentd.pipeline.exchange import Exchange
from agentd.pipeline.governor import AllowAll, Governor
from agentd.pipeline.ledger import Ledger
from agentd.pipeline.recorder import Recorder
from agentd.record.statestore import StateStore
from tests.support.governors import DenyTool
from tests.support.proxy import ListSink, scanner
from tests.support.upstreams import Text, ToolUse, anthropic_events, anthropic_message

AGENT = AgentRef(kind=AgentKind.CLAUDE_CODE, pid=7)
META = FlowMeta(
    flow_id="f1",
    method="POST",
    scheme="https",
    host="api.anthropic.com",
    port=443,
    path="/v1/messages?beta=true",
    headers={"x-claude-code-session-id": "s-ex"},
)
REQUEST = json.dumps(
    {"model": "m", "stream": True, "messages": [{"role": "user", "content": "run ls"}]}
).encode()
EVENTS = anthropic_events([Text("sure"), ToolUse("toolu_b", "Bash", {"command": "ls"})])


class Harness:
    def __init__(self, tmp_path: Path, governor: Governor | None = None, defer: bool = False) -> None:
        self.sink = ListSink()
        self.problems: list[ParsedResponse] = []
        self.failures: list[tuple[str, str]] = []
        recorder = Recorder(
            sink=self.sink,
            stamp=Stamper(host_id="h", capture_level=CaptureLevel.FULL),
            clock=SystemClock(),
            ledger=Ledger(StateStore(tmp_path / "state.sqlite3")),
            inspector=Inspector(scanner(), render_content, CaptureLevel.FULL),
            governor=governor or AllowAll(),
        )
        self.exchange = Exchange(
            META,
            AnthropicMessages(),
            recorder,
            on_problems=lambda _e, parsed: self.problems.append(parsed),
            on_failure=lambda _e, exc, where: self.failures.append((type(exc).__name__, where)),
            defer_requests=defer,
        )


def _stream(exchange: Exchange, chunks: list[bytes]) -> bytes:
    stream = exchange.stream(200, "text/event-stream")
    return b"".join(stream.feed(c) for c in chunks) + stream.end()


def test_an_allowed_stream_is_forwarded_unchanged(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    assert h.exchange.request(REQUEST, AGENT) is None
    assert _stream(h.exchange, EVENTS) == b"".join(EVENTS)
    assert [e.kind for e in h.sink.events] == [
        "session_started",
        "user_prompt",
        "tool_call",
        "model_response",
    ]
    assert h.exchange.session_id == "s-ex"
    assert h.problems == []


def test_a_denied_streamed_call_is_replaced_by_its_explanation(tmp_path: Path) -> None:
    h = Harness(tmp_path, governor=DenyTool())
    h.exchange.request(REQUEST, AGENT)
    out = _stream(h.exchange, EVENTS).decode()
    assert '"tool_use"' not in out
    assert "no shell" in out
    assert '"stop_reason":"end_turn"' in out
    [call] = h.sink.of_kind("tool_call")
    assert call.decision.outcome is Outcome.DENY


def test_a_denied_call_in_a_json_response_is_replaced(tmp_path: Path) -> None:
    h = Harness(tmp_path, governor=DenyTool())
    h.exchange.request(REQUEST, AGENT)
    body = json.dumps(
        anthropic_message([Text("sure"), ToolUse("toolu_j", "Bash", {"command": "ls"})])
    ).encode()
    replaced = h.exchange.response(200, "application/json", body)
    assert replaced is not None
    content = json.loads(replaced)["content"]
    assert [block["type"] for block in content] == ["text", "text"]
    assert "no shell" in content[1]["text"]


def test_an_allowed_json_response_is_not_replaced(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.exchange.request(REQUEST, AGENT)
    body = json.dumps(anthropic_message([Text("just text")])).encode()
    assert h.exchange.response(200, "application/json", body) is None
    [response] = h.sink.of_kind("model_response")
    assert response.text == "just text"


def test_a_truncated_stream_is_reported_as_a_problem(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.exchange.request(REQUEST, AGENT)
    cut = EVENTS[:5]
    assert _stream(h.exchange, cut) == b"".join(cut)
    [parsed] = h.problems
    assert parsed.truncated


def test_an_unreadable_request_raises_when_read_now(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    with pytest.raises(ParseError):
        h.exchange.request(b"{not json", AGENT)


async def test_a_deferred_request_is_read_right_after_forwarding(tmp_path: Path) -> None:
    h = Harness(tmp_path, defer=True)
    assert h.exchange.request(REQUEST, AGENT) is None
    assert h.exchange.turn is None, "nothing is read before the proxy forwards the request"
    await asyncio.sleep(0)  # one loop iteration: the proxy has sent the request on
    assert h.exchange.session_id == "s-ex"
    assert [e.kind for e in h.sink.events] == ["session_started", "user_prompt"]


async def test_a_deferred_request_is_read_before_any_call_in_its_response(tmp_path: Path) -> None:
    governor = DenyTool()
    h = Harness(tmp_path, governor=governor, defer=True)
    h.exchange.request(REQUEST, AGENT)
    # The response arrives before the deferred read ran: ruling on the call forces it.
    out = _stream(h.exchange, EVENTS)
    assert b"no shell" in out
    assert [e.kind for e in governor.observed][:2] == ["session_started", "user_prompt"]
    await asyncio.sleep(0)
    assert len(h.sink.of_kind("user_prompt")) == 1, "the deferred read does not run twice"


async def test_a_deferred_request_that_cannot_be_read_is_reported_once(tmp_path: Path) -> None:
    h = Harness(tmp_path, defer=True)
    assert h.exchange.request(b"{not json", AGENT) is None
    await asyncio.sleep(0)
    assert h.failures == [("ParseError", "request")]
    # The response still passes through (unread), without a second report.
    assert _stream(h.exchange, EVENTS) == b"".join(EVENTS)
    body = json.dumps(anthropic_message([Text("x")])).encode()
    assert h.exchange.response(200, "application/json", body) is None
    assert h.failures == [("ParseError", "request")]
    assert h.sink.of_kind("model_response") == []


async def test_requests_that_may_carry_calls_are_never_deferred(tmp_path: Path) -> None:
    h = Harness(tmp_path, defer=True)
    body = json.dumps(
        {"model": "m", "messages": [{"role": "user", "content": "what does tools/call do in MCP?"}]}
    ).encode()
    h.exchange.request(body, AGENT)
    assert h.exchange.session_id == "s-ex", "read before forwarding"


def test_websocket_turns(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    for turn in range(2):
        messages = [{"role": "user", "content": "first"}]
        if turn:
            messages += [
                {"role": "assistant", "content": "done"},
                {"role": "user", "content": "second"},
            ]
        h.exchange.client_message(json.dumps({"model": "m", "messages": messages}))
        texts = [
            event.decode().split("data: ", 1)[1].strip() for event in anthropic_events([Text(f"r{turn}")])
        ]
        forwarded = [m for text in texts for m in h.exchange.server_message(text)]
        assert forwarded == texts
    h.exchange.closed()
    assert [e.text for e in h.sink.of_kind("user_prompt")] == ["first", "second"]
    assert [e.text for e in h.sink.of_kind("model_response")] == ["r0", "r1"]


async def test_websocket_requests_deferred_back_to_back_are_all_read(tmp_path: Path) -> None:
    h = Harness(tmp_path, defer=True)
    h.exchange.client_message(json.dumps({"model": "m", "messages": [{"role": "user", "content": "one"}]}))
    h.exchange.client_message(
        json.dumps(
            {
                "model": "m",
                "messages": [
                    {"role": "user", "content": "one"},
                    {"role": "assistant", "content": "ok"},
                    {"role": "user", "content": "two"},
                ],
            }
        )
    )
    await asyncio.sleep(0)
    h.exchange.closed()
    assert [e.text for e in h.sink.of_kind("user_prompt")] == ["one", "two"]
