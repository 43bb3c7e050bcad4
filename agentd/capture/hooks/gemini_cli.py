"""Gemini CLI hooks: BeforeTool decides with a top-level ``decision`` (allow / deny) and
``reason``; AfterTool and BeforeAgent (the prompt) are captured. No native "ask": a call that
needs approval is refused with the approval id and the command that grants it.
"""

import json
from collections.abc import Mapping
from typing import Any

from agentd.capture.hooks.protocol import (
    DENY,
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

_KINDS = {"BeforeTool": PRE_TOOL, "AfterTool": POST_TOOL, "BeforeAgent": PROMPT}


class GeminiCliAdapter:
    name = "gemini-cli"

    def parse(self, payload: Mapping[str, Any]) -> HookEvent:
        native = field(payload, "hook_event_name")
        session = field(payload, "session_id")
        if native is None or session is None:
            raise ParseError("gemini-cli hook input needs hook_event_name and session_id")
        kind = _KINDS.get(native, OTHER)
        tool = field(payload, "tool_name")
        if kind in (PRE_TOOL, POST_TOOL) and tool is None:
            raise ParseError(f"gemini-cli {native} input has no tool_name")
        mcp = payload.get("mcp_context")
        server = None
        if isinstance(mcp, Mapping):
            server = field(mcp, "server_name") or field(mcp, "server")
        response = payload.get("tool_response")
        return HookEvent(
            agent=self.name,
            kind=kind,
            native=native,
            session_id=session,
            tool=tool,
            tool_input=payload.get("tool_input"),
            call_id=field(payload, "tool_call_id") or field(payload, "call_id"),
            server=server,
            cwd=field(payload, "cwd"),
            prompt=field(payload, "prompt"),
            output=text_of(response) if kind == POST_TOOL else None,
            is_error=isinstance(response, Mapping) and "error" in response,
        )

    def can_ask(self, event: HookEvent) -> bool:
        return False

    def render(self, event: HookEvent, answer: HookAnswer) -> NativeReply:
        if event.kind != PRE_TOOL or answer.outcome not in (DENY, "ask"):
            return NativeReply()
        return NativeReply(stdout=json.dumps({"decision": "deny", "reason": clip(answer.reason)}))

    def unavailable(self, native: str | None, reason: str, *, closed: bool) -> NativeReply:
        if closed and (native is None or _KINDS.get(native) == PRE_TOOL):
            return NativeReply(stderr=clip(reason), exit_code=2)
        return NativeReply()


ADAPTER = GeminiCliAdapter()
