"""The addon in real mitmproxy: streaming, fail-open on hostile input and on agentd's own
failures, answers applied from the gate, and attribution of a flow to its process."""

import gzip
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from agentd.capture.proxy.gate import FlowMeta, Reply
from agentd.config import ProxySettings
from agentd.events import AgentKind, AgentRef
from tests.support.clients import Connection, RawResponse, WebSocketClient, in_thread, tls_through
from tests.support.proxy import ListSink, RunningProxy, running_proxy
from tests.support.upstreams import (
    Pki,
    Recorded,
    Step,
    Text,
    ToolUse,
    Upstream,
    WebSocketScript,
    anthropic_events,
    anthropic_message,
    make_pki,
    openai_response_events,
)
from tests.support.upstreams import Reply as UpstreamReply

CLAUDE_HEADERS = {
    "content-type": "application/json",
    "x-claude-code-session-id": "session-addon",
    "user-agent": "claude-cli/2.1.197 (external, sdk-cli)",
}


def _request_body(prompt: str = "list the files", stream: bool = True) -> bytes:
    return json.dumps(
        {
            "model": "claude-sonnet-4-5",
            "max_tokens": 1024,
            "stream": stream,
            "tools": [{"name": "Bash", "description": "run", "input_schema": {"type": "object"}}],
            "messages": [{"role": "user", "content": prompt}],
        }
    ).encode()


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path / "pki")


def _post(
    proxy: RunningProxy,
    upstream: Upstream,
    body: bytes,
    headers: Mapping[str, str] = CLAUDE_HEADERS,
    path: str = "/v1/messages?beta=true",
    method: str = "POST",
    on_chunk: Callable[[bytes], None] | None = None,
) -> RawResponse:
    with tls_through(proxy.port, "localhost", upstream.port, proxy.client_context()) as tls:
        return Connection(tls).request(method, "localhost", path, body, dict(headers), on_chunk)


def _errors(sink: ListSink) -> list[Any]:
    return sink.of_kind("internal_error")


# --- streaming -------------------------------------------------------------------------------


async def test_sse_events_reach_the_client_before_upstream_sends_the_next(tmp_path: Path, pki: Pki) -> None:
    events = anthropic_events([Text("first "), Text("second "), Text("third")])
    delivered = [threading.Event() for _ in events]
    waited: list[bool] = []

    def wait_for(index: int) -> Step:
        return lambda: waited.append(delivered[index].wait(30))

    steps: list[Step] = []
    for index, event in enumerate(events):
        steps += [event, wait_for(index)]
    received = bytearray()

    def on_chunk(chunk: bytes) -> None:
        received.extend(chunk)
        for index in range(received.count(b"\n\n")):
            delivered[index].set()

    with Upstream(lambda _r: UpstreamReply.sse(steps), pki) as upstream:
        async with running_proxy(tmp_path, pki=pki) as proxy:
            response = await in_thread(lambda: _post(proxy, upstream, _request_body(), on_chunk=on_chunk))
            await proxy.sink.wait_for(lambda s: s.of_kind("model_response"), "the model response")
    # Upstream sent event N+1 only after the client had event N: nothing was buffered.
    assert waited == [True] * len(events)
    assert response.body == b"".join(events)
    [model_response] = proxy.sink.of_kind("model_response")
    assert model_response.text == "first \nsecond \nthird"  # one line per text block
    assert _errors(proxy.sink) == []


async def test_a_streamed_tool_call_arrives_intact_and_is_recorded(tmp_path: Path, pki: Pki) -> None:
    events = anthropic_events(
        [Text("ok"), ToolUse("toolu_1", "Bash", {"command": "ls -la /tmp"})], split_json=3
    )
    raw = b"".join(events)
    steps: list[Step] = [raw[i : i + 7] for i in range(0, len(raw), 7)]  # frames split anywhere
    with Upstream(lambda _r: UpstreamReply.sse(steps), pki) as upstream:
        async with running_proxy(tmp_path, pki=pki) as proxy:
            response = await in_thread(lambda: _post(proxy, upstream, _request_body()))
            await proxy.sink.wait_for(lambda s: s.of_kind("model_response"), "the model response")
    assert response.body == raw
    [call] = proxy.sink.of_kind("tool_call")
    assert (call.call_id, call.tool, json.loads(call.input)) == (
        "toolu_1",
        "Bash",
        {"command": "ls -la /tmp"},
    )
    assert call.session_id == "session-addon"
    assert call.agent.kind is AgentKind.CLAUDE_CODE


