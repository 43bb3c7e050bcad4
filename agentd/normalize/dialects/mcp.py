"""MCP over Streamable HTTP: JSON-RPC requests (single or batched) whose `tools/call` is the
tool call to decide before it is forwarded, and JSON or SSE responses carrying `tools/list`
results (tool definitions) and `tools/call` results (tool outputs). Both the session-header
revisions (up to 2025-11-25) and the stateless 2026-07-28 revision parse the same way.

A denied `tools/call` is answered by agentd itself with a tool result marked `isError`, so the
model reads the reason. Which server a tool belongs to is known from the endpoint, not the
body: the caller binds it with ``with_server``.
"""

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, overload

from agentd.errors import ParseError
from agentd.normalize import jsonvalue
from agentd.normalize.denials import denial_text
from agentd.normalize.dialects.fields import (
    arguments_text,
    call_id,
    items,
    looks_like_sse,
    obj,
    string,
)
from agentd.normalize.model import (
    Denial,
    ParsedRequest,
    ParsedResponse,
    ToolOutput,
    ToolSpec,
    ToolUse,
    ToolUseHook,
)
from agentd.normalize.streaming import EventStreamEditor, Held, replay

NAME = "mcp"
STATELESS_REVISION = "2026-07-28"
_VERSION_META = "io.modelcontextprotocol/protocolVersion"
_BATCH_REFUSED = -32001  # implementation-defined server error range of JSON-RPC
_BATCH_MESSAGE = "[agentd] not forwarded: the batch held a blocked tool call"


class MCP:
    name = NAME

    def matches(self, method: str, host: str, path: str) -> bool:
        segments = path.partition("?")[0].strip("/").split("/")
        return method.upper() in ("POST", "GET") and "mcp" in segments

    def parse_request(self, body: bytes) -> ParsedRequest:
        messages, _ = _rpc_messages(body, "mcp request")
        calls = tuple(_call(m) for m in messages if m.get("method") == "tools/call")
        first = next((string(m.get("method")) for m in messages if isinstance(m.get("method"), str)), None)
        return ParsedRequest(dialect=NAME, calls=calls, rpc_method=first)

    def parse_response(self, body: bytes) -> ParsedResponse:
        if looks_like_sse(body):
            return replay(self.stream_editor(_allow), body)[1]
        summary = _Summary()
        for message in _rpc_messages(body, "mcp response")[0]:
            summary.take(message)
        return summary.parsed(truncated=False)

    def stream_editor(self, on_tool_use: ToolUseHook) -> "MCPStreamEditor":
        return MCPStreamEditor(on_tool_use)

    def deny_in_response(self, body: bytes, denials: Mapping[str, Denial]) -> bytes:
        return body  # MCP responses carry no calls to the client; calls are denied as requests

    def deny_call(
        self, request_body: bytes, call: ToolUse, denial: Denial
    ) -> tuple[int, dict[str, str], bytes]:
        messages, batch = _rpc_messages(request_body, "mcp request")
        answers = []
        matched = False
        for message in messages:
            if "id" not in message or "method" not in message:
                continue  # notifications and client responses get no answer
            if message.get("method") == "tools/call" and _call(message).call_id == call.call_id:
                matched = True
                result: dict[str, Any] = {
                    "content": [{"type": "text", "text": denial_text(call, denial)}],
                    "isError": True,
                }
                if _stateless(message):
                    result["resultType"] = "complete"
                answers.append({"jsonrpc": "2.0", "id": message["id"], "result": result})
            else:
                error = {
                    "code": _BATCH_REFUSED,
                    "message": "[agentd] not forwarded: the batch held a blocked tool call",
                }
                answers.append({"jsonrpc": "2.0", "id": message["id"], "error": error})
        if not matched:
            raise ParseError(f"mcp request: no tools/call with id {call.call_id!r} to deny")
        body = jsonvalue.compact(answers if batch else answers[0]).encode()
        return 200, {"content-type": "application/json"}, body


