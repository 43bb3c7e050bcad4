"""Anthropic Messages (api.anthropic.com, Bedrock and Vertex bodies, Copilot's Messages route):
requests, JSON and SSE responses, and replacing a denied `tool_use` block with a text block.

Server tools (`server_tool_use`, `mcp_tool_use`) run at Anthropic, not in the agent: they are
reported with ``ToolUse.server`` set and are never held or decided, since nothing local runs them.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agentd.errors import ParseError
from agentd.normalize import jsonvalue
from agentd.normalize.denials import denial_text, request_denial_text
from agentd.normalize.dialects.fields import (
    arguments_text,
    call_id,
    items,
    looks_like_sse,
    obj,
    opt_int,
    opt_str,
    parse_object,
    string,
)
from agentd.normalize.model import (
    Denial,
    Message,
    ParsedRequest,
    ParsedResponse,
    ToolOutput,
    ToolSpec,
    ToolUse,
    ToolUseHook,
)
from agentd.normalize.streaming import EventStreamEditor, Held, replay

NAME = "anthropic"
SERVER_SIDE = "anthropic"  # ToolUse.server / ToolSpec.server of tools Anthropic itself runs
_SERVER_CALLS = ("server_tool_use", "mcp_tool_use")


class AnthropicMessages:
    name = NAME

    def matches(self, method: str, host: str, path: str) -> bool:
        if method.upper() != "POST":
            return False
        route = path.partition("?")[0].rstrip("/")
        if route.endswith("/v1/messages"):
            return True
        if "/publishers/anthropic/models/" in route:  # Vertex
            return route.endswith((":rawPredict", ":streamRawPredict"))
        # Bedrock: /model/{model id}/invoke[-with-response-stream]; only Claude models speak Messages.
        return (
            host.startswith("bedrock-runtime.")
            and "anthropic." in route
            and route.endswith(("/invoke", "/invoke-with-response-stream"))
        )

    def parse_request(self, body: bytes) -> ParsedRequest:
        doc = parse_object(body, "anthropic request")
        raw_messages = doc.get("messages")
        if not isinstance(raw_messages, list):
            raise ParseError("anthropic request: `messages` is missing or not a list")
        names: dict[str, str] = {}
        messages = tuple(_message(i, m, names) for i, m in enumerate(raw_messages))
        return ParsedRequest(
            dialect=NAME,
            model=opt_str(doc.get("model")),
            system=_system_text(doc.get("system")),
            messages=messages,
            tools=tuple(_tool_spec(t) for t in items(doc.get("tools")) if isinstance(t, dict)),
            stream=doc.get("stream") is True,
        )

    def parse_response(self, body: bytes) -> ParsedResponse:
        if looks_like_sse(body):
            return replay(self.stream_editor(_allow), body)[1]
        doc = parse_object(body, "anthropic response")
        if doc.get("type") == "error":
            error = obj(doc.get("error"))
            return ParsedResponse(stop_reason="error", text=string(error.get("message")))
        content = items(doc.get("content"))
        usage = obj(doc.get("usage"))
        return ParsedResponse(
            model=opt_str(doc.get("model")),
            text="\n".join(string(b.get("text")) for b in content if _is(b, "text")),
            tool_uses=tuple(
                _tool_use(b) for b in content if isinstance(b, dict) and b.get("type") in _CALL_TYPES
            ),
            stop_reason=opt_str(doc.get("stop_reason")),
            input_tokens=_input_tokens(usage),
            output_tokens=opt_int(usage.get("output_tokens")),
            response_id=opt_str(doc.get("id")),
        )

    def stream_editor(self, on_tool_use: ToolUseHook) -> "AnthropicStreamEditor":
        return AnthropicStreamEditor(on_tool_use)

    def deny_in_response(self, body: bytes, denials: Mapping[str, Denial]) -> bytes:
        if looks_like_sse(body):
            return replay(self.stream_editor(lambda call: denials.get(call.call_id)), body)[0]
        doc = parse_object(body, "anthropic response")
        content = items(doc.get("content"))
        replaced = surviving = 0
        for position, block in enumerate(content):
            if not _is(block, "tool_use"):
                continue
            call = _tool_use(block)
            denial = denials.get(call.call_id)
            if denial is None:
                surviving += 1
            else:
                content[position] = {"type": "text", "text": denial_text(call, denial)}
                replaced += 1
        if not replaced:
            return body
        if not surviving and doc.get("stop_reason") == "tool_use":
            doc["stop_reason"] = "end_turn"
        return jsonvalue.compact(doc).encode()

    def deny_call(
        self, request_body: bytes, call: ToolUse, denial: Denial
    ) -> tuple[int, dict[str, str], bytes]:
        error = {"type": "permission_error", "message": request_denial_text(denial.reason)}
        body = jsonvalue.compact({"type": "error", "error": error}).encode()
        return 403, {"content-type": "application/json"}, body


def _allow(call: ToolUse) -> None:
    return None


_CALL_TYPES = ("tool_use", *_SERVER_CALLS)


def _is(block: Any, kind: str) -> bool:
    return isinstance(block, dict) and block.get("type") == kind


def _system_text(system: Any) -> str | None:
    if isinstance(system, str):
        return system
    if isinstance(system, list):
        return "\n".join(string(b.get("text")) for b in system if _is(b, "text"))
    return None


def _tool_spec(tool: Mapping[str, Any]) -> ToolSpec:
    kind = tool.get("type")
    schema = tool.get("input_schema")
    server_side = kind not in (None, "custom") and not isinstance(schema, dict)
    return ToolSpec(
        name=string(tool.get("name")) or string(kind),
        description=string(tool.get("description")),
        input_schema=schema if isinstance(schema, dict) else None,
        server=SERVER_SIDE if server_side else None,
    )


def _tool_use(block: Mapping[str, Any]) -> ToolUse:
    kind = block.get("type")
    server = None
    if kind == "mcp_tool_use":
        server = string(block.get("server_name")) or SERVER_SIDE
    elif kind == "server_tool_use":
        server = SERVER_SIDE
    return ToolUse(
        call_id=call_id(block.get("id")),
        name=string(block.get("name")),
        arguments=arguments_text(block.get("input")),
        server=server,
    )


def _flatten(content: Any) -> str:
    """A tool result's content as text: a string, or the text of its blocks."""
    if isinstance(content, str):
        return content
    parts = []
    for block in items(content):
        if not isinstance(block, dict):
            continue
        if isinstance(block.get("text"), str):
            parts.append(block["text"])
        elif isinstance(block.get("content"), str | list):  # e.g. search results, documents
            parts.append(_flatten_shallow(block["content"]))
    return "\n".join(parts)


