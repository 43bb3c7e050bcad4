"""Gemini generateContent / streamGenerateContent, plain (Gemini API, Vertex) and wrapped by
Code Assist (`{"model", "project", "request": {...}}` / `{"response": {...}}`, what Gemini CLI
sends when signed in with Google). A `functionCall` part always arrives whole, so a stream
chunk is decided as it arrives and a denied call's part becomes a text part in that chunk.

Gemini API calls often carry no id: the call then gets a stable id from its name and
arguments, and a `functionResponse` without id joins the oldest unanswered call of its name.
"""

import hashlib
from collections.abc import Mapping
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

NAME = "gemini"
SERVER_SIDE = "google"  # ToolSpec.server of tools Google itself runs (search, code execution)
_ROLES = {"model": "assistant", "function": "tool"}


class Gemini:
    name = NAME

    def matches(self, method: str, host: str, path: str) -> bool:
        route = path.partition("?")[0]
        return method.upper() == "POST" and route.endswith((":generateContent", ":streamGenerateContent"))

    def parse_request(self, body: bytes) -> ParsedRequest:
        doc = parse_object(body, "gemini request")
        wrapped = isinstance(doc.get("request"), dict)
        inner = obj(doc.get("request")) if wrapped else doc
        prefix = "request." if wrapped else ""
        contents = inner.get("contents")
        if not isinstance(contents, list):
            raise ParseError(f"gemini request: `{prefix}contents` is missing or not a list")
        pending: dict[str, list[str]] = {}
        messages = tuple(_content_message(i, c, prefix, pending) for i, c in enumerate(contents))
        return ParsedRequest(
            dialect=NAME,
            model=opt_str(doc.get("model")) or opt_str(inner.get("model")),
            system=_system_text(inner.get("systemInstruction") or inner.get("system_instruction")),
            messages=messages,
            tools=tuple(spec for tool in items(inner.get("tools")) for spec in _tool_specs(obj(tool))),
            session_hint=opt_str(inner.get("session_id")) or opt_str(doc.get("session_id")),
        )

    def parse_response(self, body: bytes) -> ParsedResponse:
        if looks_like_sse(body):
            return replay(self.stream_editor(_allow), body)[1]
        value = jsonvalue.parse(body, "gemini response")
        # Without alt=sse, streamGenerateContent answers with one JSON array of chunks.
        chunks = value if isinstance(value, list) else [value]
        if not all(isinstance(c, dict) for c in chunks):
            raise ParseError("gemini response: expected a JSON object or an array of objects")
        summary = _Summary()
        for chunk in chunks:
            if "error" in chunk and "candidates" not in chunk:
                return ParsedResponse(
                    stop_reason="error", text=string(obj(chunk.get("error")).get("message"))
                )
            summary.take(_unwrap(chunk))
        return summary.parsed(truncated=False)

    def stream_editor(self, on_tool_use: ToolUseHook) -> "GeminiStreamEditor":
        return GeminiStreamEditor(on_tool_use)

    def deny_in_response(self, body: bytes, denials: Mapping[str, Denial]) -> bytes:
        if looks_like_sse(body):
            return replay(self.stream_editor(lambda call: denials.get(call.call_id)), body)[0]
        value = jsonvalue.parse(body, "gemini response")
        chunks = value if isinstance(value, list) else [value]
        changed = False
        for chunk in chunks:
            changed = _deny_parts(_unwrap(obj(chunk)), lambda call: denials.get(call.call_id)) or changed
        return jsonvalue.compact(value).encode() if changed else body

    def deny_call(
        self, request_body: bytes, call: ToolUse, denial: Denial
    ) -> tuple[int, dict[str, str], bytes]:
        error = {"code": 403, "message": request_denial_text(denial.reason), "status": "PERMISSION_DENIED"}
        return 403, {"content-type": "application/json"}, jsonvalue.compact({"error": error}).encode()


def model_from_path(path: str) -> str | None:
    """The model a plain Gemini request names in its URL (`.../models/{model}:generateContent`)."""
    route = path.partition("?")[0]
    head, sep, _ = route.rpartition(":")
    if not sep or "/models/" not in head:
        return None
    return head.rsplit("/models/", 1)[1] or None


def _allow(call: ToolUse) -> None:
    return None


def _unwrap(chunk: Mapping[str, Any]) -> Mapping[str, Any]:
    """The GenerateContentResponse inside a Code Assist `{"response": ...}` wrapper, or itself."""
    inner = chunk.get("response")
    return inner if isinstance(inner, dict) and "candidates" not in chunk else chunk


def _system_text(instruction: Any) -> str | None:
    if isinstance(instruction, str):
        return instruction
    if isinstance(instruction, dict):
        return "\n".join(string(obj(p).get("text")) for p in items(instruction.get("parts")))
    return None


def _tool_specs(tool: Mapping[str, Any]) -> list[ToolSpec]:
    declarations = tool.get("functionDeclarations", tool.get("function_declarations"))
    if declarations is None:
        return [ToolSpec(name=key, server=SERVER_SIDE) for key in tool]  # googleSearch, codeExecution, ...
    specs = []
    for declaration in items(declarations):
        d = obj(declaration)
        schema = d.get("parametersJsonSchema", d.get("parameters"))
        specs.append(
            ToolSpec(
                name=string(d.get("name")),
                description=string(d.get("description")),
                input_schema=schema if isinstance(schema, dict) else None,
            )
        )
    return specs


