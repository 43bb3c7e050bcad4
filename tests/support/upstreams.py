"""Local TLS upstreams that speak providers' wire formats, scripted per test.

``Upstream`` is a threaded HTTPS (or plain HTTP) server on loopback with a certificate from a
throwaway CA made at run time (``make_pki``); agentd trusts it through ``[proxy] upstream_ca``.
A test gives it a ``Script``: a function from the recorded request to a ``Reply`` (JSON body,
or streamed chunks with test-controlled pauses between them) or a ``WebSocketScript``.
Provider helpers build bodies: Anthropic Messages (``anthropic_*``); other dialects add theirs.
"""

import contextlib
import datetime
import json
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import wsproto
import wsproto.events

from agentd.demo.pki import write_pki

# --- certificates ------------------------------------------------------------------------


@dataclass(frozen=True)
class Pki:
    """A throwaway CA and one server certificate it signed."""

    ca_cert: Path  # PEM: what agentd's [proxy] upstream_ca points at
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        context.set_alpn_protocols(["http/1.1"])
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_cert))


def make_pki(
    directory: Path,
    hosts: Sequence[str] = ("localhost", "127.0.0.1", "::1"),
    ca_name: str = "agentd test upstream CA",
) -> Pki:
    """A CA and a server certificate for ``hosts`` (names and IP addresses), as PEM files."""
    # A fixed, generous validity window: tests never depend on the wall clock.
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    end = datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC)
    written = write_pki(directory, start, end, hosts, ca_name)
    return Pki(ca_cert=written.ca_cert, cert=written.cert, key=written.key)


# --- what the upstream received and what it answers -------------------------------------


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Step = bytes | Callable[[], object]
"""A streamed reply is a sequence of steps: bytes are written and flushed at once; a callable
runs in between (wait on a threading.Event the test sets, or signal one)."""


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None  # sent with Content-Length
    steps: Sequence[Step] = ()  # sent chunked, step by step, when body is None
    close: bool = False  # close the connection after the reply

    @classmethod
    def json(cls, value: Any, status: int = 200) -> "Reply":
        return cls(status, {"content-type": "application/json"}, json.dumps(value).encode())

    @classmethod
    def sse(cls, steps: Sequence[Step], status: int = 200) -> "Reply":
        return cls(status, {"content-type": "text/event-stream", "cache-control": "no-cache"}, None, steps)


@dataclass
class WebSocketScript:
    """Accept a WebSocket upgrade; for each client text message, send back ``on_message(text)``."""

    on_message: Callable[[str], Sequence[str]]


Script = Callable[[Recorded], "Reply | WebSocketScript"]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read .requests instead

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        recorded = Recorded(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        self.server.upstream._record(recorded)
        reply = self.server.upstream.script(recorded)
        if isinstance(reply, WebSocketScript):
            self._websocket(reply)
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.close:
            self.send_header("connection", "close")
            self.close_connection = True
        if reply.body is not None:
            self.send_header("content-length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            self.wfile.flush()
            return
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        for step in reply.steps:
            if isinstance(step, bytes):
                if step:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(step), step))
                    self.wfile.flush()
            else:
                step()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _websocket(self, script: WebSocketScript) -> None:
        connection = wsproto.WSConnection(wsproto.ConnectionType.SERVER)
        raw = f"{self.requestline}\r\n{self.headers}".encode()
        connection.receive_data(raw if raw.endswith(b"\r\n\r\n") else raw + b"\r\n")
        for event in connection.events():
            if isinstance(event, wsproto.events.Request):
                self.wfile.write(connection.send(wsproto.events.AcceptConnection()))
                self.wfile.flush()
        self.close_connection = True
        sock = self.connection
        while True:
            data = sock.recv(65536)
            connection.receive_data(data or None)
            for event in connection.events():
                if isinstance(event, wsproto.events.TextMessage):
                    for answer in script.on_message(str(event.data)):
                        sock.sendall(connection.send(wsproto.events.Message(data=answer)))
                elif isinstance(event, wsproto.events.CloseConnection):
                    sock.sendall(connection.send(event.response()))
                    return
            if not data:
                return

    do_GET = do_POST = do_PUT = do_DELETE = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    upstream: "Upstream"