async def test_identity_is_requested_only_for_flows_agentd_reads(tmp_path: Path, pki: Pki) -> None:
    with Upstream(lambda r: UpstreamReply.json(anthropic_message([Text("hi")])), pki) as upstream:
        async with running_proxy(tmp_path, pki=pki) as proxy:
            headers = {**CLAUDE_HEADERS, "accept-encoding": "gzip, br, zstd"}
            await in_thread(lambda: _post(proxy, upstream, _request_body(stream=False), headers))
            await in_thread(lambda: _post(proxy, upstream, b"", headers, path="/v1/models", method="GET"))
    read, untouched = upstream.requests
    assert read.headers["accept-encoding"] == "identity"
    assert untouched.headers["accept-encoding"] == "gzip, br, zstd"
    assert proxy.server.statistics()["handled"] == 1
    assert proxy.server.statistics()["flows"] == 2


# --- hostile input: the client gets upstream's bytes and an internal_error is recorded ----------


@dataclass
class Hostile:
    body: bytes = field(default_factory=_request_body)
    headers: Mapping[str, str] = field(default_factory=lambda: CLAUDE_HEADERS)
    reply: Callable[[], UpstreamReply] = lambda: UpstreamReply.sse(anthropic_events([Text("fine")]))
    settings: ProxySettings | None = None
    error: str = ""  # expected in the internal_error's component, error class or message


def _bomb() -> bytes:
    return gzip.compress(bytes(100 << 20), compresslevel=1)


