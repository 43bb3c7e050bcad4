"""Turns what is new in an exchange into events: a session's start, its tool set, new prompts,
tool results joined to their calls, tool calls with their ruling, model responses, findings.

Only messages not reported before in the session produce events (the Ledger remembers), so a
history resent every turn costs scanning and events once, not once per turn.
"""

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from agentd.clock import Clock
from agentd.events import (
    AgentRef,
    CaptureLevel,
    Event,
    EventSink,
    FindingRaised,
    ModelResponse,
    Outcome,
    SessionStarted,
    Severity,
    Source,
    Stamper,
    ToolCall,
    ToolDefinition,
    ToolDefinitionsSeen,
    ToolResult,
    UserPrompt,
    new_event_id,
)
from agentd.events.model import EventBase
from agentd.normalize import jsonvalue, sessions
from agentd.normalize.model import Message, ParsedRequest, ParsedResponse, ToolSpec, ToolUse
from agentd.pipeline.content import Inspector
from agentd.pipeline.governor import CallContext, CallSource, Content, ContentKind, Governor, Ruling
from agentd.pipeline.ledger import Ledger

MAX_DESCRIPTION_CHARS = 2000


@dataclass
class Turn:
    """One request's context, shared by the events of its response."""

    session_id: str
    agent: AgentRef
    dialect: str
    host: str
    model: str | None = None
    tool_names: dict[str, str] = field(default_factory=dict)  # call id -> tool name


@dataclass
class RecorderStatistics:
    requests: int = 0
    new_messages: int = 0
    events: int = 0
    findings: int = 0


def tool_definition(spec: ToolSpec, level: CaptureLevel) -> ToolDefinition:
    definition_hash = jsonvalue.digest([spec.name, spec.description, spec.input_schema])
    description = None
    if level is not CaptureLevel.METADATA and spec.description:
        description = spec.description[:MAX_DESCRIPTION_CHARS]
    return ToolDefinition(
        name=spec.name, server=spec.server, description=description, definition_hash=definition_hash
    )


def _severity(ruling: Ruling) -> Severity:
    if ruling.decision is None or ruling.decision.outcome is Outcome.ALLOW:
        return Severity.INFO
    return Severity.HIGH if ruling.decision.outcome is Outcome.DENY else Severity.MEDIUM


