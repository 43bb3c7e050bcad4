"""The daemon side of agent hooks and approvals: the control-socket ops ``hook``, ``approvals``,
``approve`` and ``deny``.

``handle_hook`` turns one hook request into the agent's native reply and the events to record
(tool call with decision and risk, results, prompts, findings, alerts); ``HookService`` wraps it
and the approval ops as async handlers, so wiring is ``HookService(...).register(control)``.
"""

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from agentd.capture.hooks import backlog
from agentd.capture.hooks.adapters import ADAPTERS
from agentd.capture.hooks.protocol import (
    ALLOW,
    ASK,
    DENY,
    POST_TOOL,
    PRE_TOOL,
    PROMPT,
    HookAnswer,
    HookEvent,
    NativeReply,
    text_of,
)
from agentd.decide.approvals import ApprovalNotFound, parse_duration
from agentd.decide.governor import CallRequest, Governor
from agentd.decide.state import SessionState, SessionTable
from agentd.detect.redact import render_content
from agentd.detect.scanner import Scanner
from agentd.errors import ParseError
from agentd.events import (
    AgentKind,
    AgentRef,
    CaptureLevel,
    Decision,
    EnforcementPoint,
    Event,
    EventSink,
    Finding,
    FindingRaised,
    InternalError,
    Outcome,
    PolicyMode,
    Severity,
    Source,
    Stamper,
    ToolCall,
    ToolResult,
    UserPrompt,
    new_event_id,
)

log = logging.getLogger(__name__)
_AGENT_KINDS = frozenset(kind.value for kind in AgentKind)

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


class Registrar(Protocol):
    def register(self, op: str, handler: Handler) -> None: ...


@dataclass(frozen=True, slots=True)
class HookResult:
    reply: NativeReply
    events: tuple[Event, ...] = ()


@dataclass(frozen=True, slots=True)
class HookEnvironment:
    """What ``handle_hook`` needs besides the request."""

    governor: Governor
    sessions: SessionTable
    stamp: Stamper
    scanner: Scanner | None = None
    level: CaptureLevel = CaptureLevel.REDACTED
    fail_closed: bool = False


def handle_hook(env: HookEnvironment, args: Mapping[str, Any], now: datetime) -> HookResult:
    """One ``hook`` request: ``agent``, ``payload`` (the agent's hook JSON, or None with ``error``
    when the hook command could not read it), and the caller's ``pid`` and ``user``.
    Never raises: anything unexpected is answered per fail mode and recorded."""
    agent_name = str(args.get("agent", ""))
    adapter = ADAPTERS.get(agent_name)
    payload = args.get("payload")
    native = payload.get("hook_event_name") if isinstance(payload, Mapping) else None
    agent = _agent_ref(agent_name, args)
    try:
        if adapter is None:
            raise ParseError(f"unknown agent {agent_name!r}; known: {', '.join(sorted(ADAPTERS))}")
        if not isinstance(payload, Mapping):
            raise ParseError(str(args.get("error") or "hook input is not a JSON object"))
        event = adapter.parse(payload)
    except ParseError as exc:
        reply = _unavailable(env, agent_name, native if isinstance(native, str) else None, str(exc))
        return HookResult(reply, (_internal(env, now, agent, "ParseError", str(exc)),))
    state = env.sessions.get(event.session_id, agent_name)
    events: list[Event] = []
    try:
        if event.kind == PRE_TOOL:
            answer = _pre_tool(env, event, adapter.can_ask(event), agent, state, now, events)
            reply = adapter.render(event, answer)
        else:
            if event.kind == POST_TOOL:
                _post_tool(env, event, agent, state, now, events)
            elif event.kind == PROMPT and event.prompt is not None:
                _prompt(env, event, agent, state, now, events)
            reply = adapter.render(event, HookAnswer(ALLOW))
    except Exception as exc:  # a bug must not take the agent down: answer per fail mode, record it
        log.exception("hook handling failed", extra={"agent": agent_name})
        events.append(_internal(env, now, agent, type(exc).__name__, "hook handling failed"))
        return HookResult(
            _unavailable(env, agent_name, event.native, "agentd could not decide"), tuple(events)
        )
    env.sessions.save(state)
    return HookResult(reply, tuple(events))