def _call(function_call: Mapping[str, Any]) -> ToolUse:
    name = string(function_call.get("name"))
    arguments = arguments_text(function_call.get("args"))
    ref = call_id(function_call.get("id"))
    if not ref:
        h = hashlib.sha256(name.encode("utf-8", "surrogatepass") + b"\0")
        h.update(jsonvalue.canonical(function_call.get("args")))
        ref = "gemini-" + h.hexdigest()[:24]
    return ToolUse(ref, name, arguments)


def _response_text(response: Any) -> tuple[str, bool]:
    """A functionResponse's `response` as text, and whether it reports an error."""
    if isinstance(response, dict):
        if isinstance(response.get("output"), str) and len(response) == 1:
            return response["output"], False
        if "error" in response and "output" not in response:
            error = response["error"]
            return (error if isinstance(error, str) else arguments_text(error)), True
    return arguments_text(response), False


def _content_message(index: int, raw: Any, prefix: str, pending: dict[str, list[str]]) -> Message:
    if not isinstance(raw, dict):
        raise ParseError(f"gemini request: {prefix}contents[{index}] is not an object")
    role = string(raw.get("role")) or "user"
    texts: list[str] = []
    uses: list[ToolUse] = []
    outputs: list[ToolOutput] = []
    for part in items(raw.get("parts")):
        part = obj(part)
        if isinstance(part.get("text"), str) and not part.get("thought"):
            texts.append(part["text"])
        elif isinstance(part.get("functionCall"), dict):
            use = _call(part["functionCall"])
            pending.setdefault(use.name, []).append(use.call_id)
            uses.append(use)
        elif isinstance(part.get("functionResponse"), dict):
            response = part["functionResponse"]
            name = string(response.get("name"))
            ref = call_id(response.get("id"))
            waiting = pending.get(name, [])
            if ref in waiting:
                waiting.remove(ref)
            elif not ref and waiting:
                ref = waiting.pop(0)
            content, failed = _response_text(response.get("response"))
            outputs.append(ToolOutput(ref, content, failed, name or None))
    return Message(
        index=index,
        role=_ROLES.get(role, role),
        location=f"{prefix}contents[{index}]",
        digest=jsonvalue.digest(raw),
        text="\n".join(texts),
        tool_uses=tuple(uses),
        tool_outputs=tuple(outputs),
    )


def _deny_parts(response: Mapping[str, Any], decide: ToolUseHook) -> bool:
    """Replace the denied `functionCall` parts of one response chunk by text parts, in place."""
    changed = False
    for candidate in items(response.get("candidates")):
        for position, part in enumerate(parts := items(obj(obj(candidate).get("content")).get("parts"))):
            function_call = obj(part).get("functionCall")
            if not isinstance(function_call, dict):
                continue
            use = _call(function_call)
            denial = decide(use)
            if denial is not None:
                parts[position] = {"text": denial_text(use, denial)}
                changed = True
    return changed


class _Summary:
    """What a sequence of response chunks said."""

    def __init__(self) -> None:
        self.model: str | None = None
        self.response_id: str | None = None
        self.texts: list[str] = []
        self.calls: list[ToolUse] = []
        self.finish: str | None = None
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None

    def take(self, response: Mapping[str, Any]) -> list[ToolUse]:
        """Add one chunk; return the calls it made."""
        self.model = opt_str(response.get("modelVersion")) or self.model
        self.response_id = opt_str(response.get("responseId")) or self.response_id
        usage = obj(response.get("usageMetadata"))
        if usage:
            self.input_tokens = opt_int(usage.get("promptTokenCount"))
            self.output_tokens = opt_int(usage.get("candidatesTokenCount"))
        calls = []
        for candidate in items(response.get("candidates")):
            candidate = obj(candidate)
            for part in items(obj(candidate.get("content")).get("parts")):
                part = obj(part)
                if isinstance(part.get("text"), str) and not part.get("thought"):
                    self.texts.append(part["text"])
                elif isinstance(part.get("functionCall"), dict):
                    calls.append(_call(part["functionCall"]))
            self.finish = opt_str(candidate.get("finishReason")) or self.finish
        self.calls += calls
        return calls

    def parsed(self, *, truncated: bool) -> ParsedResponse:
        return ParsedResponse(
            model=self.model,
            text="".join(self.texts),
            tool_uses=tuple(self.calls),
            stop_reason=self.finish,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            truncated=truncated,
            response_id=self.response_id,
        )


class GeminiStreamEditor(EventStreamEditor):
    """Nothing is ever held: each chunk is forwarded, or rewritten if it carries a denied call."""

    def __init__(self, on_tool_use: ToolUseHook, **limits: int) -> None:
        super().__init__(on_tool_use, **limits)
        self._summary = _Summary()

    def handle(self, entry: Held) -> None:
        chunk = obj(entry.payload)
        response = _unwrap(chunk)
        calls = self._summary.take(response)
        if not calls:
            self.emit(entry)
            return
        denials = {call.call_id: self.decide(call) for call in calls}
        if not any(denials.values()):
            self.emit(entry)
            return
        rewritten = jsonvalue.parse(jsonvalue.compact(chunk), "gemini chunk")  # a copy to edit
        _deny_parts(_unwrap(rewritten), lambda call: denials.get(call.call_id))
        self.emit(self.render(entry.name, rewritten))

    def snapshot(self) -> ParsedResponse:
        return self._summary.parsed(truncated=self._summary.finish is None)
