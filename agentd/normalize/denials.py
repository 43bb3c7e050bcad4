"""How a denied tool call reads to the model and to the agent: one wording for every dialect."""

from agentd.normalize.model import Denial, ToolUse


def denial_text(call: ToolUse, denial: Denial) -> str:
    """The text that takes a denied call's place in a response (the model reads it next turn)."""
    reason = denial.reason.strip() or "denied by policy"
    return f"[agentd] The tool call {call.name} ({call.call_id}) was blocked: {reason}"


def request_denial_text(reason: str) -> str:
    """The error message for a request agentd answers itself instead of forwarding."""
    return f"[agentd] Request blocked: {reason.strip() or 'denied by policy'}"