def _pre_tool(
    env: HookEnvironment,
    event: HookEvent,
    can_ask: bool,
    agent: AgentRef,
    state: SessionState,
    now: datetime,
    events: list[Event],
) -> HookAnswer:
    arguments = text_of(event.tool_input if event.tool_input is not None else {})
    call_event_id = new_event_id(now)
    findings = _scan(env, arguments, f"hook.{event.tool}.tool_input")
    envelope: dict[str, Any] = {"session_id": event.session_id, "agent": agent, "source": Source.HOOK}
    finding_events = [
        env.stamp(
            FindingRaised, now, severity=f.severity, finding=f, subject_event_id=call_event_id, **envelope
        )
        for f in findings
    ]
    request = CallRequest(
        session_id=event.session_id,
        tool=event.tool or "unknown",
        arguments=arguments,
        call_id=event.call_id,
        server=event.server,
        agent=agent,
        point=EnforcementPoint.HOOK,
        cwd=event.cwd,
        findings=tuple(findings),
        evidence=(call_event_id, *(e.id for e in finding_events)),
        can_ask=can_ask,
    )
    verdict = env.governor.evaluate(state, request, now)
    call_event = env.stamp(
        ToolCall,
        now,
        severity=Severity.HIGH if verdict.blocked else Severity.INFO,
        call_id=event.call_id or call_event_id,
        tool=verdict.tool.name,
        server=verdict.tool.server,
        input=render_content(arguments, findings, env.level),
        input_hash=verdict.input_hash,
        decision=verdict.decision,
        risk=verdict.risk,
        **envelope,
    ).model_copy(update={"id": call_event_id})
    events.extend([call_event, *finding_events, *verdict.events])
    if not verdict.blocked:
        return HookAnswer(ALLOW)
    if verdict.decision.outcome is Outcome.REQUIRES_APPROVAL and verdict.approval is None:
        return HookAnswer(ASK, verdict.message)
    return HookAnswer(DENY, verdict.message)


def _post_tool(
    env: HookEnvironment,
    event: HookEvent,
    agent: AgentRef,
    state: SessionState,
    now: datetime,
    events: list[Event],
) -> None:
    content = event.output or ""
    findings = _scan(env, content, f"hook.{event.tool}.tool_response")
    env.governor.observe_result(state, event.call_id, content, findings)
    envelope: dict[str, Any] = {"session_id": event.session_id, "agent": agent, "source": Source.HOOK}
    result = env.stamp(
        ToolResult,
        now,
        call_id=event.call_id or "",
        tool=event.tool,
        content=render_content(content, findings, env.level),
        chars=len(content),
        is_error=event.is_error,
        **envelope,
    )
    events.append(result)
    events.extend(
        env.stamp(FindingRaised, now, severity=f.severity, finding=f, subject_event_id=result.id, **envelope)
        for f in findings
    )


def _prompt(
    env: HookEnvironment,
    event: HookEvent,
    agent: AgentRef,
    state: SessionState,
    now: datetime,
    events: list[Event],
) -> None:
    text = event.prompt or ""
    findings = _scan(env, text, "hook.prompt")
    env.governor.observe_prompt(state, text, findings)
    envelope: dict[str, Any] = {"session_id": event.session_id, "agent": agent, "source": Source.HOOK}
    prompt = env.stamp(
        UserPrompt,
        now,
        message_index=0,
        text=render_content(text, findings, env.level),
        chars=len(text),
        **envelope,
    )
    events.append(prompt)
    events.extend(
        env.stamp(FindingRaised, now, severity=f.severity, finding=f, subject_event_id=prompt.id, **envelope)
        for f in findings
    )


def _scan(env: HookEnvironment, text: str, location: str) -> list[Finding]:
    return env.scanner.scan(text, location) if env.scanner is not None and text else []


def _agent_ref(agent: str, args: Mapping[str, Any]) -> AgentRef:
    kind = AgentKind(agent) if agent in _AGENT_KINDS else AgentKind.UNKNOWN
    pid = args.get("pid")
    user = args.get("user")
    return AgentRef(
        kind=kind,
        pid=pid if isinstance(pid, int) and pid > 0 else None,
        user=user if isinstance(user, str) and user else None,
    )


