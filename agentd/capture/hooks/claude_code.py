"""Claude Code hooks: PreToolUse decides (allow / deny / ask through
``hookSpecificOutput.permissionDecision``); UserPromptSubmit and PostToolUse are captured.

agentd's allow prints nothing, so Claude Code's own permission rules still apply: agentd can only
narrow what the user allowed, never widen it.
"""

import json
from collections.abc import Mapping
from typing import Any

from agentd.capture.hooks.protocol import (
    ALLOW,
    OTHER,
    POST_TOOL,
    PRE_TOOL,
    PROMPT,
    HookAnswer,
    HookEvent,
    NativeReply,
    clip,
    field,
    text_of,
)
from agentd.errors import ParseError

_KINDS = {
    "PreToolUse": PRE_TOOL,
    "PostToolUse": POST_TOOL,
    "PostToolUseFailure": POST_TOOL,
    "UserPromptSubmit": PROMPT,
}


class ClaudeCodeAdapter:
    name = "claude-code"
    # Codex reuses this schema; it differs in what it can ask (see codex.py).
    native_ask = True

    def parse(self, payload: Mapping[str, Any]) -> HookEvent:
        native = field(payload, "hook_event_name")
        session = field(payload, "session_id")
        if native is None or session is None:
            raise ParseError(f"{self.name} hook input needs hook_event_name and session_id")
        kind = _KINDS.get(native, OTHER)
        tool = field(payload, "tool_name")
        if kind in (PRE_TOOL, POST_TOOL) and tool is None:
            raise ParseError(f"{self.name} {native} input has no tool_name")
        output = None
        if kind == POST_TOOL:
            output = text_of(payload.get("tool_response", payload.get("error")))
        return HookEvent(
            agent=self.name,
            kind=kind,
            native=native,
            session_id=session,
            tool=tool,
            tool_input=payload.get("tool_input"),
            call_id=field(payload, "tool_use_id"),
            cwd=field(payload, "cwd"),
            prompt=field(payload, "prompt"),
            output=output,
            is_error=native == "PostToolUseFailure",
        )

    def can_ask(self, event: HookEvent) -> bool:
        return self.native_ask and event.kind == PRE_TOOL

    def render(self, event: HookEvent, answer: HookAnswer) -> NativeReply:
        if event.kind != PRE_TOOL or answer.outcome == ALLOW:
            return NativeReply()
        output = {
            "hookSpecificOutput": {
                "hookEventName": event.native,
                "permissionDecision": answer.outcome,
                "permissionDecisionReason": clip(answer.reason),
            }
        }
        return NativeReply(stdout=json.dumps(output))

    def unavailable(self, native: str | None, reason: str, *, closed: bool) -> NativeReply:
        if closed and (native is None or _KINDS.get(native) == PRE_TOOL):
            return NativeReply(stderr=clip(reason), exit_code=2)
        return NativeReply()


ADAPTER = ClaudeCodeAdapter()
