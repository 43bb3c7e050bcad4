"""The Gate the proxy addon calls: picks the dialect of a flow, opens an Exchange for it, and
records agentd's own failures as ``internal_error`` events (the traffic went on unchanged).
"""

import logging
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from agentd.capture.proxy.gate import FlowMeta
from agentd.clock import Clock
from agentd.errors import AgentdError
from agentd.events import AgentRef, EventSink, InternalError, Severity, Source, Stamper
from agentd.normalize.model import Dialect, ParsedResponse
from agentd.pipeline.exchange import Exchange
from agentd.pipeline.recorder import Recorder

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 500


def flow_context(meta: FlowMeta) -> str:
    """Method, host and path of a flow, without the query (it may carry an API key)."""
    return f"{meta.method} {meta.host}:{meta.port}{meta.path.partition('?')[0]}"


def _clip(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 3] + "..."


def safe_message(error: BaseException) -> str:
    """What an event may say about an error: agentd's own messages (written to carry no
    captured content), otherwise only that something unexpected happened."""
    if isinstance(error, AgentdError):
        return _clip(str(error))
    return "unexpected failure while handling the flow (see the daemon log)"


class ProxyPipeline:
    def __init__(
        self,
        *,
        dialects: Sequence[Dialect],
        recorder: Recorder,
        sink: EventSink,
        stamp: Stamper,
        clock: Clock,
        defer_requests: bool = True,
    ) -> None:
        self.dialects = tuple(dialects)
        self.defer_requests = defer_requests
        self.recorder = recorder
        self.sink = sink
        self.stamp = stamp
        self.clock = clock
        self.opened = 0
        self.internal_errors = 0
        self._exchanges: weakref.WeakValueDictionary[str, Exchange] = weakref.WeakValueDictionary()

    def open(self, meta: FlowMeta) -> Exchange | None:
        dialect = next((d for d in self.dialects if d.matches(meta.method, meta.host, meta.path)), None)
        if dialect is None:
            return None
        self.opened += 1
        exchange = Exchange(
            meta,
            dialect,
            self.recorder,
            on_problems=self._problems,
            on_failure=self._failure,
            defer_requests=self.defer_requests,
        )
        self._exchanges[meta.flow_id] = exchange
        return exchange

    def report(self, error: BaseException, where: str, meta: FlowMeta | None, agent: AgentRef) -> None:
        if not isinstance(error, AgentdError):
            log.error("proxy flow handling failed", exc_info=error, extra={"where": where})
        exchange = self._exchanges.get(meta.flow_id) if meta is not None else None
        self._internal_error(
            component=f"proxy.{where}",
            error=type(error).__name__,
            message=safe_message(error),
            context=flow_context(meta) if meta is not None else None,
            session_id=exchange.session_id if exchange is not None else None,
            agent=exchange.agent if exchange is not None and exchange.turn is not None else agent,
        )

    def _failure(self, exchange: Exchange, error: BaseException, where: str) -> None:
        self.report(error, where, exchange.meta, exchange.agent)

    def _problems(self, exchange: Exchange, parsed: ParsedResponse) -> None:
        problems = list(parsed.problems)
        if parsed.truncated:
            problems.append("the response ended before it was complete")
        message = "; ".join(problems)
        self._internal_error(
            component=f"dialect.{exchange.dialect.name}",
            error="ParseError" if parsed.problems else "Truncated",
            message=_clip(message),
            context=flow_context(exchange.meta),
            session_id=exchange.session_id,
            agent=exchange.agent,
        )

    def _internal_error(
        self,
        *,
        component: str,
        error: str,
        message: str,
        context: str | None,
        session_id: str | None,
        agent: AgentRef,
    ) -> None:
        self.internal_errors += 1
        self.sink.emit(
            self.stamp(
                InternalError,
                self.clock.now(),
                severity=Severity.MEDIUM,
                session_id=session_id,
                agent=agent,
                source=Source.PROXY,
                component=component,
                error=error,
                message=message,
                context=context,
            )
        )

    def statistics(self) -> Mapping[str, Any]:
        stats = self.recorder.stats
        return {
            "exchanges": self.opened,
            "requests": stats.requests,
            "new_messages": stats.new_messages,
            "events": stats.events,
            "findings": stats.findings,
            "internal_errors": self.internal_errors,
            "chars_scanned": self.recorder.inspector.chars_scanned,
        }
