"""The decide layer plugged into the daemon: the pipeline's policy seam and the hook service
over one Governor and one session table, kept in the state store across restarts.

``PolicyGovernor`` is also the daemon component ``policy``: its statistics are the ``policy``
block of `agentd status`, and it answers the control ops ``hook``, ``approvals``, ``approve``
and ``deny``.
"""

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from agentd.capture.hooks.backlog import BACKLOG_NAME
from agentd.capture.hooks.service import HookEnvironment, HookService
from agentd.clock import Clock
from agentd.config import FailMode, Settings
from agentd.decide.engine import PolicyEngine, PolicySource
from agentd.decide.governor import CallRequest, Governor, GovernorSettings
from agentd.decide.state import SessionTable
from agentd.detect.scanner import Scanner
from agentd.events import (
    AgentRef,
    CaptureLevel,
    Decision,
    EnforcementPoint,
    Event,
    EventSink,
    InternalError,
    Outcome,
    Severity,
    Source,
    Stamper,
)
from agentd.normalize.model import ToolSpec
from agentd.pipeline.governor import CallContext, Content, ContentKind, Ruling
from agentd.record.inventory import Inventory
from agentd.record.statestore import StateStore

log = logging.getLogger(__name__)

SESSIONS = "policy.sessions"  # state store namespace: one SessionState per session id
GOVERNOR = "policy"  # ... and the host-wide part: tool pins, servers used, approvals, alert groups
SNAPSHOT_KEY = "governor"

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


class _Ops(dict[str, Handler]):
    """Collects control ops the way the control server registers them."""

    def register(self, op: str, handler: Handler) -> None:
        self[op] = handler


