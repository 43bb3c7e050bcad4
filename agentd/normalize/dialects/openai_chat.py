"""OpenAI Chat Completions (OpenAI, Azure, Copilot and compatible gateways): requests, JSON and
SSE responses, and replacing denied `tool_calls` with assistant text.

Streamed tool calls arrive as fragments per (choice, index) and are only known complete when
the choice finishes, so from the first tool-call fragment the chunks that carry tool calls
are held until every choice with calls has its `finish_reason` (or `[DONE]` arrives).
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

NAME = "openai-chat"
_ROLES = {"developer": "system", "system": "system", "function": "tool"}
_HOLD = "tool_calls"


class OpenAIChat:
    name = NAME

    def matches(self, method: str, host: str, path: str) -> bool:
        return method.upper() == "POST" and path.partition("?")[0].rstrip("/").endswith("/chat/completions")

    def parse_request(self, body: bytes) -> ParsedRequest:
        doc = parse_object(body, "openai chat request")
        raw_messages = doc.get("messages")
        if not isinstance(raw_messages, list):
            raise ParseError("openai chat request: `messages` is missing or not a list")
        names: dict[str, str] = {}
        messages = tuple(_message(i, m, names) for i, m in enumerate(raw_messages))
        system = [m.text for m in messages if m.role == "system"]
        tools = [_tool_spec(t) for t in items(doc.get("tools")) if isinstance(t, dict)]
        tools += [_function_spec(f) for f in items(doc.get("functions")) if isinstance(f, dict)]
        return ParsedRequest(
            dialect=NAME,
            model=opt_str(doc.get("model")),
            system="\n".join(system) if system else None,
            messages=messages,
            tools=tuple(tools),
            stream=doc.get("stream") is True,
        )

    def parse_response(self, body: bytes) -> ParsedResponse:
        if looks_like_sse(body):
            return replay(self.stream_editor(_allow), body)[1]
        doc = parse_object(body, "openai chat response")
        if "error" in doc and "choices" not in doc:
            return ParsedResponse(stop_reason="error", text=string(obj(doc.get("error")).get("message")))
        texts: list[str] = []
        uses: list[ToolUse] = []
        stop: str | None = None
        for choice in items(doc.get("choices")):
            message = obj(obj(choice).get("message"))
            if string(message.get("content")):
                texts.append(message["content"])
            uses.extend(_tool_use(tc) for tc in items(message.get("tool_calls")) if isinstance(tc, dict))
            legacy = obj(message.get("function_call"))
            if legacy:
                uses.append(_legacy_call(legacy))
            stop = stop or opt_str(obj(choice).get("finish_reason"))
        usage = obj(doc.get("usage"))
        return ParsedResponse(
            model=opt_str(doc.get("model")),
            text="\n".join(texts),
            tool_uses=tuple(uses),
            stop_reason=stop,
            input_tokens=opt_int(usage.get("prompt_tokens")),
            output_tokens=opt_int(usage.get("completion_tokens")),
            response_id=opt_str(doc.get("id")),
        )

    def stream_editor(self, on_tool_use: ToolUseHook) -> "OpenAIChatStreamEditor":
        return OpenAIChatStreamEditor(on_tool_use)

    def deny_in_response(self, body: bytes, denials: Mapping[str, Denial]) -> bytes:
        if looks_like_sse(body):
            return replay(self.stream_editor(lambda call: denials.get(call.call_id)), body)[0]
        doc = parse_object(body, "openai chat response")
        changed = False
        for choice in items(doc.get("choices")):
            message = obj(obj(choice).get("message"))
            calls = [tc for tc in items(message.get("tool_calls")) if isinstance(tc, dict)]
            denied = [
                (tc, denials[_tool_use(tc).call_id]) for tc in calls if _tool_use(tc).call_id in denials
            ]
            if not denied or not isinstance(message, dict) or not isinstance(choice, dict):
                continue
            changed = True
            texts = [string(message.get("content"))] if string(message.get("content")) else []
            texts += [denial_text(_tool_use(tc), denial) for tc, denial in denied]
            message["content"] = "\n".join(texts)
            surviving = [tc for tc in calls if _tool_use(tc).call_id not in denials]
            if surviving:
                message["tool_calls"] = surviving
            else:
                message.pop("tool_calls", None)
                if choice.get("finish_reason") == "tool_calls":
                    choice["finish_reason"] = "stop"
        return jsonvalue.compact(doc).encode() if changed else body

    def deny_call(
        self, request_body: bytes, call: ToolUse, denial: Denial
    ) -> tuple[int, dict[str, str], bytes]:
        return error_answer(denial)


def error_answer(denial: Denial) -> tuple[int, dict[str, str], bytes]:
    """OpenAI's error shape, shared with the Responses dialect."""
    error = {
        "message": request_denial_text(denial.reason),
        "type": "permission_error",
        "param": None,
        "code": "agentd_blocked",
    }
    return 403, {"content-type": "application/json"}, jsonvalue.compact({"error": error}).encode()


