"""Cursor hooks (hooks.json v1): beforeShellExecution, beforeMCPExecution, beforeReadFile and
preToolUse decide with ``permission`` (allow / deny / ask; file reads allow / deny only);
beforeSubmitPrompt and the after* events are captured. Cursor expects an answer to every
before* event, so allow is said out loud.
"""

import contextlib
import json
import posixpath
from collections.abc import Mapping
from typing import Any

from agentd.capture.hooks.protocol import (
    ALLOW,
    ASK,
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
    "beforeShellExecution": PRE_TOOL,
    "beforeMCPExecution": PRE_TOOL,
    "beforeReadFile": PRE_TOOL,
    "preToolUse": PRE_TOOL,
    "afterShellExecution": POST_TOOL,
    "afterMCPExecution": POST_TOOL,
    "postToolUse": POST_TOOL,
    "postToolUseFailure": POST_TOOL,
    "afterFileEdit": POST_TOOL,
    "beforeSubmitPrompt": PROMPT,
}


class CursorAdapter:
    name = "cursor"

    def parse(self, payload: Mapping[str, Any]) -> HookEvent:
        native = field(payload, "hook_event_name")
        session = field(payload, "conversation_id") or field(payload, "session_id")
        if native is None or session is None:
            raise ParseError("cursor hook input needs hook_event_name and conversation_id")
        kind = _KINDS.get(native, OTHER)
        cwd = field(payload, "cwd")
        roots = payload.get("workspace_roots")
        if cwd is None and isinstance(roots, list) and roots and isinstance(roots[0], str):
            cwd = roots[0]
        tool, tool_input, server = self._tool(native, payload, cwd)
        if kind in (PRE_TOOL, POST_TOOL) and tool is None:
            raise ParseError(f"cursor {native} input names no command, file or tool")
        output = None
        if kind == POST_TOOL:
            output = text_of(payload.get("output", payload.get("result_json", payload.get("tool_output"))))
        return HookEvent(
            agent=self.name,
            kind=kind,
            native=native,
            session_id=session,
            tool=tool,
            tool_input=tool_input,
            call_id=field(payload, "tool_use_id") or field(payload, "tool_call_id"),
            server=server,
            cwd=cwd,
            prompt=field(payload, "prompt"),
            output=output,
            is_error=native == "postToolUseFailure",
        )

    @staticmethod
    def _tool(native: str, payload: Mapping[str, Any], cwd: str | None) -> tuple[str | None, Any, str | None]:
        if native in ("beforeShellExecution", "afterShellExecution"):
            command = field(payload, "command")
            if command is None:
                return None, None, None
            return "Shell", {"command": command, "cwd": cwd}, None
        if native == "beforeReadFile":
            path = field(payload, "file_path")
            return ("Read" if path else None), {"file_path": path}, None
        if native == "afterFileEdit":
            path = field(payload, "file_path")
            return ("Write" if path else None), {"file_path": path}, None
        tool_input = payload.get("tool_input")
        if isinstance(tool_input, str):
            with contextlib.suppress(ValueError):  # freeform input stays text; policy reads it so
                tool_input = json.loads(tool_input)
        server = None
        if native in ("beforeMCPExecution", "afterMCPExecution"):
            url, command = field(payload, "url"), field(payload, "command")
            if url:
                from urllib.parse import urlsplit  # only MCP events need it; the hook starts fast

                server = urlsplit(url).hostname
            elif command:
                server = posixpath.basename(command.split()[0]) if command.split() else None
        return field(payload, "tool_name"), tool_input, server

    def can_ask(self, event: HookEvent) -> bool:
        return event.kind == PRE_TOOL and event.native != "beforeReadFile"

    def render(self, event: HookEvent, answer: HookAnswer) -> NativeReply:
        if event.kind == PROMPT:
            return NativeReply(stdout=json.dumps({"continue": True}))
        if event.kind != PRE_TOOL:
            return NativeReply(stdout="{}")
        if answer.outcome == ALLOW:
            return NativeReply(stdout=json.dumps({"permission": "allow"}))
        permission = answer.outcome if self.can_ask(event) or answer.outcome != ASK else "deny"
        reason = clip(answer.reason)
        return NativeReply(
            stdout=json.dumps({"permission": permission, "user_message": reason, "agent_message": reason})
        )

    def unavailable(self, native: str | None, reason: str, *, closed: bool) -> NativeReply:
        kind = _KINDS.get(native or "")
        if closed and (native is None or kind == PRE_TOOL):
            return NativeReply(stderr=clip(reason), exit_code=2)
        if kind == PRE_TOOL:
            return NativeReply(stdout=json.dumps({"permission": "allow"}))
        return NativeReply(stdout=json.dumps({"continue": True}) if kind == PROMPT else "{}")


ADAPTER = CursorAdapter()
