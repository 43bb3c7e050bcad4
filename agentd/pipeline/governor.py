"""The policy seam: every complete tool call the pipeline sees is ruled on here, once.

The composition root plugs in a Governor (the decide layer's engine behind an adapter); until
one is configured, ``AllowAll`` lets every call through and records no decision. Capture code
never sees this: it only applies the replacement bytes the pipeline hands back.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from agentd.events import AgentRef, Decision, Event, Finding, Outcome, Risk
from agentd.normalize.model import ToolUse


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


@dataclass(frozen=True, slots=True)
class Ruling:
    """The answer for one call; ``decision`` None means no policy was consulted."""

    decision: Decision | None = None
    risk: Risk | None = None
    message: str | None = None  # what the agent is told when the call is blocked

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
        """Every event the pipeline records, in order (prompts, results, findings...), so the
        governor can keep session state (labels, participants, counts)."""
        ...


class AllowAll:
    """No policy: every call is allowed and no decision is recorded."""

    def rule(self, context: CallContext) -> Ruling:
        return Ruling()

    def observe(self, event: Event) -> None:
        return None
