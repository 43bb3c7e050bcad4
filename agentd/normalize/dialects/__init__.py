"""One module per wire format; DIALECTS is the explicit, ordered tuple of them (first match wins).

MCP comes last: it matches any endpoint with an `mcp` path segment, after the LLM formats.
"""

from agentd.normalize.dialects.anthropic import AnthropicMessages
from agentd.normalize.dialects.gemini import Gemini
from agentd.normalize.dialects.mcp import MCP
from agentd.normalize.dialects.openai_chat import OpenAIChat
from agentd.normalize.dialects.openai_responses import OpenAIResponses
from agentd.normalize.model import Dialect

DIALECTS: tuple[Dialect, ...] = (AnthropicMessages(), OpenAIChat(), OpenAIResponses(), Gemini(), MCP())

BY_NAME: dict[str, Dialect] = {dialect.name: dialect for dialect in DIALECTS}


def dialect_for(method: str, host: str, path: str) -> Dialect | None:
    """The dialect of a request, by method, host (no port) and path (query allowed)."""
    return next((d for d in DIALECTS if d.matches(method, host, path)), None)