def _allow(call: ToolUse) -> None:
    return None


def _order(value: Any) -> tuple[int, int, str]:
    """Sort key for indexes that should be ints but come from outside."""
    return (0, value, "") if isinstance(value, int) else (1, 0, str(value))


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = (obj(p) for p in items(content))
    return "\n".join(
        string(p.get("text")) or string(p.get("refusal")) for p in parts if p.get("type") != "image_url"
    )


def _tool_use(call: Mapping[str, Any]) -> ToolUse:
    if call.get("type") == "custom":
        custom = obj(call.get("custom"))
        return ToolUse(call_id(call.get("id")), string(custom.get("name")), string(custom.get("input")))
    function = obj(call.get("function"))
    return ToolUse(
        call_id(call.get("id")), string(function.get("name")), arguments_text(function.get("arguments"))
    )


def _legacy_call(function_call: Mapping[str, Any]) -> ToolUse:
    # The deprecated `function_call` has no id; its result message names the function.
    name = string(function_call.get("name"))
    return ToolUse(name, name, arguments_text(function_call.get("arguments")))


def _tool_spec(tool: Mapping[str, Any]) -> ToolSpec:
    if tool.get("type") == "custom":
        custom = obj(tool.get("custom"))
        return ToolSpec(name=string(custom.get("name")), description=string(custom.get("description")))
    return _function_spec(obj(tool.get("function")))


def _function_spec(function: Mapping[str, Any]) -> ToolSpec:
    schema = function.get("parameters")
    return ToolSpec(
        name=string(function.get("name")),
        description=string(function.get("description")),
        input_schema=schema if isinstance(schema, dict) else None,
    )


def _message(index: int, raw: Any, names: dict[str, str]) -> Message:
    if not isinstance(raw, dict):
        raise ParseError(f"openai chat request: messages[{index}] is not an object")
    role = string(raw.get("role")) or "user"
    uses = [_tool_use(tc) for tc in items(raw.get("tool_calls")) if isinstance(tc, dict)]
    if isinstance(raw.get("function_call"), dict):
        uses.append(_legacy_call(raw["function_call"]))
    for use in uses:
        names[use.call_id] = use.name
    outputs: tuple[ToolOutput, ...] = ()
    text = _content_text(raw.get("content"))
    if role in ("tool", "function"):
        ref = call_id(raw.get("tool_call_id")) or string(raw.get("name"))
        outputs = (ToolOutput(call_id=ref, content=text, name=names.get(ref) or opt_str(raw.get("name"))),)
        text = ""
    return Message(
        index=index,
        role=_ROLES.get(role, role),
        location=f"messages[{index}]",
        digest=jsonvalue.digest(raw),
        text=text,
        tool_uses=tuple(uses),
        tool_outputs=outputs,
    )


@dataclass(slots=True)
class _Call:
    choice: Any
    index: Any
    call_id: str = ""
    name: str = ""
    custom: bool = False
    parts: list[str] = field(default_factory=list)

    def call(self) -> ToolUse:
        return ToolUse(self.call_id, self.name, "".join(self.parts))


