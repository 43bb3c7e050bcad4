"""The agents agentd speaks hooks with: an explicit table, one module per protocol."""

from agentd.capture.hooks import claude_code, codex, cursor, gemini_cli
from agentd.capture.hooks.protocol import Adapter

ADAPTERS: dict[str, Adapter] = {
    claude_code.ADAPTER.name: claude_code.ADAPTER,
    codex.ADAPTER.name: codex.ADAPTER,
    gemini_cli.ADAPTER.name: gemini_cli.ADAPTER,
    cursor.ADAPTER.name: cursor.ADAPTER,
}


def adapter_for(agent: str) -> Adapter:
    """The adapter for ``agent``; KeyError names the agents that exist."""
    try:
        return ADAPTERS[agent]
    except KeyError:
        raise KeyError(f"unknown agent {agent!r}; known: {', '.join(sorted(ADAPTERS))}") from None
