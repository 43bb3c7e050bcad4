"""The wire-format-independent view of one LLM or MCP exchange, and the contracts dialects meet.

Every dialect turns request and response bodies into these values; the pipeline never
looks at a provider's JSON. Streaming responses go through a StreamEditor, which forwards
bytes as they arrive and holds only the events of an in-progress tool call until the call
is complete and decided.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool the agent offers its model (or an MCP server lists)."""

    name: str
    description: str = ""
    input_schema: Mapping[str, Any] | None = None
    server: str | None = None


@dataclass(frozen=True, slots=True)
class ToolUse:
    """A tool call: ``arguments`` is the JSON text as sent, reassembled from stream fragments."""

    call_id: str
    name: str
    arguments: str
    server: str | None = None

    def parsed_arguments(self) -> Any:
        """The arguments as JSON values, or None when the text is not valid JSON."""
        try:
            return json.loads(self.arguments) if self.arguments else {}
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class ToolOutput:
    """What a tool returned, joined to its call by ``call_id``; content flattened to text."""

    call_id: str
    content: str
    is_error: bool = False
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """One entry of a conversation as the agent sent it."""

    index: int
    role: str  # "system" | "user" | "assistant" | "tool"
    location: str  # field path of the message in the body, e.g. "messages[12]"
    digest: str  # sha256 hex of the message's canonical JSON: identity for "what is new"
    text: str = ""  # the message's own text parts, joined
    tool_uses: tuple[ToolUse, ...] = ()
    tool_outputs: tuple[ToolOutput, ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    dialect: str
    model: str | None = None
    system: str | None = None
    messages: tuple[Message, ...] = ()
    tools: tuple[ToolSpec, ...] = ()
    stream: bool = False
    # Tool calls this request itself makes and that must be decided before it is forwarded
    # (MCP `tools/call`); LLM requests carry none.
    calls: tuple[ToolUse, ...] = ()
    session_hint: str | None = None  # a conversation id the body carries, if any
    rpc_method: str | None = None  # MCP JSON-RPC method
    continues: str | None = None  # the response this request continues (Responses previous_response_id)


@dataclass(frozen=True, slots=True)
class ParsedResponse:
    model: str | None = None
    text: str = ""
    tool_uses: tuple[ToolUse, ...] = ()
    stop_reason: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    tools: tuple[ToolSpec, ...] = ()  # MCP tools/list result
    tool_outputs: tuple[ToolOutput, ...] = ()  # MCP tools/call result
    truncated: bool = False  # the stream ended before the message was complete
    problems: tuple[str, ...] = field(default=())  # malformed parts skipped, for internal_error
    response_id: str | None = None  # the provider's id for this response, when it sends one


@dataclass(frozen=True, slots=True)
class Denial:
    """Replace a tool call with this explanation instead of letting the agent run it."""

    reason: str


ToolUseHook = Callable[[ToolUse], Denial | None]
"""Called once per complete tool call in a response; return a Denial to replace it."""


class StreamEditor(Protocol):
    """Handles one streamed response incrementally. Non-tool events pass through byte-identical
    and at once; a tool call's events are held until the call is complete, then forwarded
    unchanged (allowed) or replaced by a text explanation (denied)."""

    def feed(self, chunk: bytes) -> bytes:
        """SSE bytes as received (any split); returns the bytes to forward now."""
        ...

    def feed_message(self, text: str) -> list[str]:
        """One server WebSocket message; returns the messages to forward now (maybe none)."""
        ...

    def end(self) -> bytes:
        """End of stream: returns everything still held. A truncated tool call is forwarded
        raw, as received, and the response is marked truncated."""
        ...

    def response(self) -> ParsedResponse:
        """What the stream said so far (complete after ``end``)."""
        ...


class Dialect(Protocol):
    """One wire format. Parsers raise agentd.errors.ParseError with a clear message."""

    name: str

    def matches(self, method: str, host: str, path: str) -> bool: ...

    def parse_request(self, body: bytes) -> ParsedRequest: ...

    def parse_response(self, body: bytes) -> ParsedResponse: ...

    def stream_editor(self, on_tool_use: ToolUseHook) -> StreamEditor: ...

    def deny_in_response(self, body: bytes, denials: Mapping[str, Denial]) -> bytes:
        """A non-streamed response body with the denied calls (by call_id) replaced."""
        ...

    def deny_call(
        self, request_body: bytes, call: ToolUse, denial: Denial
    ) -> tuple[int, dict[str, str], bytes]:
        """For request-side calls (MCP tools/call): the (status, headers, body) to answer with."""
        ...