class Recorder:
    def __init__(
        self,
        *,
        sink: EventSink,
        stamp: Stamper,
        clock: Clock,
        ledger: Ledger,
        inspector: Inspector,
        governor: Governor,
    ) -> None:
        self.sink = sink
        self.stamp = stamp
        self.clock = clock
        self.ledger = ledger
        self.inspector = inspector
        self.governor = governor
        self.stats = RecorderStatistics()

    # --- requests ----------------------------------------------------------------------

    def begin(self, parsed: ParsedRequest, headers: Mapping[str, str], agent: AgentRef, host: str) -> Turn:
        """Record what is new in a request and return the turn its response belongs to."""
        self.stats.requests += 1
        identity = sessions.identify(parsed, headers, response_session=self.ledger.session_of_response)
        if identity is not None:
            session_id = identity.session_id
        else:
            session_id = f"proc-{agent.pid}" if agent.pid else f"host-{host}"
        turn = Turn(session_id=session_id, agent=agent, dialect=parsed.dialect, host=host, model=parsed.model)
        for message in parsed.messages:
            for use in message.tool_uses:
                turn.tool_names[use.call_id] = use.name
        if self.ledger.start_session(session_id):
            self._emit(turn, SessionStarted, dialect=parsed.dialect, provider_host=host, model=parsed.model)
        if parsed.tools:
            self._tools(turn, parsed.tools)
        fresh = sessions.new_messages(
            parsed.messages, lambda keys: self.ledger.claim_messages(session_id, keys)
        )
        self.stats.new_messages += len(fresh)
        for message in fresh:
            self._message(turn, message)
        return turn

    def _tools(self, turn: Turn, specs: Sequence[ToolSpec]) -> None:
        definitions = tuple(tool_definition(spec, self.inspector.level) for spec in specs)
        digest = hashlib.sha256(
            "\n".join(sorted(d.definition_hash for d in definitions)).encode()
        ).hexdigest()
        if self.ledger.tools_changed(turn.session_id, digest):
            self._emit(turn, ToolDefinitionsSeen, tools=definitions)
            for event in self.governor.observe_tools(turn.session_id, turn.agent, specs, self.clock.now()):
                self._record(event)

    def _message(self, turn: Turn, message: Message) -> None:
        if message.text:
            seen = self.inspector.inspect(message.text, f"{message.location}.text")
            if message.role == "user":
                prompt = self._emit(
                    turn, UserPrompt, message_index=message.index, text=seen.rendered, chars=len(message.text)
                )
                self._findings(turn, seen.findings, prompt)
                self._content(turn, ContentKind.PROMPT, message.text, seen.findings)
            else:
                # System or assistant text the agent resends: scanned (a secret there is still
                # a secret in the context) but not an event of its own.
                self._findings(turn, seen.findings, None)
        for use in message.tool_uses:
            # A call in the history that no captured response reported (e.g. the daemon was
            # down, or the response could not be read): record it once, undecided.
            if self.ledger.claim_call(turn.session_id, use.call_id):
                self._tool_call(turn, use, CallSource.HISTORY, f"{message.location}.tool_use")
        for output in message.tool_outputs:
            seen = self.inspector.inspect(output.content, f"{message.location}.tool_result[{output.call_id}]")
            result = self._emit(
                turn,
                ToolResult,
                call_id=output.call_id,
                tool=output.name or turn.tool_names.get(output.call_id),
                content=seen.rendered,
                chars=len(output.content),
                is_error=output.is_error,
            )
            self._findings(turn, seen.findings, result)
            self._content(turn, ContentKind.RESULT, output.content, seen.findings, output.call_id)

    def _content(
        self, turn: Turn, kind: ContentKind, text: str, findings: Sequence[Any], call_id: str | None = None
    ) -> None:
        self.governor.observe_content(
            Content(turn.session_id, turn.agent, kind, text, tuple(findings), self.clock.now(), call_id)
        )

    # --- tool calls and responses ----------------------------------------------------------

    def call(self, turn: Turn, use: ToolUse, source: CallSource) -> Ruling:
        """Rule on a complete tool call; record it the first time its id is seen."""
        turn.tool_names[use.call_id] = use.name
        first = self.ledger.claim_call(turn.session_id, use.call_id)
        location = "request.call" if source is CallSource.REQUEST else "response.tool_use"
        return self._tool_call(turn, use, source, location, record=first)

    def _tool_call(
        self, turn: Turn, use: ToolUse, source: CallSource, location: str, record: bool = True
    ) -> Ruling:
        seen = self.inspector.inspect(use.arguments, f"{location}[{use.call_id}].input")
        now = self.clock.now()
        event_id = new_event_id(now)
        ruling = Ruling()
        if source is not CallSource.HISTORY:
            ruling = self.governor.rule(
                CallContext(
                    session_id=turn.session_id,
                    agent=turn.agent,
                    dialect=turn.dialect,
                    host=turn.host,
                    call=use,
                    findings=seen.findings,
                    source=source,
                    now=now,
                    event_id=event_id,
                )
            )
        if record:
            event = self._emit(
                turn,
                ToolCall,
                event_id=event_id,
                severity=_severity(ruling),
                call_id=use.call_id,
                tool=use.name,
                server=use.server,
                input=seen.rendered,
                input_hash=hashlib.sha256(use.arguments.encode("utf-8", "surrogatepass")).hexdigest(),
                decision=ruling.decision,
                risk=ruling.risk,
            )
            self._findings(turn, seen.findings, event)
        for caused in ruling.events:
            self._record(caused)
        return ruling

    def response(self, turn: Turn, parsed: ParsedResponse) -> None:
        """Record a complete (or truncated) model response and any call it made that was not
        ruled on while streaming (server-side tools, for instance)."""
        for use in parsed.tool_uses:
            if use.call_id not in turn.tool_names:
                self.call(turn, use, CallSource.RESPONSE)
        for output in parsed.tool_outputs:  # MCP tools/call results
            seen = self.inspector.inspect(output.content, f"response.tool_result[{output.call_id}]")
            result = self._emit(
                turn,
                ToolResult,
                call_id=output.call_id,
                tool=output.name or turn.tool_names.get(output.call_id),
                content=seen.rendered,
                chars=len(output.content),
                is_error=output.is_error,
            )
            self._findings(turn, seen.findings, result)
            self._content(turn, ContentKind.RESULT, output.content, seen.findings, output.call_id)
        if parsed.tools:
            self._tools(turn, parsed.tools)  # MCP tools/list
        if parsed.response_id:
            self.ledger.remember_response(parsed.response_id, turn.session_id)
        seen = self.inspector.inspect(parsed.text, "response.text")
        if parsed.text or parsed.tool_uses or parsed.stop_reason or parsed.model:
            event = self._emit(
                turn,
                ModelResponse,
                model=parsed.model or turn.model,
                stop_reason=parsed.stop_reason,
                input_tokens=parsed.input_tokens,
                output_tokens=parsed.output_tokens,
                text=seen.rendered,
                call_ids=tuple(use.call_id for use in parsed.tool_uses),
            )
            self._findings(turn, seen.findings, event)

    # --- events ------------------------------------------------------------------------

    def _findings(self, turn: Turn, findings: Sequence[Any], subject: EventBase | None) -> None:
        for finding in findings:
            self.stats.findings += 1
            self._emit(
                turn,
                FindingRaised,
                severity=finding.severity,
                finding=finding,
                subject_event_id=subject.id if subject is not None else None,
            )

    def _emit[E: EventBase](
        self, turn: Turn, event_type: type[E], event_id: str | None = None, **fields: Any
    ) -> E:
        event = self.stamp(
            event_type,
            self.clock.now(),
            session_id=turn.session_id,
            agent=turn.agent,
            source=Source.PROXY,
            **fields,
        )
        if event_id is not None:  # an id promised to the governor as evidence before the event existed
            event = event.model_copy(update={"id": event_id})
        # Every concrete EventBase subclass is a member of the Event union.
        self._record(cast(Event, event))
        return event

    def _record(self, event: Event) -> None:
        self.stats.events += 1
        self.sink.emit(event)
        self.governor.observe(event)
