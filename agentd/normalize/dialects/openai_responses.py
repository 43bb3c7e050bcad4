"""OpenAI Responses (api.openai.com, the ChatGPT Codex backend, compatible gateways): requests,
JSON and SSE responses and the WebSocket transport Codex prefers, where each server message is
one stream event; a denied `function_call` / `custom_tool_call` item becomes a message item.

One WebSocket carries many responses: each `response.created` starts a new one, and the
editor's ``response()`` describes the latest, with ``stop_reason`` set once it is finished.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agentd.errors import ParseError
from agentd.normalize import jsonvalue
from agentd.normalize.denials import denial_text
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
from agentd.normalize.dialects.openai_chat import error_answer
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

NAME = "openai-responses"
SERVER_SIDE = "openai"  # ToolUse.server / ToolSpec.server of tools OpenAI itself runs
_LOCAL_CALLS = ("function_call", "custom_tool_call", "local_shell_call", "computer_call")
_OUTPUTS = (
    "function_call_output",
    "custom_tool_call_output",
    "local_shell_call_output",
    "computer_call_output",
)
_LOCAL_TOOLS = ("function", "custom", "local_shell", "computer_use_preview", "computer")
_WS_CONTROL = ("response.processed",)  # Codex WebSocket frames that carry no conversation
_FINISHED = ("response.completed", "response.incomplete", "response.failed")
_ROLES = {"developer": "system", "system": "system"}


class OpenAIResponses:
    name = NAME

    def matches(self, method: str, host: str, path: str) -> bool:
        # GET is the WebSocket upgrade Codex opens on the same path.
        route = path.partition("?")[0].rstrip("/")
        return method.upper() in ("POST", "GET") and route.endswith("/responses")

    def parse_request(self, body: bytes) -> ParsedRequest:
        """An HTTP body, or a Codex WebSocket frame (`response.create` carries the same fields)."""
        doc = parse_object(body, "openai responses request")
        if doc.get("type") in _WS_CONTROL:
            return ParsedRequest(dialect=NAME)
        raw_input = doc.get("input")
        if isinstance(raw_input, str):
            messages: tuple[Message, ...] = (
                Message(
                    0, "user", "input", jsonvalue.digest({"role": "user", "content": raw_input}), raw_input
                ),
            )
        elif isinstance(raw_input, list):
            names: dict[str, str] = {}
            messages = tuple(_item_message(i, item, names) for i, item in enumerate(raw_input))
        elif raw_input is None and "previous_response_id" in doc:
            messages = ()
        else:
            raise ParseError("openai responses request: `input` is missing or neither text nor a list")
        return ParsedRequest(
            dialect=NAME,
            model=opt_str(doc.get("model")),
            system=opt_str(doc.get("instructions")),
            messages=messages,
            tools=tuple(_tool_spec(t) for t in items(doc.get("tools")) if isinstance(t, dict)),
            stream=doc.get("stream") is True,
            session_hint=opt_str(doc.get("prompt_cache_key")),
            continues=opt_str(doc.get("previous_response_id")),
        )

    def parse_response(self, body: bytes) -> ParsedResponse:
        if looks_like_sse(body):
            return replay(self.stream_editor(_allow), body)[1]
        doc = parse_object(body, "openai responses response")
        if "error" in doc and "output" not in doc:
            return ParsedResponse(stop_reason="error", text=string(obj(doc.get("error")).get("message")))
        return _summary(doc)

    def stream_editor(self, on_tool_use: ToolUseHook) -> "OpenAIResponsesStreamEditor":
        return OpenAIResponsesStreamEditor(on_tool_use)

    def deny_in_response(self, body: bytes, denials: Mapping[str, Denial]) -> bytes:
        if looks_like_sse(body):
            return replay(self.stream_editor(lambda call: denials.get(call.call_id)), body)[0]
        doc = parse_object(body, "openai responses response")
        output = items(doc.get("output"))
        changed = False
        for position, item in enumerate(output):
            use = _item_call(obj(item))
            if use is not None and use.server is None and use.call_id in denials:
                output[position] = _message_item(use, denials[use.call_id])
                changed = True
        return jsonvalue.compact(doc).encode() if changed else body

    def deny_call(
        self, request_body: bytes, call: ToolUse, denial: Denial
    ) -> tuple[int, dict[str, str], bytes]:
        return error_answer(denial)


def _allow(call: ToolUse) -> None:
    return None


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(string(obj(p).get("text")) for p in items(content) if string(obj(p).get("text")))


def _item_call(item: Mapping[str, Any]) -> ToolUse | None:
    """The tool call an item makes, if it is one (hosted tools carry ``server``)."""
    kind = item.get("type")
    ref = call_id(item.get("call_id")) or call_id(item.get("id"))
    if kind == "function_call":
        return ToolUse(ref, string(item.get("name")), arguments_text(item.get("arguments")))
    if kind == "custom_tool_call":
        return ToolUse(ref, string(item.get("name")), string(item.get("input")))
    if kind == "local_shell_call":
        return ToolUse(ref, "local_shell", arguments_text(item.get("action")))
    if kind == "computer_call":
        return ToolUse(ref, "computer", arguments_text(item.get("action")))
    if kind == "mcp_call":
        server = string(item.get("server_label")) or SERVER_SIDE
        return ToolUse(ref, string(item.get("name")), arguments_text(item.get("arguments")), server=server)
    if isinstance(kind, str) and kind.endswith("_call"):
        return ToolUse(
            ref, kind.removesuffix("_call"), arguments_text(item.get("action")), server=SERVER_SIDE
        )
    return None


def _item_message(index: int, raw: Any, names: dict[str, str]) -> Message:
    if not isinstance(raw, dict):
        raise ParseError(f"openai responses request: input[{index}] is not an object")
    kind = raw.get("type", "message")
    role = "assistant"
    text = ""
    uses: tuple[ToolUse, ...] = ()
    outputs: tuple[ToolOutput, ...] = ()
    if kind == "message":
        role = string(raw.get("role")) or "user"
        text = _text_of(raw.get("content"))
    elif kind in _OUTPUTS:
        role = "tool"
        ref = call_id(raw.get("call_id"))
        output = raw.get("output")
        content = output if isinstance(output, str) else _text_of(output) or arguments_text(output)
        outputs = (ToolOutput(ref, content, name=names.get(ref)),)
    else:
        use = _item_call(raw)
        if use is not None:
            names[use.call_id] = use.name
            uses = (use,)
            if kind == "mcp_call" and raw.get("output") is not None:
                outputs = (ToolOutput(use.call_id, arguments_text(raw.get("output")), name=use.name),)
    return Message(
        index=index,
        role=_ROLES.get(role, role),
        location=f"input[{index}]",
        digest=jsonvalue.digest(raw),
        text=text,
        tool_uses=uses,
        tool_outputs=outputs,
    )


def _tool_spec(tool: Mapping[str, Any]) -> ToolSpec:
    kind = string(tool.get("type"))
    schema = tool.get("parameters")
    return ToolSpec(
        name=string(tool.get("name")) or string(tool.get("server_label")) or kind,
        description=string(tool.get("description")),
        input_schema=schema if isinstance(schema, dict) else None,
        server=None if kind in _LOCAL_TOOLS else (string(tool.get("server_label")) or SERVER_SIDE),
    )


def _summary(response: Mapping[str, Any]) -> ParsedResponse:
    output = [obj(item) for item in items(response.get("output"))]
    usage = obj(response.get("usage"))
    return ParsedResponse(
        model=opt_str(response.get("model")),
        text="\n".join(_text_of(i.get("content")) for i in output if i.get("type") == "message"),
        tool_uses=tuple(use for use in map(_item_call, output) if use is not None),
        stop_reason=_stop_reason(response),
        input_tokens=opt_int(usage.get("input_tokens")),
        output_tokens=opt_int(usage.get("output_tokens")),
        response_id=opt_str(response.get("id")),
    )


def _stop_reason(response: Mapping[str, Any]) -> str | None:
    status = opt_str(response.get("status"))
    if status == "incomplete":
        return opt_str(obj(response.get("incomplete_details")).get("reason")) or status
    return None if status in ("in_progress", "queued") else status


def _message_id(use: ToolUse) -> str:
    return f"msg_agentd_{use.call_id}"


def _message_item(use: ToolUse, denial: Denial, *, done: bool = True) -> dict[str, Any]:
    part = {"type": "output_text", "text": denial_text(use, denial), "annotations": []}
    return {
        "id": _message_id(use),
        "type": "message",
        "status": "completed" if done else "in_progress",
        "role": "assistant",
        "content": [part] if done else [],
    }


@dataclass(slots=True)
class _Item:
    output_index: Any
    item: Mapping[str, Any]
    parts: list[str] = field(default_factory=list)
    final: str | None = None


class OpenAIResponsesStreamEditor(EventStreamEditor):
    """Holds a local tool-call item from `output_item.added` to `output_item.done`."""

    def __init__(self, on_tool_use: ToolUseHook, **limits: int) -> None:
        super().__init__(on_tool_use, **limits)
        self._start()

    def _start(self) -> None:
        self._model: str | None = None
        self._id: str | None = None
        self._texts: list[str] = []
        self._open: dict[Any, _Item] = {}  # held items, by output_index
        self._calls: list[ToolUse] = []
        self._denied: dict[str, dict[str, Any]] = {}  # call id -> the message item replacing it
        self._stop_reason: str | None = None
        self._input_tokens: int | None = None
        self._output_tokens: int | None = None
        self._finished = False

    def handle(self, entry: Held) -> None:
        event = obj(entry.payload)
        kind = event.get("type")
        position = event.get("output_index")
        if kind == "response.created" and (self._finished or self._id is not None):
            self._next_response()
        if kind in ("response.created", "response.in_progress", *_FINISHED):
            self._take_response(obj(event.get("response")))
        if kind in _FINISHED:
            self._finished = True
            self._stop_reason = _stop_reason(obj(event.get("response"))) or kind.removeprefix("response.")
            if self._denied:
                self.emit(self.render(entry.name, self._without_denied(event)))
                return
        elif kind == "error":
            self._finished = True
            self._stop_reason = "error"
        elif kind == "response.output_item.added" and obj(event.get("item")).get("type") in _LOCAL_CALLS:
            self._open[position] = _Item(position, obj(event.get("item")))
            self.hold(_key(position), entry)
            return
        elif kind == "response.output_text.delta":
            self._texts.append(string(event.get("delta")))
        elif kind == "response.output_item.done" and position in self._open:
            current = self._open.pop(position)
            current.item = obj(event.get("item")) or current.item
            self.hold(_key(position), entry)
            self._decide(current)
            return
        elif kind == "response.output_item.done":
            use = _item_call(obj(event.get("item")))
            if use is not None:  # a hosted tool: reported, never held
                self._calls.append(use)
        if position in self._open:
            current = self._open[position]
            if kind in ("response.function_call_arguments.delta", "response.custom_tool_call_input.delta"):
                current.parts.append(string(event.get("delta")))
            elif kind == "response.function_call_arguments.done":
                current.final = opt_str(event.get("arguments"))
            elif kind == "response.custom_tool_call_input.done":
                current.final = opt_str(event.get("input"))
            self.hold(_key(position), entry)
            return
        self.emit(entry)

    def snapshot(self) -> ParsedResponse:
        pending = [self._call_of(item) for item in self._open.values()]
        return ParsedResponse(
            model=self._model,
            text="".join(self._texts),
            tool_uses=(*self._calls, *pending),
            stop_reason=self._stop_reason,
            input_tokens=self._input_tokens,
            output_tokens=self._output_tokens,
            truncated=not self._finished,
            response_id=self._id,
        )

    def _next_response(self) -> None:
        """A new response on the same WebSocket: one cut off inside a tool call must not hold
        back everything after it."""
        for position in list(self._open):
            self.problem("a response ended inside a tool call; its events were forwarded undecided")
            self.release(_key(position))
        self._start()

    def _take_response(self, response: Mapping[str, Any]) -> None:
        self._model = opt_str(response.get("model")) or self._model
        self._id = opt_str(response.get("id")) or self._id
        usage = obj(response.get("usage"))
        if usage:
            self._input_tokens = opt_int(usage.get("input_tokens"))
            self._output_tokens = opt_int(usage.get("output_tokens"))

    def _call_of(self, current: _Item) -> ToolUse:
        use = _item_call(current.item) or ToolUse("", "", "")
        streamed = current.final if current.final is not None else "".join(current.parts)
        if not use.arguments and streamed:
            use = ToolUse(use.call_id, use.name, streamed, use.server)
        return use

    def _decide(self, current: _Item) -> None:
        use = self._call_of(current)
        self._calls.append(use)
        denial = self.decide(use)
        key = _key(current.output_index)
        if denial is None:
            self.release(key)
            return
        self._denied[use.call_id] = _message_item(use, denial)
        self.replace(key, self._replacement(use, denial, current.output_index, self.owned(key)))

    def _replacement(self, use: ToolUse, denial: Denial, position: Any, held: list[Held]) -> list[Held]:
        """The events of a message item in the call's place. Their sequence numbers reuse the
        held events' (so the stream stays strictly increasing); with fewer than six held events
        the message arrives whole in its `added` and `done` events."""
        numbers = [n for n in (opt_int(obj(h.payload).get("sequence_number")) for h in held) if n is not None]
        text = denial_text(use, denial)
        item_id = _message_id(use)
        part = {"type": "output_text", "text": text, "annotations": []}
        where = {"item_id": item_id, "output_index": position, "content_index": 0}
        events: list[tuple[str, dict[str, Any]]] = [
            (
                "response.output_item.added",
                {"output_index": position, "item": _message_item(use, denial, done=False)},
            ),
        ]
        if len(held) >= 6:
            events += [
                ("response.content_part.added", {**where, "part": {**part, "text": ""}}),
                ("response.output_text.delta", {**where, "delta": text, "logprobs": []}),
                ("response.output_text.done", {**where, "text": text, "logprobs": []}),
                ("response.content_part.done", {**where, "part": part}),
            ]
        else:
            events[0][1]["item"] = _message_item(use, denial)
        events.append(
            ("response.output_item.done", {"output_index": position, "item": _message_item(use, denial)})
        )
        if len(numbers) != len(held):  # the stream does not number its events
            return [self.render(kind, {"type": kind, **body}) for kind, body in events]
        numbers[len(events) - 1] = numbers[-1]  # the last event keeps the last number
        return [
            self.render(kind, {"type": kind, "sequence_number": number, **body})
            for (kind, body), number in zip(events, numbers, strict=False)
        ]

    def _without_denied(self, event: Mapping[str, Any]) -> dict[str, Any]:
        response = dict(obj(event.get("response")))
        output = []
        for item in items(response.get("output")):
            use = _item_call(obj(item))
            replaced = self._denied.get(use.call_id) if use is not None and use.server is None else None
            output.append(replaced if replaced is not None else item)
        if "output" in response:
            response["output"] = output
        return {**event, "response": response}


def _key(position: Any) -> str:
    return f"item:{position!r}"