class Upstream:
    """A scripted server on loopback; ``with Upstream(script, pki) as up: up.url``."""

    def __init__(self, script: Script, pki: Pki | None = None, host: str = "127.0.0.1") -> None:
        self.script = script
        self.pki = pki
        self.requests: list[Recorded] = []
        self.received = threading.Condition()
        self._server = _Server((host, 0), _Handler)
        self._server.upstream = self
        if pki is not None:
            context = pki.server_context()
            self._server.socket = context.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
        self._thread = threading.Thread(target=self._server.serve_forever, name="upstream", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The base URL by name (``localhost``), the way an agent's base-URL setting names it."""
        return f"{'https' if self.pki else 'http'}://localhost:{self.port}"

    def _record(self, recorded: Recorded) -> None:
        with self.received:
            self.requests.append(recorded)
            self.received.notify_all()

    def wait_for_requests(self, count: int, timeout: float = 30) -> list[Recorded]:
        with self.received:
            if not self.received.wait_for(lambda: len(self.requests) >= count, timeout):
                raise AssertionError(f"upstream saw {len(self.requests)} requests, expected {count}")
            return list(self.requests)

    def __enter__(self) -> "Upstream":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def serve_raw_tls(pki: Pki, answer: Callable[[socket.socket], None]) -> tuple[int, threading.Thread]:
    """A one-connection TLS server that hands the accepted socket to ``answer``."""
    listener = socket.create_server(("127.0.0.1", 0))
    context = pki.server_context()

    def run() -> None:
        with listener:
            conn, _ = listener.accept()
            with context.wrap_socket(conn, server_side=True) as tls:
                answer(tls)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread


# --- Anthropic Messages ------------------------------------------------------------------


def sse(event: str, data: Any) -> bytes:
    """One SSE event, the way Anthropic frames them."""
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class ToolUse:
    id: str
    name: str
    input: dict[str, Any]


Block = Text | ToolUse


def anthropic_message(
    blocks: Iterable[Block],
    *,
    model: str = "claude-sonnet-4-5",
    message_id: str = "msg_test",
    input_tokens: int = 10,
    output_tokens: int = 5,
) -> dict[str, Any]:
    """A non-streamed Messages API response."""
    content: list[dict[str, Any]] = []
    for block in blocks:
        if isinstance(block, Text):
            content.append({"type": "text", "text": block.text})
        else:
            content.append({"type": "tool_use", "id": block.id, "name": block.name, "input": block.input})
    has_tool = any(c["type"] == "tool_use" for c in content)
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": "tool_use" if has_tool else "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
    }


def anthropic_events(
    blocks: Iterable[Block],
    *,
    model: str = "claude-sonnet-4-5",
    message_id: str = "msg_test",
    input_tokens: int = 10,
    output_tokens: int = 5,
    split_json: int = 12,
) -> list[bytes]:
    """A streamed Messages API response, one SSE event per item (tool input in fragments)."""
    blocks = list(blocks)
    out = [
        sse(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": message_id,
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": input_tokens, "output_tokens": 1},
                },
            },
        )
    ]
    for index, block in enumerate(blocks):
        if isinstance(block, Text):
            start = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": block.text}]
        else:
            start = {"type": "tool_use", "id": block.id, "name": block.name, "input": {}}
            text = json.dumps(block.input)
            deltas = [
                {"type": "input_json_delta", "partial_json": text[i : i + split_json]}
                for i in range(0, len(text), split_json)
            ]
        out.append(
            sse(
                "content_block_start", {"type": "content_block_start", "index": index, "content_block": start}
            )
        )
        out.extend(
            sse("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
            for delta in deltas
        )
        out.append(sse("content_block_stop", {"type": "content_block_stop", "index": index}))
    stop = "tool_use" if any(isinstance(b, ToolUse) for b in blocks) else "end_turn"
    out.append(
        sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": output_tokens},
            },
        )
    )
    out.append(sse("message_stop", {"type": "message_stop"}))
    return out


def last_tool_results(request: Recorded) -> list[dict[str, Any]]:
    """The tool_result blocks of the last user message of a Messages API request."""
    messages = request.json().get("messages", [])
    if not messages or messages[-1].get("role") != "user" or isinstance(messages[-1].get("content"), str):
        return []
    return [b for b in messages[-1]["content"] if isinstance(b, dict) and b.get("type") == "tool_result"]