class PolicyGovernor:
    """Adapts ``decide.Governor`` to the pipeline's Governor protocol and serves its hooks."""

    name = "policy"

    def __init__(
        self,
        governor: Governor,
        store: StateStore,
        *,
        sink: EventSink,
        stamp: Stamper,
        clock: Clock,
        scanner: Scanner | None = None,
        level: CaptureLevel = CaptureLevel.REDACTED,
        fail_closed: bool = False,
        inventory: Inventory | None = None,
        backlog_path: Path | None = None,
    ) -> None:
        self.governor = governor
        self.store = store
        self.stamp = stamp
        self.clock = clock
        self.fail_closed = fail_closed
        self.inventory = inventory
        self.failures = 0
        self.sessions = SessionTable(
            load=lambda sid: store.get(SESSIONS, sid),
            save=lambda sid, data: store.put(SESSIONS, sid, data),
        )
        snapshot = store.get(GOVERNOR, SNAPSHOT_KEY)
        if isinstance(snapshot, Mapping):
            governor.restore(snapshot)
        self.hooks = HookService(
            HookEnvironment(governor, self.sessions, stamp, scanner, level, fail_closed),
            sink,
            clock.now,
            backlog_path=backlog_path,
            persist=self.persist,
        )

    # --- the pipeline's policy seam ----------------------------------------------------------

    def rule(self, context: CallContext) -> Ruling:
        try:
            return self._rule(context)
        except Exception as exc:  # a decide bug must not stop traffic: fail mode answers
            log.exception("policy evaluation failed", extra={"tool": context.call.name})
            return self._failed(context, exc)

    def _rule(self, context: CallContext) -> Ruling:
        call = context.call
        state = self.sessions.get(context.session_id, str(context.agent.kind))
        request = CallRequest(
            session_id=context.session_id,
            tool=call.name,
            arguments=call.arguments,
            call_id=call.call_id,
            server=call.server,
            agent=context.agent,
            point=EnforcementPoint.NETWORK,
            findings=context.findings,
            evidence=(context.event_id,) if context.event_id else (),
        )
        verdict = self.governor.evaluate(state, request, context.now)
        self.sessions.save(state)
        if verdict.approval is not None or verdict.tool.server is not None:
            self.persist()  # a new approval request, or a server / tool definition now in use
        return Ruling(
            decision=verdict.decision,
            risk=verdict.risk,
            message=verdict.message if verdict.blocked else None,
            events=verdict.events,
        )

    def _failed(self, context: CallContext, exc: Exception) -> Ruling:
        self.failures += 1
        event = self.stamp(
            InternalError,
            context.now,
            severity=Severity.MEDIUM,
            session_id=context.session_id,
            agent=context.agent,
            source=Source.PROXY,
            component="policy",
            error=type(exc).__name__,
            message="policy evaluation failed; fail_mode " + ("closed" if self.fail_closed else "open"),
            context=context.call.name[:200],
        )
        if not self.fail_closed:
            return Ruling(events=(event,))
        reason = "agentd could not decide this call and fails closed"
        decision = Decision(
            outcome=Outcome.DENY, reasons=(reason,), enforced=True, point=EnforcementPoint.NETWORK
        )
        return Ruling(decision=decision, message=f"agentd denied this call: {reason}.", events=(event,))

    def observe(self, event: Event) -> None:
        return None  # session state comes from raw content (observe_content), not rendered events

    def observe_content(self, content: Content) -> None:
        try:
            state = self.sessions.get(content.session_id, str(content.agent.kind))
            if content.kind is ContentKind.PROMPT:
                self.governor.observe_prompt(state, content.text, content.findings)
            else:
                self.governor.observe_result(state, content.call_id, content.text, content.findings)
            self.sessions.save(state)
        except Exception:
            log.exception("session state update failed")

    def observe_tools(
        self, session_id: str, agent: AgentRef, specs: Sequence[ToolSpec], now: datetime
    ) -> Sequence[Event]:
        """The governor pins definitions for policy (a changed MCP tool needs approval); the
        host inventory, when there is one, reports the changes as events, so each change is
        reported once."""
        try:
            changes: Sequence[Event] = self.governor.observe_tools(
                specs, now, session_id=session_id, agent=agent
            )
            if self.inventory is not None:
                changes = self.inventory.observe_tools(agent.kind, None, specs, now)
            self.persist()
            return changes
        except Exception:
            log.exception("tool inventory update failed")
            return ()

    # --- policy bundles ------------------------------------------------------------------------

    def install(self, version: str, policies: Mapping[str, str]) -> None:
        """Put a verified bundle's Cedar files in force; PolicyError (nothing changes) when
        they do not validate against agentd's schema."""
        sources = tuple(PolicySource(name, text) for name, text in sorted(policies.items()))
        self.governor.engine = PolicyEngine(sources, version=version)

    # --- component ------------------------------------------------------------------------------

    def persist(self) -> None:
        self.store.put(GOVERNOR, SNAPSHOT_KEY, self.governor.snapshot())

    def control_ops(self) -> dict[str, Handler]:
        ops = _Ops()
        self.hooks.register(ops)
        return dict(ops)

    async def serve(self) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            self.persist()

    def statistics(self) -> Mapping[str, Any]:
        return {
            **self.governor.statistics(self.clock.now()),
            **self.hooks.statistics(),
            "sessions": len(self.sessions),
            "failures": self.failures,
        }


def build_policy(
    settings: Settings,
    *,
    store: StateStore,
    sink: EventSink,
    stamp: Stamper,
    clock: Clock,
    scanner: Scanner | None = None,
    inventory: Inventory | None = None,
) -> PolicyGovernor:
    """The built-in policy pack under ``[policy]`` settings (a synced bundle replaces it later
    through ``install``)."""
    policy = settings.policy
    governor = Governor(
        PolicyEngine.default(),
        stamp,
        settings=GovernorSettings(
            mode=policy.mode, production_patterns=policy.production_patterns, host=socket.gethostname()
        ),
    )
    return PolicyGovernor(
        governor,
        store,
        sink=sink,
        stamp=stamp,
        clock=clock,
        scanner=scanner,
        level=settings.capture.level,
        fail_closed=policy.fail_mode is FailMode.CLOSED,
        inventory=inventory,
        backlog_path=settings.paths.state_dir / BACKLOG_NAME,
    )
