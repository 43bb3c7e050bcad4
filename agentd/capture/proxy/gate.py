"""The contract between the proxy addon and whatever understands the traffic (the pipeline).

The addon speaks HTTP and WebSocket and knows nothing of dialects or policy: for each flow on
an intercepted host it asks the Gate for a FlowHandler, hands it decoded bodies and streamed
bytes, and applies what comes back (a Reply instead of upstream, a replacement body, edited
stream bytes). Handlers may raise anything; the addon then fails open and reports it.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from agentd.events import AgentRef


@dataclass(frozen=True, slots=True)
class FlowMeta:
    """What is known about a flow when its request headers arrive."""

    flow_id: str
    method: str
    scheme: str
    host: str
    port: int
    path: str
    headers: Mapping[str, str]  # lower-case names; repeated headers joined with ", "
    websocket: bool = False  # the request asks for a WebSocket upgrade

    @property
    def user_agent(self) -> str | None:
        return self.headers.get("user-agent")


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer the proxy gives itself instead of forwarding the request upstream."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


class ResponseStream(Protocol):
    """A streamed response body (SSE) passing through: bytes in, bytes to forward out."""

    def feed(self, chunk: bytes) -> bytes: ...

    def end(self) -> bytes:
        """The upstream finished the body: whatever is still held."""
        ...


class FlowHandler(Protocol):
    """Handles one HTTP flow (and, after an upgrade, its WebSocket messages)."""

    def request(self, body: bytes, agent: AgentRef) -> Reply | None:
        """The complete request body, content-decoded; a Reply answers it without upstream."""
        ...

    def response(self, status: int, content_type: str, body: bytes) -> bytes | None:
        """A complete, buffered response body (JSON); returns a replacement body or None."""
        ...

    def stream(self, status: int, content_type: str) -> ResponseStream:
        """The response is streamed (SSE): the stream its bytes pass through."""
        ...

    def client_message(self, text: str) -> None:
        """A text WebSocket message from the agent (a request on WebSocket transports)."""
        ...

    def server_message(self, text: str) -> list[str]:
        """A text WebSocket message from upstream; returns the messages to forward now."""
        ...

    def failed(self, reason: str) -> None:
        """The flow ended without a complete response (upstream error, disconnect)."""
        ...

    def closed(self) -> None:
        """The flow is over (response delivered or WebSocket closed); release state."""
        ...


class Gate(Protocol):
    def open(self, meta: FlowMeta) -> FlowHandler | None:
        """A handler for a flow agentd understands, or None to let it pass untouched."""
        ...

    def report(self, error: BaseException, where: str, meta: FlowMeta | None, agent: AgentRef) -> None:
        """Record that agentd's handling failed (the traffic itself went on unchanged)."""
        ...

    def statistics(self) -> Mapping[str, Any]:
        """A cheap JSON-ready snapshot, shown under the proxy's status."""
        ...