def bash_then_finish(command: str, final_text: str, tool_id: str = "toolu_agentd_e2e_1") -> Script:
    """Claude Code's two turns: ask it to run ``command`` in Bash, then answer ``final_text``
    once the tool result comes back. Any other request (side queries) gets ``final_text``."""

    def script(request: Recorded) -> Reply:
        if request.method != "POST" or not request.path.startswith("/v1/messages"):
            return Reply.json({"type": "error", "error": {"type": "not_found_error", "message": "n/a"}}, 404)
        if "/count_tokens" in request.path:
            return Reply.json({"input_tokens": 10})
        body = request.json()
        tools = {t.get("name") for t in body.get("tools", [])}
        blocks: list[Block]
        if last_tool_results(request) or "Bash" not in tools:
            blocks = [Text(final_text)]
        else:
            blocks = [
                Text("Running it."),
                ToolUse(tool_id, "Bash", {"command": command, "description": "run it"}),
            ]
        if body.get("stream"):
            return Reply.sse(anthropic_events(blocks, model=body.get("model", "claude")))
        return Reply.json(anthropic_message(blocks, model=body.get("model", "claude")))

    return script


# --- a corporate proxy -------------------------------------------------------------------


class ConnectProxy:
    """A minimal HTTP CONNECT proxy (what `[proxy] mode = "upstream"` chains to); it records
    each CONNECT target and its Proxy-Authorization header, then splices bytes both ways."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, str | None]] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._closed = False

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            lines = head.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            fields = (line.partition(":") for line in lines[1:])
            headers = {name.strip().lower(): value.strip() for name, _, value in fields}
            self.connects.append((target, headers.get("proxy-authorization")))
            if method != "CONNECT":
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")
                return
            host, _, port = target.rpartition(":")
            with socket.create_connection((host, int(port))) as server:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                pump = threading.Thread(target=_splice, args=(server, client), daemon=True)
                pump.start()
                _splice(client, server)
                pump.join(timeout=10)

    def __enter__(self) -> "ConnectProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed = True
        self._listener.close()


def _splice(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


# --- OpenAI Chat Completions -------------------------------------------------------------


def openai_chat_completion(
    blocks: Iterable[Block], *, model: str = "gpt-test", completion_id: str = "chatcmpl-test"
) -> dict[str, Any]:
    """A non-streamed Chat Completions response: text as content, tool uses as tool_calls."""
    blocks = list(blocks)
    text = "".join(b.text for b in blocks if isinstance(b, Text))
    calls = [
        {
            "id": b.id,
            "type": "function",
            "function": {"name": b.name, "arguments": json.dumps(b.input)},
        }
        for b in blocks
        if isinstance(b, ToolUse)
    ]
    message: dict[str, Any] = {"role": "assistant", "content": text or None, "refusal": None}
    if calls:
        message["tool_calls"] = calls
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": "tool_calls" if calls else "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def openai_chat_chunks(
    blocks: Iterable[Block],
    *,
    model: str = "gpt-test",
    completion_id: str = "chatcmpl-test",
    split_json: int = 12,
) -> list[bytes]:
    """A streamed Chat Completions response: `data:` chunks, tool arguments in fragments,
    a usage chunk and `[DONE]`."""
    blocks = list(blocks)

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        body = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            **extra,
        }
        return b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"

    out = [chunk({"role": "assistant", "content": ""})]
    out += [chunk({"content": b.text}) for b in blocks if isinstance(b, Text)]
    calls = [b for b in blocks if isinstance(b, ToolUse)]
    for index, call in enumerate(calls):
        head = {
            "index": index,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        out.append(chunk({"tool_calls": [head]}))
        text = json.dumps(call.input)
        out += [
            chunk({"tool_calls": [{"index": index, "function": {"arguments": text[i : i + split_json]}}]})
            for i in range(0, len(text), split_json)
        ]
    out.append(chunk({}, "tool_calls" if calls else "stop"))
    usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    out.append(
        b"data: "
        + json.dumps(
            {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": 1_700_000_000,
                "model": model,
                "choices": [],
                "usage": usage,
            },
            separators=(",", ":"),
        ).encode()
        + b"\n\n"
    )
    out.append(b"data: [DONE]\n\n")
    return out


# --- OpenAI Responses --------------------------------------------------------------------


def _response_items(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for n, block in enumerate(blocks):
        if isinstance(block, Text):
            content = [{"type": "output_text", "text": block.text, "annotations": []}]
            items.append(
                {
                    "id": f"msg_{n}",
                    "type": "message",
                    "status": "completed",
                    "role": "assistant",
                    "content": content,
                }
            )
        else:
            items.append(
                {
                    "id": f"fc_{n}",
                    "type": "function_call",
                    "call_id": block.id,
                    "name": block.name,
                    "arguments": json.dumps(block.input),
                    "status": "completed",
                }
            )
    return items


def openai_response(
    blocks: Iterable[Block], *, model: str = "gpt-test", response_id: str = "resp_test"
) -> dict[str, Any]:
    """A non-streamed Responses API response: message and function_call output items."""
    return {
        "id": response_id,
        "object": "response",
        "created_at": 1_700_000_000,
        "model": model,
        "status": "completed",
        "output": _response_items(list(blocks)),
        "usage": {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15},
        "error": None,
        "incomplete_details": None,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
    }


def openai_response_events(
    blocks: Iterable[Block], *, model: str = "gpt-test", response_id: str = "resp_test", split_json: int = 12
) -> list[bytes]:
    """A streamed Responses API response: typed, numbered events from `response.created` to
    `response.completed` (text deltas; function-call arguments in fragments)."""
    blocks = list(blocks)
    final = openai_response(blocks, model=model, response_id=response_id)
    started = {**final, "status": "in_progress", "output": [], "usage": None}
    events: list[dict[str, Any]] = [{"type": "response.created", "response": started}]
    for index, item in enumerate(final["output"]):
        if item["type"] == "message":
            text = item["content"][0]["text"]
            where = {"item_id": item["id"], "output_index": index, "content_index": 0}
            events += [
                {
                    "type": "response.output_item.added",
                    "output_index": index,
                    "item": {**item, "status": "in_progress", "content": []},
                },
                {
                    "type": "response.content_part.added",
                    **where,
                    "part": {"type": "output_text", "text": "", "annotations": []},
                },
                {"type": "response.output_text.delta", **where, "delta": text, "logprobs": []},
                {"type": "response.output_text.done", **where, "text": text, "logprobs": []},
                {"type": "response.content_part.done", **where, "part": item["content"][0]},
            ]
        else:
            arguments = item["arguments"]
            events.append(
                {
                    "type": "response.output_item.added",
                    "output_index": index,
                    "item": {**item, "arguments": "", "status": "in_progress"},
                }
            )
            events += [
                {
                    "type": "response.function_call_arguments.delta",
                    "item_id": item["id"],
                    "output_index": index,
                    "delta": arguments[i : i + split_json],
                }
                for i in range(0, len(arguments), split_json)
            ]
            events.append(
                {
                    "type": "response.function_call_arguments.done",
                    "item_id": item["id"],
                    "output_index": index,
                    "arguments": arguments,
                }
            )
        events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    events.append({"type": "response.completed", "response": final})
    return [sse(event["type"], {**event, "sequence_number": n}) for n, event in enumerate(events)]


# --- Gemini --------------------------------------------------------------------------------


def gemini_response(blocks: Iterable[Block], *, model: str = "gemini-test") -> dict[str, Any]:
    """A GenerateContentResponse: text parts and whole functionCall parts."""
    parts: list[dict[str, Any]] = []
    for block in blocks:
        if isinstance(block, Text):
            parts.append({"text": block.text})
        else:
            parts.append({"functionCall": {"id": block.id, "name": block.name, "args": block.input}})
    return {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15},
        "modelVersion": model,
        "responseId": "gemini-response-test",
    }


def gemini_chunks(
    blocks: Iterable[Block], *, model: str = "gemini-test", wrapped: bool = False
) -> list[bytes]:
    """streamGenerateContent?alt=sse: one `data:` chunk per part (Code Assist wraps each in
    `{"response": ...}`), the last carrying finishReason and usage."""
    whole = gemini_response(blocks, model=model)
    parts = whole["candidates"][0]["content"]["parts"]
    out = []
    for n, part in enumerate(parts):
        chunk: dict[str, Any] = {
            "candidates": [{"content": {"role": "model", "parts": [part]}, "index": 0}],
            "modelVersion": model,
            "responseId": whole["responseId"],
        }
        if n == len(parts) - 1:
            chunk["candidates"][0]["finishReason"] = "STOP"
            chunk["usageMetadata"] = whole["usageMetadata"]
        body = {"response": chunk, "traceId": "trace-test"} if wrapped else chunk
        out.append(b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\r\n\r\n")
    return out


# --- MCP over Streamable HTTP --------------------------------------------------------------


class McpServer:
    """The official `mcp` SDK's FastMCP server (tools `get_weather`, `delete_file`) on loopback,
    TLS with ``pki``, Streamable HTTP at ``/mcp``; ``json_response`` picks JSON or SSE answers,
    ``stateless`` drops the Mcp-Session-Id header. It runs in its own process, like a real
    server (and so the SDK's server-side stream leaks stay out of the test process).
    ``with McpServer(pki) as server: server.url``."""

    def __init__(self, pki: Pki, *, json_response: bool = False, stateless: bool = False) -> None:
        self.pki = pki
        self._args = [
            sys.executable, "-m", "tests.support.upstreams", "mcp-server", str(pki.cert), str(pki.key),
            "json" if json_response else "sse", "stateless" if stateless else "session",
        ]  # fmt: skip
        self._process: subprocess.Popen[str] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}/mcp"

    def __enter__(self) -> "McpServer":
        root = Path(__file__).resolve().parents[2]
        self._process = subprocess.Popen(self._args, cwd=root, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        line = self._process.stdout.readline()  # the child prints its port once it listens
        if not line.strip().isdigit():
            self._process.kill()
            raise AssertionError(f"the MCP server did not start: {line!r}")
        self.port = int(line)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.communicate(timeout=30)


def _serve_mcp(cert: str, key: str, answers: str, sessions: str) -> None:
    import uvicorn
    from mcp.server.fastmcp import FastMCP

    server = FastMCP("weather", json_response=answers == "json", stateless_http=sessions == "stateless")

    @server.tool(description="Current weather for a city")
    def get_weather(city: str) -> str:
        return f"18C and sunny in {city}"

    @server.tool(description="Delete a file on the server")
    def delete_file(path: str) -> str:
        return f"deleted {path}"

    sock = socket.create_server(("127.0.0.1", 0))
    config = uvicorn.Config(
        server.streamable_http_app(), log_level="warning", ssl_certfile=cert, ssl_keyfile=key, lifespan="on"
    )
    uvicorn_server = uvicorn.Server(config)
    print(sock.getsockname()[1], flush=True)
    uvicorn_server.run(sockets=[sock])


# --- an agentd home that reaches these upstreams -------------------------------------------


def trust_upstreams(config: Path, pki: Pki, hosts: Sequence[str] = ("localhost",)) -> None:
    """Make an agentd config intercept ``hosts`` and trust ``pki``'s CA for upstream TLS
    (the keys go into its existing `[proxy]` table, as an admin would write them)."""
    text = config.read_text()
    keys = f"intercept_hosts = {json.dumps(list(hosts))}\nupstream_ca = {json.dumps(str(pki.ca_cert))}\n"
    if "[proxy]\n" in text:
        text = text.replace("[proxy]\n", "[proxy]\n" + keys, 1)
    else:
        text += "\n[proxy]\n" + keys
    config.write_text(text)


def tool_sequence(
    calls: Sequence[ToolUse], final_text: str, *, follow_up: str | None = None, lead: str = "On it."
) -> Script:
    """Claude Code's turns for a chain of tool calls: the k-th request that carries k tool
    results is answered with ``calls[k]`` (streamed when asked), and once every call has a
    result, with ``final_text``. A prompt containing ``follow_up`` (a `claude --continue` run
    after a denial ended the first one) and side queries without tools get ``final_text``."""

    def script(request: Recorded) -> Reply:
        if request.method != "POST" or not request.path.startswith("/v1/messages"):
            return Reply.json({"type": "error", "error": {"type": "not_found_error", "message": "n/a"}}, 404)
        if "/count_tokens" in request.path:
            return Reply.json({"input_tokens": 10})
        body = request.json()
        messages = body.get("messages", [])
        answered = sum(
            1
            for m in messages
            if m.get("role") == "user" and isinstance(m.get("content"), list)
            for b in m["content"]
            if isinstance(b, dict) and b.get("type") == "tool_result"
        )
        blocks: list[Block] = [Text(final_text)]
        asked_again = follow_up is not None and follow_up in json.dumps(messages[-1:])
        offers_bash = any(t.get("name") == "Bash" for t in body.get("tools", []))
        if offers_bash and not asked_again and answered < len(calls):
            blocks = [Text(lead), calls[answered]]
        if body.get("stream"):
            return Reply.sse(anthropic_events(blocks, model=body.get("model", "claude")))
        return Reply.json(anthropic_message(blocks, model=body.get("model", "claude")))

    return script


def all_tool_results(request: Recorded) -> list[dict[str, Any]]:
    """Every tool_result block in a Messages API request's history."""
    return [
        b
        for m in request.json().get("messages", [])
        if isinstance(m.get("content"), list)
        for b in m["content"]
        if isinstance(b, dict) and b.get("type") == "tool_result"
    ]


if __name__ == "__main__":
    if sys.argv[1:2] == ["mcp-server"]:
        _serve_mcp(*sys.argv[2:6])
