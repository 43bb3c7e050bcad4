"""OpenAI Codex CLI hooks: the Claude Code schema (PreToolUse with
``hookSpecificOutput.permissionDecision``), but Codex has no native "ask": a call that needs
approval is refused with the approval id and the command that grants it.
"""

from agentd.capture.hooks.claude_code import ClaudeCodeAdapter


class CodexAdapter(ClaudeCodeAdapter):
    name = "codex"
    native_ask = False


ADAPTER = CodexAdapter()
