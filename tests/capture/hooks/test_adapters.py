import pytest

from agentd.capture.hooks.adapters import ADAPTERS, adapter_for
from agentd.events import AgentKind


def test_every_adapter_is_registered_under_its_agent_kind() -> None:
    assert set(ADAPTERS) == {"claude-code", "codex", "gemini-cli", "cursor"}
    kinds = {k.value for k in AgentKind}
    for name, adapter in ADAPTERS.items():
        assert adapter.name == name
        assert name in kinds


def test_unknown_agents_are_named() -> None:
    assert adapter_for("codex") is ADAPTERS["codex"]
    with pytest.raises(KeyError, match="known: claude-code, codex, cursor, gemini-cli"):
        adapter_for("copilot")