class OpenAIChatStreamEditor(EventStreamEditor):
    def __init__(self, on_tool_use: ToolUseHook, **limits: int) -> None:
        super().__init__(on_tool_use, **limits)
        self._model: str | None = None
        self._id: str | None = None
        self._texts: dict[Any, list[str]] = {}
        self._calls: dict[tuple[Any, Any], _Call] = {}
        self._decided: list[ToolUse] = []
        self._open_choices: set[Any] = set()  # choices with calls that have not finished
        self._finish: dict[Any, str] = {}
        self._input_tokens: int | None = None
        self._output_tokens: int | None = None
        self._done = False

    def handle(self, entry: Held) -> None:
        if entry.data == "[DONE]":
            self._done = True
            if self.holding(_HOLD):
                self._complete()
            self.emit(entry)
            return
        chunk = obj(entry.payload)
        self._model = opt_str(chunk.get("model")) or self._model
        self._id = opt_str(chunk.get("id")) or self._id
        usage = obj(chunk.get("usage"))
        if usage:
            self._input_tokens = opt_int(usage.get("prompt_tokens"))
            self._output_tokens = opt_int(usage.get("completion_tokens"))
        carries_calls = False
        for choice in items(chunk.get("choices")):
            number = obj(choice).get("index")
            delta = obj(obj(choice).get("delta"))
            if string(delta.get("content")):
                self._texts.setdefault(number, []).append(delta["content"])
            for fragment in items(delta.get("tool_calls")):
                self._take_fragment(number, obj(fragment))
                carries_calls = True
            finish = opt_str(obj(choice).get("finish_reason"))
            if finish is not None:
                self._finish[number] = finish
                if number in self._open_choices:
                    carries_calls = True  # its finish_reason may need rewriting
                    self._open_choices.discard(number)
        if carries_calls:
            self.hold(_HOLD, entry)
            if not self._open_choices:
                self._complete()
        else:
            self.emit(entry)

    def snapshot(self) -> ParsedResponse:
        pending = [c.call() for c in self._calls.values()]
        return ParsedResponse(
            model=self._model,
            text="\n".join("".join(parts) for parts in self._texts.values()),
            tool_uses=(*self._decided, *pending),
            stop_reason=next(iter(self._finish.values()), None),
            input_tokens=self._input_tokens,
            output_tokens=self._output_tokens,
            truncated=not self._done and not self._finish,
            response_id=self._id,
        )

    def _take_fragment(self, choice: Any, fragment: Mapping[str, Any]) -> None:
        key = (choice, fragment.get("index"))
        current = self._calls.get(key)
        if current is None:
            current = self._calls[key] = _Call(choice, fragment.get("index"))
        self._open_choices.add(choice)
        current.call_id = call_id(fragment.get("id")) or current.call_id
        if fragment.get("type") == "custom" or "custom" in fragment:
            current.custom = True
            custom = obj(fragment.get("custom"))
            current.name = string(custom.get("name")) or current.name
            current.parts.append(string(custom.get("input")))
        else:
            function = obj(fragment.get("function"))
            current.name = string(function.get("name")) or current.name
            current.parts.append(string(function.get("arguments")))

    def _complete(self) -> None:
        """Every choice with calls has finished: decide them all, then release or rewrite."""
        calls, self._calls = self._calls, {}
        self._open_choices.clear()
        denied: dict[tuple[Any, Any], Denial] = {}
        for key, pending in calls.items():
            use = pending.call()
            self._decided.append(use)
            denial = self.decide(use)
            if denial is not None:
                denied[key] = denial
        if not denied:
            self.release(_HOLD)
            return
        self.replace(_HOLD, self._rewritten(calls, denied))

    def _rewritten(
        self, calls: dict[tuple[Any, Any], _Call], denied: dict[tuple[Any, Any], Denial]
    ) -> list[Held]:
        held = self.owned(_HOLD)
        first = obj(held[0].payload) if held else {}
        survivors: dict[Any, list[Any]] = {}
        for choice, index in sorted(calls, key=lambda k: (_order(k[0]), _order(k[1]))):
            if (choice, index) not in denied:
                survivors.setdefault(choice, []).append(index)
        renumber = {(c, i): n for c, indexes in survivors.items() for n, i in enumerate(indexes)}
        notes: dict[Any, list[str]] = {}
        for key, denial in denied.items():
            notes.setdefault(key[0], []).append(denial_text(calls[key].call(), denial))
        out = [
            self.render(
                None,
                {
                    **{k: first[k] for k in ("id", "object", "created", "model") if k in first},
                    "choices": [
                        {
                            "index": choice,
                            "delta": {"role": "assistant", "content": "\n".join(texts)},
                            "finish_reason": None,
                        }
                        for choice, texts in notes.items()
                    ],
                },
            )
        ]
        for entry in held:
            chunk = self._rewrite_chunk(obj(entry.payload), denied, renumber, set(survivors))
            if chunk is not None:
                out.append(self.render(entry.name, chunk))
        return out

    @staticmethod
    def _rewrite_chunk(
        chunk: Mapping[str, Any],
        denied: Mapping[tuple[Any, Any], Denial],
        renumber: Mapping[tuple[Any, Any], int],
        with_survivors: set[Any],
    ) -> dict[str, Any] | None:
        choices = []
        for raw_choice in items(chunk.get("choices")):
            choice = dict(obj(raw_choice))
            number = choice.get("index")
            delta = dict(obj(choice.get("delta")))
            if "tool_calls" in delta:
                kept = [
                    {**obj(f), "index": renumber[(number, obj(f).get("index"))]}
                    for f in items(delta["tool_calls"])
                    if (number, obj(f).get("index")) not in denied
                ]
                if kept:
                    delta["tool_calls"] = kept
                else:
                    del delta["tool_calls"]
            choice["delta"] = delta
            if choice.get("finish_reason") == "tool_calls" and number not in with_survivors:
                choice["finish_reason"] = "stop"
            if delta or choice.get("finish_reason") is not None:
                choices.append(choice)
        if not choices and not chunk.get("usage"):
            return None
        return {**chunk, "choices": choices}
