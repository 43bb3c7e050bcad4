"""The policy seam: every complete tool call the pipeline sees is ruled on here, once.

The composition root plugs in a Governor (the decide layer's engine behind an adapter); until
one is configured, ``AllowAll`` lets every call through and records no decision. Capture code
never sees this: it only applies the replacement bytes the pipeline hands back.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from agentd.events import AgentRef, Decision, Event, Finding, Outcome, Risk
from agentd.normalize.model import ToolSpec, ToolUse


class CallSource(StrEnum):
    RESPONSE = "response"  # the model asked for it (an LLM response, streamed or not)
    REQUEST = "request"  # the agent is making it (an MCP `tools/call` request)
    HISTORY = "history"  # seen only in a later request's history: it already ran


@dataclass(frozen=True, slots=True)
class CallContext:
    """Everything known about one tool call when it is ruled on."""

    session_id: str
    agent: AgentRef
    dialect: str
    host: str
    call: ToolUse
    findings: tuple[Finding, ...]
    source: CallSource
    now: datetime
    event_id: str = ""  # the id its tool_call event will carry (evidence for alerts)


class ContentKind(StrEnum):
    PROMPT = "prompt"  # the user's own words
    RESULT = "result"  # a tool's output entering the conversation


@dataclass(frozen=True, slots=True)
class Content:
    """Raw text that entered a session, before capture-level rendering, with what was found in it."""

    session_id: str
    agent: AgentRef
    kind: ContentKind
    text: str
    findings: tuple[Finding, ...]
    now: datetime
    call_id: str | None = None  # RESULT: the call it answers


@dataclass(frozen=True, slots=True)
class Ruling:
    """The answer for one call; ``decision`` None means no policy was consulted."""

    decision: Decision | None = None
    risk: Risk | None = None
    message: str | None = None  # what the agent is told when the call is blocked
    events: tuple[
        Event, ...
    ] = ()  # what the decision caused (alerts, approval requests): recorded after the call

    @property
    def blocks(self) -> bool:
        """True when the call must not reach the agent (or, for requests, the server)."""
        d = self.decision
        return d is not None and d.enforced and d.outcome is not Outcome.ALLOW

    def denial_text(self) -> str:
        if self.message:
            return self.message
        reasons = self.decision.reasons if self.decision else ()
        return "; ".join(reasons) or "blocked by agentd policy"


class Governor(Protocol):
    def rule(self, context: CallContext) -> Ruling:
        """Decide one complete call. Must not raise for any input (fail mode is its business)."""
        ...

    def observe(self, event: Event) -> None:
        """Every event the pipeline records, in order (prompts, results, findings...)."""
        ...

    def observe_content(self, content: Content) -> None:
        """A new prompt or tool result, raw: what narrows the session (labels, participants,
        trusted destinations). Must not raise."""
        ...

    def observe_tools(
        self, session_id: str, agent: AgentRef, specs: Sequence[ToolSpec], now: datetime
    ) -> Sequence[Event]:
        """A new or changed tool set (offered to a model, or an MCP tools/list); returns the
        events it causes (tool_changed, alerts) for the pipeline to record. Must not raise."""
        ...


class AllowAll:
    """No policy: every call is allowed and no decision is recorded."""

    def rule(self, context: CallContext) -> Ruling:
        return Ruling()

    def observe(self, event: Event) -> None:
        return None

    def observe_content(self, content: Content) -> None:
        return None

    def observe_tools(
        self, session_id: str, agent: AgentRef, specs: Sequence[ToolSpec], now: datetime
    ) -> Sequence[Event]:
        return ()
