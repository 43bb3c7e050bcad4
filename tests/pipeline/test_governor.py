from datetime import UTC, datetime

import pytest

from agentd.events import AgentRef, Decision, Outcome
from agentd.normalize.model import ToolUse
from agentd.pipeline.governor import AllowAll, CallContext, CallSource, Ruling


@pytest.mark.parametrize(
    ("decision", "blocks"),
    [
        (None, False),
        (Decision(outcome=Outcome.ALLOW, enforced=True), False),
        (Decision(outcome=Outcome.DENY, enforced=True), True),
        (Decision(outcome=Outcome.REQUIRES_APPROVAL, enforced=True), True),
        (Decision(outcome=Outcome.DENY, enforced=False), False),  # monitor mode records only
    ],
)
def test_blocks(decision: Decision | None, blocks: bool) -> None:
    assert Ruling(decision=decision).blocks is blocks


@pytest.mark.parametrize(
    ("ruling", "text"),
    [
        (Ruling(message="agentd: no"), "agentd: no"),
        (Ruling(decision=Decision(outcome=Outcome.DENY, enforced=True, reasons=("a", "b"))), "a; b"),
        (Ruling(decision=Decision(outcome=Outcome.DENY, enforced=True)), "blocked by agentd policy"),
    ],
)
def test_denial_text(ruling: Ruling, text: str) -> None:
    assert ruling.denial_text() == text


def test_allow_all_decides_nothing() -> None:
    context = CallContext(
        session_id="s",
        agent=AgentRef(),
        dialect="anthropic",
        host="api.anthropic.com",
        call=ToolUse("c1", "Bash", '{"command": "rm -rf /"}'),
        findings=(),
        source=CallSource.RESPONSE,
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    ruling = AllowAll().rule(context)
    assert ruling == Ruling()
    assert not ruling.blocks
