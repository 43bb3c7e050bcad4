"""Governors for tests: real classes implementing agentd.pipeline.governor.Governor."""

from dataclasses import dataclass, field

from agentd.events import Decision, Event, Outcome
from agentd.pipeline.governor import CallContext, Ruling


@dataclass
class DenyTool:
    """Blocks every call to ``tool`` (enforced) and remembers what it observed and ruled."""

    tool: str = "Bash"
    reason: str = "no shell"
    observed: list[Event] = field(default_factory=list)
    contexts: list[CallContext] = field(default_factory=list)

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
