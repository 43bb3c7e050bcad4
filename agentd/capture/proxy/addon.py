"""The mitmproxy addon: hands intercepted LLM / MCP flows to the Gate and applies its answers.

It holds no policy and no dialect logic. Everything it does for a flow is guarded: any
exception in agentd's handling leaves the agent's traffic byte-identical, is reported through
the Gate (an ``internal_error`` event), and the flow passes through untouched from then on.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mitmproxy import connection, http

from agentd.capture import processes
from agentd.capture.proxy import bodies
from agentd.capture.proxy.gate import FlowHandler, FlowMeta, Gate
from agentd.capture.proxy.hosts import HostMatcher
from agentd.capture.proxy.passthrough import GuardedMessages, GuardedStream
from agentd.errors import ParseError
from agentd.events import AgentRef

log = logging.getLogger(__name__)

_METADATA_KEY = "agentd"
_JSON_TYPES = ("application/json", "application/x-ndjson")
_SSE_TYPE = "text/event-stream"


class UnexpectedResponse(ParseError):
    """A response agentd cannot inspect (content type, encoding); it was passed through."""


@dataclass
class _FlowState:
    meta: FlowMeta
    handler: FlowHandler | None
    agent: "asyncio.Future[AgentRef] | None" = None
    streamed: bool = False
    guard: GuardedStream | None = field(default=None, repr=False)
    messages: GuardedMessages | None = field(default=None, repr=False)  # upstream's WebSocket side
    injections: int = 0  # messages we injected that mitmproxy has not sent yet


@dataclass
class AddonStatistics:
    flows: int = 0  # HTTP flows on in-scope hosts
    handled: int = 0  # flows a dialect understood
    websocket_messages: int = 0
    errors: int = 0  # failures agentd reported (traffic unaffected)


def _content_type(message: http.Message) -> str:
    value: str = message.headers.get("content-type", "")
    return value.split(";", 1)[0].strip().lower()


def _headers(message: http.Message) -> dict[str, str]:
    merged: dict[str, str] = {}
    fields: Any = message.headers  # mitmproxy's Headers.items(multi=...) is untyped
    for name, value in fields.items(multi=True):
        key = name.lower()
        merged[key] = f"{merged[key]}, {value}" if key in merged else value
    return merged


class CaptureAddon:
    """Registered with mitmproxy's addon manager; one instance per proxy server."""

    def __init__(
        self,
        gate: Gate,
        matcher: HostMatcher,
        *,
        max_body_bytes: int,
        listen_port: Callable[[], int | None],
        attribute_peers: bool = True,
    ) -> None:
        self.gate = gate
        self.matcher = matcher
        self.max_body_bytes = max_body_bytes
        self.listen_port = listen_port
        self.attribute_peers = attribute_peers
        self.stats = AddonStatistics()
        self._agents: dict[str, asyncio.Future[AgentRef]] = {}

    # --- mitmproxy hooks -----------------------------------------------------------------

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        request = flow.request
        if not self.matcher.matches(request.host, request.port):
            return
        self.stats.flows += 1
        meta = FlowMeta(
            flow_id=flow.id,
            method=request.method,
            scheme=request.scheme,
            host=request.host,
            port=request.port,
            path=request.path,
            headers=_headers(request),
            websocket=request.headers.get("upgrade", "").lower() == "websocket",
        )
        state = _FlowState(meta=meta, handler=None)
        flow.metadata[_METADATA_KEY] = state
        try:
            state.handler = self.gate.open(meta)
        except Exception as exc:
            self._fail(state, exc, "open")
        if state.handler is None:
            # Not ours to read: stream both ways so nothing (HTTP/2 bidi included) waits on us.
            request.stream = True
            return
        self.stats.handled += 1
        state.agent = self._agent_for(flow.client_conn, meta.user_agent)
        # Streamed bodies reach us as sent: ask for identity so we can read them.
        request.anticomp()
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body_bytes:
            self._fail(state, bodies.BodyTooLarge(f"request body of {length} bytes not inspected"), "request")
            request.stream = True

    async def request(self, flow: http.HTTPFlow) -> None:
        state = self._state(flow)
        if state is None or state.handler is None or flow.request.stream:
            return
        agent = await self._await_agent(state)
        try:
            body = bodies.decode(
                flow.request.raw_content or b"",
                flow.request.headers.get("content-encoding", ""),
                self.max_body_bytes,
            )
            reply = state.handler.request(body, agent)
        except Exception as exc:
            self._fail(state, exc, "request")
            return
        if reply is not None:
            flow.response = http.Response.make(reply.status, reply.body, dict(reply.headers))
            state.handler = None  # answered locally: nothing upstream to read

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        state = self._state(flow)
        response = flow.response
        if state is None or response is None:
            return
        if state.handler is None:
            response.stream = True
            return
        status = response.status_code
        if status == 101:
            return  # a WebSocket upgrade: messages follow
        content_type = _content_type(response)
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        try:
            if not 200 <= status < 300:
                # Error answers are the provider's, not a turn: pass them on unread.
                state.handler.failed(f"upstream answered {status}")
                self._release(state)
                response.stream = True
            elif content_type == _SSE_TYPE:
                if encoding not in ("", "identity"):
                    raise UnexpectedResponse(f"event stream with content-encoding {encoding!r} not inspected")
                meta, handler = state.meta, state.handler
                guard = GuardedStream(
                    handler.stream(status, content_type),
                    on_error=lambda exc: self._fail_stream(state, meta, exc),
                    max_held=self.max_body_bytes,
                )
                state.guard = guard
                state.streamed = True
                response.stream = guard
            elif content_type in _JSON_TYPES or content_type.endswith("+json"):
                length = response.headers.get("content-length", "")
                if length.isdigit() and int(length) > self.max_body_bytes:
                    raise bodies.BodyTooLarge(f"response body of {length} bytes not inspected")
            elif status in (202, 204) or response.headers.get("content-length") == "0":
                pass  # nothing to read (MCP notifications, for example)
            else:
                raise UnexpectedResponse(f"response content type {content_type or 'none'!r} not inspected")
        except Exception as exc:
            self._fail(state, exc, "responseheaders")
            response.stream = True

    def response(self, flow: http.HTTPFlow) -> None:
        state = self._state(flow)
        response = flow.response
        if state is None or response is None or state.handler is None:
            return
        if (
            not state.streamed
            and not response.stream
            and response.status_code != 101
            and response.raw_content
        ):
            try:
                body = bodies.decode(
                    response.raw_content or b"",
                    response.headers.get("content-encoding", ""),
                    self.max_body_bytes,
                )
                replacement = state.handler.response(response.status_code, _content_type(response), body)
            except Exception as exc:
                self._fail(state, exc, "response")
                return
            if replacement is not None:
                response.content = replacement
        if flow.websocket is None:
            self._release(state)

    def error(self, flow: http.HTTPFlow) -> None:
        state = self._state(flow)
        if state is None or state.handler is None:
            return
        reason = flow.error.msg if flow.error else "flow failed"
        self._call(state, "error", lambda h: h.failed(reason))
        self._release(state)

    def websocket_message(self, flow: http.HTTPFlow) -> None:
        state = self._state(flow)
        if state is None or flow.websocket is None:
            return
        message = flow.websocket.messages[-1]
        if message.injected:
            if not message.from_client and state.injections:
                state.injections -= 1  # one of ours, on its way out in order
            return
        if state.handler is None and state.messages is None and not state.injections:
            return
        self.stats.websocket_messages += 1
        if message.from_client:
            if not message.is_text:
                self._fail(state, UnexpectedResponse("binary WebSocket message not inspected"), "websocket")
            else:
                text = message.text
                self._call(state, "websocket", lambda h: h.client_message(text))
            return
        original: str | bytes = message.text if message.is_text else message.content
        forward: list[str | bytes]
        if state.messages is None and state.handler is not None:
            handler, meta = state.handler, state.meta
            state.messages = GuardedMessages(
                handler.server_message, on_error=lambda exc: self._fail_stream(state, meta, exc)
            )
        if state.messages is None or state.messages.failed:
            forward = [original]
        elif isinstance(original, bytes):
            forward = [*state.messages.abort(), original]
            self._fail(state, UnexpectedResponse("binary WebSocket message not inspected"), "websocket")
        else:
            forward = list(state.messages(original))
        if not state.injections and forward == [original]:
            return
        # Held, replaced or released messages, or anything behind ones we injected: send what
        # the handler says through mitmproxy's injection queue, which keeps their order.
        message.dropped = True
        for item in forward:
            self._inject(flow, item)
            state.injections += 1

    def websocket_end(self, flow: http.HTTPFlow) -> None:
        state = self._state(flow)
        if state is not None and state.handler is not None:
            self._release(state)

    def client_disconnected(self, client: connection.Client) -> None:
        future = self._agents.pop(client.id, None)
        if future is not None and not future.done():
            future.cancel()

    # --- helpers -------------------------------------------------------------------------

    def _state(self, flow: http.HTTPFlow) -> _FlowState | None:
        state = flow.metadata.get(_METADATA_KEY)
        return state if isinstance(state, _FlowState) else None

    def _call(self, state: _FlowState, where: str, call: Callable[[FlowHandler], Any]) -> Any:
        handler = state.handler
        if handler is None:
            return None
        try:
            return call(handler)
        except Exception as exc:
            self._fail(state, exc, where)
            return None

    def _release(self, state: _FlowState) -> None:
        handler, state.handler = state.handler, None
        if handler is not None:
            try:
                handler.closed()
            except Exception as exc:
                self._fail(state, exc, "closed")

    def _fail(self, state: _FlowState, exc: BaseException, where: str) -> None:
        """Stop handling the flow (it passes through from here) and report why."""
        state.handler = None
        self._report(exc, where, state.meta, self._known_agent(state))

    def _fail_stream(self, state: _FlowState, meta: FlowMeta, exc: BaseException) -> None:
        # The guard already forwarded the untouched bytes; closing releases pipeline state.
        self._report(exc, "stream", meta, self._known_agent(state))
        self._release(state)

    def _report(self, exc: BaseException, where: str, meta: FlowMeta | None, agent: AgentRef) -> None:
        self.stats.errors += 1
        try:
            self.gate.report(exc, where, meta, agent)
        except Exception:
            log.exception("reporting an internal error failed", extra={"where": where})

    def _inject(self, flow: http.HTTPFlow, item: str | bytes) -> None:
        from mitmproxy import ctx

        is_text = isinstance(item, str)
        content = item.encode() if isinstance(item, str) else item
        ctx.master.commands.call("inject.websocket", flow, True, content, is_text)

    def _known_agent(self, state: _FlowState) -> AgentRef:
        future = state.agent
        if future is not None and future.done() and not future.cancelled() and future.exception() is None:
            return future.result()
        return AgentRef(kind=processes.classify_user_agent(state.meta.user_agent))

    def _agent_for(self, client: connection.Client, user_agent: str | None) -> "asyncio.Future[AgentRef]":
        """The agent behind a client connection, looked up once per connection off the loop."""
        future = self._agents.get(client.id)
        if future is None or future.cancelled():
            peer_port = int(client.peername[1])
            future = asyncio.ensure_future(asyncio.to_thread(self._attribute, peer_port, user_agent))
            self._agents[client.id] = future
        return future

    def _attribute(self, peer_port: int, user_agent: str | None) -> AgentRef:
        pid = None
        listen_port = self.listen_port()
        if self.attribute_peers and listen_port is not None:
            pid = processes.owner_of_connection(peer_port, listen_port)
        return processes.attribute(pid, user_agent)

    async def _await_agent(self, state: _FlowState) -> AgentRef:
        future = state.agent
        if future is not None:
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                if not future.cancelled():
                    raise  # we are being cancelled, not the lookup
            except Exception:
                log.debug("process attribution failed", exc_info=True)
        return self._known_agent(state)