@overload
def with_server(parsed: ParsedRequest, server: str) -> ParsedRequest: ...
@overload
def with_server(parsed: ParsedResponse, server: str) -> ParsedResponse: ...
def with_server(parsed: ParsedRequest | ParsedResponse, server: str) -> ParsedRequest | ParsedResponse:
    """``parsed`` with its tools and calls attributed to ``server`` (e.g. the endpoint host)."""
    if isinstance(parsed, ParsedRequest):
        return replace(parsed, calls=tuple(replace(c, server=server) for c in parsed.calls))
    return replace(
        parsed,
        tools=tuple(replace(t, server=server) for t in parsed.tools),
        tool_uses=tuple(replace(c, server=server) for c in parsed.tool_uses),
    )


def _allow(call: ToolUse) -> None:
    return None


def _rpc_messages(body: bytes | str, what: str) -> tuple[list[dict[str, Any]], bool]:
    """The JSON-RPC messages in a body, and whether it was a batch."""
    value = jsonvalue.parse(body, what)
    messages = value if isinstance(value, list) else [value]
    if not messages:
        raise ParseError(f"{what}: an empty JSON-RPC batch")
    for position, message in enumerate(messages):
        if not isinstance(message, dict) or not ({"method", "result", "error"} & message.keys()):
            raise ParseError(f"{what}: message {position} is not a JSON-RPC message")
    return messages, isinstance(value, list)


def _stateless(message: Mapping[str, Any]) -> bool:
    version = obj(obj(message.get("params")).get("_meta")).get(_VERSION_META)
    return isinstance(version, str) and version >= STATELESS_REVISION


def _call(message: Mapping[str, Any]) -> ToolUse:
    params = obj(message.get("params"))
    return ToolUse(
        call_id(message.get("id")), string(params.get("name")), arguments_text(params.get("arguments"))
    )


def _content_text(result: Mapping[str, Any]) -> str:
    parts = []
    for item in items(result.get("content")):
        item = obj(item)
        if isinstance(item.get("text"), str):
            parts.append(item["text"])
        elif isinstance(obj(item.get("resource")).get("text"), str):
            parts.append(item["resource"]["text"])
    if not parts and "structuredContent" in result:
        return arguments_text(result["structuredContent"])
    return "\n".join(parts)


def _tool_spec(tool: Mapping[str, Any]) -> ToolSpec:
    schema = tool.get("inputSchema")
    return ToolSpec(
        name=string(tool.get("name")),
        description=string(tool.get("description")) or string(tool.get("title")),
        input_schema=schema if isinstance(schema, dict) else None,
    )


class _Summary:
    def __init__(self) -> None:
        self.tools: list[ToolSpec] = []
        self.outputs: list[ToolOutput] = []
        self.answered = False

    def take(self, message: Mapping[str, Any]) -> None:
        if "method" in message:
            return  # a server request or notification on the stream
        self.answered = True
        ref = call_id(message.get("id"))
        if "error" in message:
            error = obj(message.get("error"))
            self.outputs.append(ToolOutput(ref, string(error.get("message")), is_error=True))
            return
        result = obj(message.get("result"))
        if isinstance(result.get("tools"), list):
            self.tools += [_tool_spec(obj(t)) for t in result["tools"] if isinstance(t, dict)]
        elif isinstance(result.get("content"), list) or "structuredContent" in result:
            self.outputs.append(
                ToolOutput(ref, _content_text(result), is_error=result.get("isError") is True)
            )

    def parsed(self, *, truncated: bool) -> ParsedResponse:
        return ParsedResponse(tools=tuple(self.tools), tool_outputs=tuple(self.outputs), truncated=truncated)


class MCPStreamEditor(EventStreamEditor):
    """Nothing to hold (calls go the other way): every event passes; results are read."""

    def __init__(self, on_tool_use: ToolUseHook, **limits: int) -> None:
        super().__init__(on_tool_use, **limits)
        self._summary = _Summary()
        self._cut = False

    def handle(self, entry: Held) -> None:
        self._cut = self._cut or not entry.complete
        for message in entry.payload if isinstance(entry.payload, list) else [entry.payload]:
            if isinstance(message, dict):
                self._summary.take(message)
        self.emit(entry)

    def snapshot(self) -> ParsedResponse:
        return self._summary.parsed(truncated=self._cut)
