"""One intercepted flow in a known dialect: the capture layer's FlowHandler.

It parses the request, streams or parses the response through the dialect, sends every
complete tool call to the Recorder (and so the Governor) exactly when the dialect has it
whole, and turns a blocking ruling into the dialect's replacement bytes.

An LLM request needs no decision before it is forwarded, so reading it (a megabyte of history
every turn) is deferred until just after the proxy has sent it upstream: the agent's time to
first token does not pay for it. It always completes before anything in the response is
ruled on, since a tool result in the request can change what the session may do next.
"""

import asyncio
from collections.abc import Callable

from agentd.capture.proxy.gate import FlowMeta, Reply, ResponseStream
from agentd.events import AgentRef
from agentd.normalize.dialects import mcp
from agentd.normalize.model import Denial, Dialect, ParsedRequest, ParsedResponse, StreamEditor, ToolUse
from agentd.pipeline.governor import CallSource
from agentd.pipeline.recorder import Recorder, Turn

ProblemReport = Callable[["Exchange", ParsedResponse], None]
FailureReport = Callable[["Exchange", BaseException, str], None]

# Requests that carry tool calls of their own (MCP `tools/call`) are decided before they are
# forwarded; a body without this marker cannot be one.
_REQUEST_SIDE_CALL_MARKERS = (b"tools/call",)


class Exchange:
    def __init__(
        self,
        meta: FlowMeta,
        dialect: Dialect,
        recorder: Recorder,
        *,
        on_problems: ProblemReport,
        on_failure: FailureReport,
        defer_requests: bool = True,
    ) -> None:
        self.meta = meta
        self.dialect = dialect
        self.recorder = recorder
        self.on_problems = on_problems
        self.on_failure = on_failure
        self.defer_requests = defer_requests
        self.agent = AgentRef()
        self.turn: Turn | None = None
        self.bytes_parsed = 0
        self._pending: bytes | None = None  # a request read after forwarding
        self._failed = False  # the request could not be read (reported once, then ignored)
        self._editor: StreamEditor | None = None  # the response being streamed (SSE or WebSocket)

    @property
    def session_id(self) -> str | None:
        return self.turn.session_id if self.turn else None

    # --- FlowHandler -----------------------------------------------------------------------

    def request(self, body: bytes, agent: AgentRef) -> Reply | None:
        self.agent = agent
        if not body:
            return None  # a GET: an SSE listen stream, or a WebSocket upgrade whose requests come as messages
        self.bytes_parsed += len(body)
        if self.defer_requests and not any(marker in body for marker in _REQUEST_SIDE_CALL_MARKERS):
            self._defer(body)
            return None
        return self._read_request(body)

    def response(self, status: int, content_type: str, body: bytes) -> bytes | None:
        turn = self._settled_turn()
        if turn is None:
            return None
        self.bytes_parsed += len(body)
        parsed = self._bound(self.dialect.parse_response(body))
        denials: dict[str, Denial] = {}
        for use in parsed.tool_uses:
            ruling = self.recorder.call(turn, use, CallSource.RESPONSE)
            # A call with a server ran at the provider already; only local calls can be stopped.
            if ruling.blocks and use.server is None:
                denials[use.call_id] = Denial(ruling.denial_text())
        self._finish(parsed)
        return self.dialect.deny_in_response(body, denials) if denials else None

    def stream(self, status: int, content_type: str) -> ResponseStream:
        editor = self._editor = self.dialect.stream_editor(self._on_tool_use)
        return _Stream(self, editor)

    def client_message(self, text: str) -> None:
        # On WebSocket transports each client message is a new request on the same socket.
        self._finish_editor()
        self._settled_turn()  # a previous request not read yet (no answer came in between)
        self.turn = None
        self._failed = False
        body = text.encode("utf-8", "surrogatepass")
        self.bytes_parsed += len(body)
        if self.defer_requests:
            self._defer(body)
        else:
            self._read_request(body)
        self._editor = self.dialect.stream_editor(self._on_tool_use)

    def server_message(self, text: str) -> list[str]:
        if self._editor is None:
            self._editor = self.dialect.stream_editor(self._on_tool_use)
        self.bytes_parsed += len(text)
        return self._editor.feed_message(text)

    def failed(self, reason: str) -> None:
        self._finish_editor()

    def closed(self) -> None:
        self._finish_editor()

    # --- the request ---------------------------------------------------------------------

    def _defer(self, body: bytes) -> None:
        self._pending = body
        asyncio.get_running_loop().call_soon(self._run_pending)

    def _run_pending(self) -> None:
        self._settled_turn()

    def _settled_turn(self) -> Turn | None:
        """The request's turn, reading a deferred request now if it has not been read yet;
        None when it could not be read (reported once)."""
        body, self._pending = self._pending, None
        if body is not None:
            try:
                self._read_request(body)
            except Exception as exc:
                self._failed = True
                self.on_failure(self, exc, "request")
        return None if self._failed else self.turn

    def _bound[P: (ParsedRequest, ParsedResponse)](self, parsed: P) -> P:
        # An HTTP MCP server names neither itself nor its tools' server in the body: the
        # endpoint's host is its identity (for the catalog, the inventory and new-server rules).
        return mcp.with_server(parsed, self.meta.host) if self.dialect.name == mcp.NAME else parsed

    def _read_request(self, body: bytes) -> Reply | None:
        parsed = self._bound(self.dialect.parse_request(body))
        turn = self.turn = self.recorder.begin(parsed, self.meta.headers, self.agent, self.meta.host)
        for call in parsed.calls:
            ruling = self.recorder.call(turn, call, CallSource.REQUEST)
            if ruling.blocks:
                status, headers, answer = self.dialect.deny_call(body, call, Denial(ruling.denial_text()))
                return Reply(status, answer, headers)
        return None

    # --- the response ----------------------------------------------------------------------

    def _on_tool_use(self, call: ToolUse) -> Denial | None:
        turn = self._settled_turn()
        if turn is None:
            return None
        ruling = self.recorder.call(turn, call, CallSource.RESPONSE)
        return Denial(ruling.denial_text()) if ruling.blocks else None

    def _finish_editor(self) -> None:
        editor, self._editor = self._editor, None
        if editor is not None:
            editor.end()
            self._finish(editor.response())

    def stream_ended(self, editor: StreamEditor) -> None:
        if self._editor is editor:
            self._editor = None
            self._finish(editor.response())

    def _finish(self, parsed: ParsedResponse) -> None:
        parsed = self._bound(parsed)
        turn = self._settled_turn()
        if turn is not None:
            self.recorder.response(turn, parsed)
        if parsed.problems or parsed.truncated:
            self.on_problems(self, parsed)


class _Stream:
    """An SSE response passing through the dialect's stream editor."""

    def __init__(self, exchange: Exchange, editor: StreamEditor) -> None:
        self.exchange = exchange
        self.editor = editor

    def feed(self, chunk: bytes) -> bytes:
        self.exchange.bytes_parsed += len(chunk)
        return self.editor.feed(chunk)

    def end(self) -> bytes:
        out = self.editor.end()
        self.exchange.stream_ended(self.editor)
        return out
