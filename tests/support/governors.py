"""Governors for tests: real classes implementing agentd.pipeline.governor.Governor."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from agentd.events import AgentRef, Decision, Event, Outcome
from agentd.normalize.model import ToolSpec
from agentd.pipeline.governor import CallContext, Content, Ruling


@dataclass
class DenyTool:
    """Blocks every call to ``tool`` (enforced) and remembers what it observed and ruled."""

    tool: str = "Bash"
    reason: str = "no shell"
    observed: list[Event] = field(default_factory=list)
    contexts: list[CallContext] = field(default_factory=list)
    contents: list[Content] = field(default_factory=list)
    tool_sets: list[tuple[str, ...]] = field(default_factory=list)

    def rule(self, context: CallContext) -> Ruling:
        self.contexts.append(context)
        if context.call.name != self.tool:
            return Ruling()
        return Ruling(
            decision=Decision(
                outcome=Outcome.DENY, enforced=True, reasons=(self.reason,), policy_ids=("test",)
            )
        )

    def observe(self, event: Event) -> None:
        self.observed.append(event)

    def observe_content(self, content: Content) -> None:
        self.contents.append(content)

    def observe_tools(
        self, session_id: str, agent: AgentRef, specs: Sequence[ToolSpec], now: datetime
    ) -> Sequence[Event]:
        self.tool_sets.append(tuple(spec.name for spec in specs))
        return ()