HOSTILE: dict[str, Callable[[], Hostile]] = {
    "truncated sse": lambda: Hostile(
        reply=lambda: UpstreamReply.sse(
            [*anthropic_events([Text("cut")])[:3], b'event: content_block_delta\ndata: {"type":"content_'],
        ),
        error="dialect.anthropic",
    ),
    "invalid json request": lambda: Hostile(
        body=b'{"model": "x", "messages": [{"role": ', error="ParseError"
    ),
    "invalid json sse event": lambda: Hostile(
        reply=lambda: UpstreamReply.sse(
            [*anthropic_events([Text("a")])[:2], b"event: content_block_delta\ndata: {not json}\n\n"]
        ),
        error="not valid JSON",
    ),
    "invalid json response": lambda: Hostile(
        body=_request_body(stream=False),
        reply=lambda: UpstreamReply(200, {"content-type": "application/json"}, b'{"id": "msg", "content": ['),
        error="proxy.response",
    ),
    "invalid utf-8 request": lambda: Hostile(
        body=b'{"model": "x", "messages": [{"role": "user", "content": "caf\xe9 \xff\xfe"}]}',
        error="ParseError",
    ),
    "invalid utf-8 sse": lambda: Hostile(
        reply=lambda: UpstreamReply.sse(
            [
                *anthropic_events([Text("a")])[:2],
                b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
                b'"delta":{"type":"text_delta","text":"\xff\xfe"}}\n\n',
            ]
        ),
        error="UTF-8",
    ),
    "gzip bomb": lambda: Hostile(
        body=_bomb(), headers={**CLAUDE_HEADERS, "content-encoding": "gzip"}, error="BodyTooLarge"
    ),
    "20 MB request": lambda: Hostile(
        body=_request_body("x" * (20 << 20)),
        settings=ProxySettings(max_body_bytes=8 << 20),
        error="BodyTooLarge",
    ),
    "20 MB event": lambda: Hostile(
        reply=lambda: UpstreamReply.sse(
            [
                anthropic_events([Text("a")])[0],
                b"event: content_block_delta\ndata: " + b"x" * (20 << 20) + b"\n\n",
            ]
        ),
        error="dialect.anthropic",
    ),
    "unknown content type": lambda: Hostile(
        reply=lambda: UpstreamReply(
            200, {"content-type": "application/octet-stream"}, bytes(range(256)) * 64
        ),
        error="content type",
    ),
    "compressed event stream": lambda: Hostile(
        reply=lambda: UpstreamReply(
            200,
            {"content-type": "text/event-stream", "content-encoding": "gzip"},
            gzip.compress(b"".join(anthropic_events([Text("zipped")]))),
        ),
        error="content-encoding",
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_hostile_input_passes_through_and_is_recorded(tmp_path: Path, pki: Pki, name: str) -> None:
    case = HOSTILE[name]()
    reply = case.reply()
    sent = reply.body if reply.body is not None else b"".join(s for s in reply.steps if isinstance(s, bytes))
    replies = iter([reply, UpstreamReply.sse(anthropic_events([Text("still serving")]))])
    with Upstream(lambda _r: next(replies), pki) as upstream:
        async with running_proxy(tmp_path, pki=pki, settings=case.settings) as proxy:
            response = await in_thread(lambda: _post(proxy, upstream, case.body, case.headers))
            await proxy.sink.wait_for(_errors, "an internal_error event")
            # The daemon keeps serving, and reading, the next flow.
            await in_thread(lambda: _post(proxy, upstream, _request_body("next")))
            await proxy.sink.wait_for(lambda s: s.of_kind("model_response"), "the next flow's response")
    assert upstream.requests[0].body == case.body, "the request reached upstream unchanged"
    assert response.status == 200
    assert response.body == sent, "the client got upstream's bytes unchanged"
    [error] = _errors(proxy.sink)
    assert case.error in f"{error.component} {error.error} {error.message}"
    assert "?" not in (error.context or ""), "the query string stays out of events"


async def test_error_answers_pass_through_unread(tmp_path: Path, pki: Pki) -> None:
    page = b"<html>overloaded</html>"
    with Upstream(lambda _r: UpstreamReply(529, {"content-type": "text/html"}, page), pki) as upstream:
        async with running_proxy(tmp_path, pki=pki) as proxy:
            response = await in_thread(lambda: _post(proxy, upstream, _request_body()))
    assert (response.status, response.body) == (529, page)
    assert _errors(proxy.sink) == []


# --- agentd's own failures ----------------------------------------------------------------


class Boom(RuntimeError):
    pass


@dataclass
class ExplodingHandler:
    """A FlowHandler that raises at one chosen point; otherwise passes everything through."""

    where: str

    def _maybe(self, point: str) -> None:
        if self.where == point:
            raise Boom(point)

    def request(self, body: bytes, agent: AgentRef) -> Reply | None:
        self._maybe("request")
        return None

    def response(self, status: int, content_type: str, body: bytes) -> bytes | None:
        self._maybe("response")
        return None

    def stream(self, status: int, content_type: str) -> "ExplodingStream":
        self._maybe("stream")
        return ExplodingStream(self.where)

    def client_message(self, text: str) -> None:
        self._maybe("client_message")

    def server_message(self, text: str) -> list[str]:
        self._maybe("server_message")
        return [text]

    def failed(self, reason: str) -> None:
        self._maybe("failed")

    def closed(self) -> None:
        self._maybe("closed")


@dataclass
class ExplodingStream:
    where: str
    feeds: int = 0
    held: bytes = b""

    def feed(self, chunk: bytes) -> bytes:
        self.feeds += 1
        if self.where == "feed" and self.feeds == 3:
            raise Boom("feed")
        # Hold everything but whole events, like a real editor.
        self.held += chunk
        complete, sep, self.held = self.held.rpartition(b"\n\n")
        return complete + sep

    def end(self) -> bytes:
        if self.where == "end":
            raise Boom("end")
        return self.held


@dataclass
class ExplodingGate:
    where: str
    reports: list[tuple[str, str]] = field(default_factory=list)

    def open(self, meta: FlowMeta) -> ExplodingHandler:
        if self.where == "open":
            raise Boom("open")
        return ExplodingHandler(self.where)

    def report(self, error: BaseException, where: str, meta: FlowMeta | None, agent: AgentRef) -> None:
        self.reports.append((type(error).__name__, where))

    def statistics(self) -> Mapping[str, Any]:
        return {"reports": len(self.reports)}


@pytest.mark.parametrize(
    ("where", "stream"),
    [
        ("open", True),
        ("request", True),
        ("stream", True),
        ("feed", True),
        ("end", True),
        ("closed", True),
        ("response", False),
        ("closed", False),
    ],
)
async def test_any_failure_in_agentd_leaves_the_traffic_byte_identical(
    tmp_path: Path, pki: Pki, where: str, stream: bool
) -> None:
    events = anthropic_events([Text("hello"), ToolUse("toolu_9", "Bash", {"command": "true"})])
    if stream:
        raw = b"".join(events)
        reply = UpstreamReply.sse([raw[i : i + 5] for i in range(0, len(raw), 5)])
    else:
        reply = UpstreamReply.json(anthropic_message([Text("hello")]))
    gate = ExplodingGate(where)
    with Upstream(lambda _r: reply, pki) as upstream:
        async with running_proxy(tmp_path, pki=pki, gate=gate) as proxy:
            responses = [
                await in_thread(lambda: _post(proxy, upstream, _request_body(stream=stream)))
                for _ in range(2)
            ]
    expected = b"".join(events) if stream else reply.body
    assert [r.body for r in responses] == [expected, expected]
    assert [name for name, _ in gate.reports] == ["Boom", "Boom"], "one report per failing flow"
    assert proxy.server.statistics()["errors"] == 2


@dataclass
class AnsweringGate:
    """Answers requests itself (an MCP denial) or replaces response bodies."""

    reply: Reply | None = None
    replacement: bytes | None = None

    def open(self, meta: FlowMeta) -> "AnsweringGate":
        return self

    def request(self, body: bytes, agent: AgentRef) -> Reply | None:
        return self.reply

    def response(self, status: int, content_type: str, body: bytes) -> bytes | None:
        return self.replacement

    def stream(self, status: int, content_type: str) -> Any:
        raise AssertionError("not streamed in this test")

    def client_message(self, text: str) -> None: ...

    def server_message(self, text: str) -> list[str]:
        return [text]

    def failed(self, reason: str) -> None: ...

    def closed(self) -> None: ...

    def report(self, error: BaseException, where: str, meta: FlowMeta | None, agent: AgentRef) -> None:
        raise AssertionError(f"unexpected failure in {where}: {error!r}")

    def statistics(self) -> Mapping[str, Any]:
        return {}


async def test_a_reply_from_the_gate_answers_without_upstream(tmp_path: Path, pki: Pki) -> None:
    denial = Reply(
        200, b'{"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"denied"}}', {"x-agentd": "1"}
    )
    with Upstream(lambda _r: UpstreamReply.json({}), pki) as upstream:
        async with running_proxy(tmp_path, pki=pki, gate=AnsweringGate(reply=denial)) as proxy:
            response = await in_thread(
                lambda: _post(proxy, upstream, b'{"method": "tools/call"}', path="/mcp")
            )
    assert (response.status, response.body, response.headers["x-agentd"]) == (200, denial.body, "1")
    assert upstream.requests == []


async def test_a_replacement_body_reaches_the_client_with_its_length(tmp_path: Path, pki: Pki) -> None:
    replacement = json.dumps(anthropic_message([Text("replaced: the call was denied")])).encode()
    upstream_body = anthropic_message([Text("original")])
    with Upstream(lambda _r: UpstreamReply.json(upstream_body), pki) as upstream:
        async with running_proxy(tmp_path, pki=pki, gate=AnsweringGate(replacement=replacement)) as proxy:
            response = await in_thread(lambda: _post(proxy, upstream, _request_body(stream=False)))
    assert response.body == replacement
    assert int(response.headers["content-length"]) == len(replacement)


# --- attribution ---------------------------------------------------------------------------

_CLIENT = """
import json, ssl, sys
from tests.support.clients import Connection, tls_through
proxy_port, upstream_port, ca, body = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
context = ssl.create_default_context(cafile=ca)
with tls_through(proxy_port, "localhost", upstream_port, context) as tls:
    headers = {"content-type": "application/json", "user-agent": "claude-cli/2.1.197 (external, cli)"}
    print(Connection(tls).request("POST", "localhost", "/v1/messages", body.encode(), headers).status)
"""


async def test_a_flow_is_attributed_to_the_process_that_opened_it(tmp_path: Path, pki: Pki) -> None:
    pids: list[int] = []

    def script(request: Recorded) -> UpstreamReply:
        return UpstreamReply.sse(anthropic_events([Text("you are a test")]))

    with Upstream(script, pki) as upstream:
        async with running_proxy(tmp_path, pki=pki) as proxy:
            runner = await in_thread(lambda: _spawn_and_wait(proxy, upstream, pids))
            await proxy.sink.wait_for(lambda s: s.of_kind("user_prompt"), "the prompt event")
    assert runner == "200"
    [prompt] = proxy.sink.of_kind("user_prompt")
    assert prompt.agent.pid == pids[0]
    assert prompt.agent.kind is AgentKind.CLAUDE_CODE  # from the user agent: python is no agent
    assert prompt.agent.exe is not None
    assert Path(prompt.agent.exe).name.startswith("python")
    assert prompt.agent.version == "2.1.197"


def _spawn_and_wait(proxy: RunningProxy, upstream: Upstream, pids: list[int]) -> str:
    command: Sequence[str] = [
        sys.executable,
        "-c",
        _CLIENT,
        str(proxy.port),
        str(upstream.port),
        str(proxy.ca.cert_path),
        _request_body("who am i").decode(),
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[3]
    ) as process:
        pids.append(process.pid)
        out, _ = process.communicate(timeout=60)
    return out.strip()


# --- WebSocket (Codex's Responses transport) ---------------------------------------------


def _frames(events: list[bytes]) -> list[str]:
    return [event.decode().split("data: ", 1)[1].strip() for event in events]


async def test_websocket_messages_pass_unchanged_and_a_non_json_frame_is_recorded(
    tmp_path: Path, pki: Pki
) -> None:
    answer = _frames(
        openai_response_events(
            [Text("looking"), ToolUse("call_1", "shell", {"command": ["ls"]})], split_json=4
        )
    )
    hostile = "this frame is not JSON {"
    server_frames = [*answer[:2], hostile, *answer[2:]]
    received: list[str] = []

    def on_message(text: str) -> list[str]:
        received.append(text)
        return server_frames

    request = json.dumps(
        {
            "type": "response.create",
            "model": "gpt-5-codex",
            "input": [{"role": "user", "content": [{"type": "input_text", "text": "list the files"}]}],
            "tools": [{"type": "function", "name": "shell", "parameters": {"type": "object"}}],
        }
    )
    with Upstream(lambda _r: WebSocketScript(on_message), pki) as upstream:
        async with running_proxy(tmp_path, pki=pki) as proxy:

            def converse() -> list[str]:
                with tls_through(proxy.port, "localhost", upstream.port, proxy.client_context()) as tls:
                    socket_client = WebSocketClient(tls, "localhost", "/v1/responses")
                    socket_client.send(request)
                    got = socket_client.receive(len(server_frames))
                    socket_client.close()
                    return got

            got = await in_thread(converse)
            await proxy.sink.wait_for(_errors, "an internal_error event")
            await proxy.sink.wait_for(lambda s: s.of_kind("model_response"), "the model response")
    assert received == [request], "the agent's frame reached upstream unchanged"
    assert got == server_frames, "the agent got upstream's frames unchanged and in order"
    [error] = _errors(proxy.sink)
    assert "JSON" in error.message
    [prompt] = proxy.sink.of_kind("user_prompt")
    assert prompt.text == "list the files"
    [call] = proxy.sink.of_kind("tool_call")
    assert (call.call_id, call.tool, json.loads(call.input)) == ("call_1", "shell", {"command": ["ls"]})
    assert proxy.server.statistics()["websocket_messages"] == 1 + len(server_frames)