def _flatten_shallow(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(string(b.get("text")) for b in items(content) if isinstance(b, dict))


def _message(index: int, raw: Any, names: dict[str, str]) -> Message:
    if not isinstance(raw, dict):
        raise ParseError(f"anthropic request: messages[{index}] is not an object")
    role = string(raw.get("role")) or "user"
    content = raw.get("content")
    texts: list[str] = []
    uses: list[ToolUse] = []
    outputs: list[ToolOutput] = []
    if isinstance(content, str):
        texts.append(content)
    for block in items(content):
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text":
            texts.append(string(block.get("text")))
        elif kind in _CALL_TYPES:
            use = _tool_use(block)
            names[use.call_id] = use.name
            uses.append(use)
        elif isinstance(kind, str) and kind.endswith("tool_result"):
            ref = call_id(block.get("tool_use_id"))
            outputs.append(
                ToolOutput(
                    call_id=ref,
                    content=_flatten(block.get("content")),
                    is_error=block.get("is_error") is True,
                    name=names.get(ref),
                )
            )
    return Message(
        index=index,
        role=role,
        location=f"messages[{index}]",
        digest=jsonvalue.digest(_stable(raw)),
        text="\n".join(texts),
        tool_uses=tuple(uses),
        tool_outputs=tuple(outputs),
    )


def _stable(message: dict[str, Any]) -> dict[str, Any]:
    """The message without `cache_control` markers: Claude Code moves them to the newest
    message every turn, and a resent message must keep its digest."""
    content = message.get("content")
    if not isinstance(content, list) or not any(_has_cache_control(b) for b in content):
        return message
    return {**message, "content": [_strip_cache_control(b) for b in content]}


def _has_cache_control(block: Any) -> bool:
    if not isinstance(block, dict):
        return False
    if "cache_control" in block:
        return True
    inner = block.get("content")
    return isinstance(inner, list) and any(isinstance(b, dict) and "cache_control" in b for b in inner)


def _strip_cache_control(block: Any) -> Any:
    if not isinstance(block, dict):
        return block
    stripped = {k: v for k, v in block.items() if k != "cache_control"}
    inner = stripped.get("content")
    if isinstance(inner, list):
        stripped["content"] = [
            {k: v for k, v in b.items() if k != "cache_control"} if isinstance(b, dict) else b for b in inner
        ]
    return stripped


def _input_tokens(usage: Mapping[str, Any]) -> int | None:
    """All input the model read: fresh, cache-written and cache-read tokens."""
    base = opt_int(usage.get("input_tokens"))
    if base is None:
        return None
    cached = (opt_int(usage.get(k)) or 0 for k in ("cache_creation_input_tokens", "cache_read_input_tokens"))
    return base + sum(cached)


@dataclass(slots=True)
class _Block:
    index: Any
    call_id: str
    name: str
    server: str | None
    start_input: Any
    parts: list[str] = field(default_factory=list)

    def call(self) -> ToolUse:
        arguments = "".join(self.parts) if self.parts else arguments_text(self.start_input or None)
        return ToolUse(call_id=self.call_id, name=self.name, arguments=arguments, server=self.server)


class AnthropicStreamEditor(EventStreamEditor):
    """Holds a `tool_use` block from `content_block_start` to `content_block_stop`."""

    def __init__(self, on_tool_use: ToolUseHook, **limits: int) -> None:
        super().__init__(on_tool_use, **limits)
        self._model: str | None = None
        self._id: str | None = None
        self._texts: dict[Any, list[str]] = {}
        self._local: dict[Any, _Block] = {}  # open tool_use blocks, by index
        self._remote: dict[Any, _Block] = {}  # open server-side tool blocks
        self._calls: list[ToolUse] = []
        self._allowed = 0
        self._denied = 0
        self._stop_reason: str | None = None
        self._input_tokens: int | None = None
        self._output_tokens: int | None = None
        self._stopped = False

    def handle(self, entry: Held) -> None:
        event = obj(entry.payload)
        kind = event.get("type")
        index = event.get("index")
        if kind == "content_block_start":
            block = obj(event.get("content_block"))
            if block.get("type") == "tool_use":
                self._local[index] = self._block(index, block)
                self.hold(_key(index), entry)
                return
            if block.get("type") in _SERVER_CALLS:
                self._remote[index] = self._block(index, block)
            elif block.get("type") == "text" and string(block.get("text")):
                self._texts.setdefault(index, []).append(block["text"])
        elif kind == "content_block_delta":
            delta = obj(event.get("delta"))
            open_block = self._local.get(index) or self._remote.get(index)
            if open_block is not None and delta.get("type") == "input_json_delta":
                open_block.parts.append(string(delta.get("partial_json")))
            elif delta.get("type") == "text_delta":
                self._texts.setdefault(index, []).append(string(delta.get("text")))
            if index in self._local:
                self.hold(_key(index), entry)
                return
        elif kind == "content_block_stop":
            if index in self._local:
                self.hold(_key(index), entry)
                self._finish_local(self._local.pop(index))
                return
            if index in self._remote:
                self._calls.append(self._remote.pop(index).call())
        elif kind == "message_start":
            message = obj(event.get("message"))
            self._model = opt_str(message.get("model")) or self._model
            self._id = opt_str(message.get("id")) or self._id
            self._usage(obj(message.get("usage")))
        elif kind == "message_delta":
            self._usage(obj(event.get("usage")))
            stop = opt_str(obj(event.get("delta")).get("stop_reason"))
            self._stop_reason = stop or self._stop_reason
            if stop == "tool_use" and self._denied and not self._allowed:
                # Every local call was replaced by text: the turn ends with that text.
                rewritten = {**event, "delta": {**obj(event.get("delta")), "stop_reason": "end_turn"}}
                self.emit(self.render(entry.name or "message_delta", rewritten))
                return
        elif kind == "message_stop":
            self._stopped = True
        self.emit(entry)

    def snapshot(self) -> ParsedResponse:
        return ParsedResponse(
            model=self._model,
            text="\n".join("".join(parts) for parts in self._texts.values()),
            tool_uses=tuple(self._calls),
            stop_reason=self._stop_reason,
            input_tokens=self._input_tokens,
            output_tokens=self._output_tokens,
            truncated=not self._stopped,
            response_id=self._id,
        )

    def _block(self, index: Any, block: Mapping[str, Any]) -> _Block:
        use = _tool_use(block)
        return _Block(index, use.call_id, use.name, use.server, block.get("input"))

    def _finish_local(self, block: _Block) -> None:
        call = block.call()
        self._calls.append(call)
        denial = self.decide(call)
        key = _key(block.index)
        if denial is None:
            self._allowed += 1
            self.release(key)
            return
        self._denied += 1
        text = denial_text(call, denial)
        self.replace(
            key,
            [
                self.render(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": block.index,
                        "content_block": {"type": "text", "text": ""},
                    },
                ),
                self.render(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": block.index,
                        "delta": {"type": "text_delta", "text": text},
                    },
                ),
                self.render("content_block_stop", {"type": "content_block_stop", "index": block.index}),
            ],
        )

    def _usage(self, usage: Mapping[str, Any]) -> None:
        input_tokens = _input_tokens(usage)
        output_tokens = opt_int(usage.get("output_tokens"))
        if input_tokens is not None:
            self._input_tokens = input_tokens
        if output_tokens is not None:
            self._output_tokens = output_tokens


def _key(index: Any) -> str:
    return f"block:{index!r}"