def _unavailable(env: HookEnvironment, agent: str, native: str | None, reason: str) -> NativeReply:
    adapter = ADAPTERS.get(agent)
    message = f"agentd: {reason}"
    if adapter is None:
        return NativeReply(stderr=message, exit_code=2 if env.fail_closed else 1)
    return adapter.unavailable(native, message, closed=env.fail_closed)


def _internal(
    env: HookEnvironment, now: datetime, agent: AgentRef, error: str, message: str
) -> InternalError:
    return env.stamp(
        InternalError,
        now,
        severity=Severity.MEDIUM,
        agent=agent,
        source=Source.HOOK,
        component="hooks",
        error=error,
        message=message[:500],
    )


class HookService:
    """Async control-socket handlers around ``handle_hook`` and the governor's approvals."""

    name = "hooks"

    def __init__(
        self,
        env: HookEnvironment,
        sink: EventSink,
        now: Callable[[], datetime],
        *,
        backlog_path: Path | None = None,
        persist: Callable[[], None] | None = None,
    ) -> None:
        self.env = env
        self.sink = sink
        self.now = now
        self.backlog_path = backlog_path
        self.persist = persist
        self.hooks = 0
        self.unreached = 0

    def register(self, control: Registrar) -> None:
        control.register("hook", self.hook)
        control.register("approvals", self.approvals)
        control.register("approve", self.approve)
        control.register("deny", self.deny)

    async def hook(self, args: dict[str, Any]) -> dict[str, Any]:
        self.hooks += 1
        now = self.now()
        self.ingest_backlog(now)
        result = handle_hook(self.env, args, now)
        self._emit(result.events)
        return result.reply.to_json()

    async def approvals(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        return [a.to_json() for a in self.env.governor.approvals.listing(self.now())]

    async def approve(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._decide(args, grant=True)

    async def deny(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._decide(args, grant=False)

    def _decide(self, args: Mapping[str, Any], *, grant: bool) -> dict[str, Any]:
        key = args.get("id")
        if not isinstance(key, str) or not key:
            return {"error": "an approval id is required"}
        seconds = None
        duration = args.get("for")
        if duration:
            try:
                seconds = parse_duration(str(duration))
            except ValueError as exc:
                return {"error": str(exc)}
        by = args.get("by") if isinstance(args.get("by"), str) else None
        try:
            approval, event = self.env.governor.decide_approval(
                key, grant=grant, now=self.now(), for_seconds=seconds, by=by
            )
        except ApprovalNotFound as exc:
            return {"error": str(exc)}
        self._emit((event,))
        return approval.to_json()

    def ingest_backlog(self, now: datetime) -> int:
        """Record the hook calls that went ahead unchecked while agentd was unreachable."""
        if self.backlog_path is None or not self.backlog_path.exists():
            return 0
        entries = backlog.drain(self.backlog_path)
        events: list[Event] = []
        for entry in entries:
            agent = _agent_ref(str(entry.get("agent", "")), entry)
            reason = str(entry.get("reason", "agentd was not reachable"))[:300]
            decision = Decision(
                outcome=Outcome.ALLOW,
                reasons=(f"not checked: {reason}; allowed by fail_mode open",),
                mode=PolicyMode.MONITOR,
                enforced=False,
                point=EnforcementPoint.HOOK,
            )
            events.append(
                self.env.stamp(
                    ToolCall,
                    now,
                    severity=Severity.MEDIUM,
                    session_id=str(entry.get("session_id") or "") or None,
                    agent=agent,
                    source=Source.HOOK,
                    call_id=str(entry.get("call_id") or "unknown"),
                    tool=str(entry.get("tool") or "unknown"),
                    input=None,
                    input_hash=str(entry.get("input_hash") or ""),
                    decision=decision,
                )
            )
        self.unreached += len(events)
        self._emit(events)
        return len(events)

    def _emit(self, events: Sequence[Event]) -> None:
        for event in events:
            self.sink.emit(event)
        if events and self.persist is not None:
            self.persist()

    def statistics(self) -> dict[str, Any]:
        return {"hooks": self.hooks, "unchecked_while_unreachable": self.unreached}
