import json

import pytest

from agentd.capture.hooks.gemini_cli import ADAPTER
from agentd.capture.hooks.protocol import ALLOW, ASK, DENY, OTHER, POST_TOOL, PRE_TOOL, PROMPT, HookAnswer
from agentd.errors import ParseError

BASE = {"session_id": "g1", "transcript_path": "/t", "cwd": "/w", "timestamp": "2026-01-01T00:00:00Z"}
BEFORE = {
    **BASE,
    "hook_event_name": "BeforeTool",
    "tool_name": "run_shell_command",
    "tool_input": {"command": "ls"},
    "mcp_context": None,
}


@pytest.mark.parametrize(
    ("payload", "kind", "checks"),
    [
        (BEFORE, PRE_TOOL, {"tool": "run_shell_command", "server": None}),
        (
            {**BEFORE, "tool_name": "mcp_github_get_issue", "mcp_context": {"server_name": "github"}},
            PRE_TOOL,
            {"server": "github"},
        ),
        (
            {**BASE, "hook_event_name": "AfterTool", "tool_name": "read_file", "tool_input": {},
             "tool_response": {"llmContent": "text"}},
            POST_TOOL,
            {"output": '{"llmContent":"text"}', "is_error": False},
        ),
        (
            {**BASE, "hook_event_name": "AfterTool", "tool_name": "x", "tool_response": {"error": "boom"}},
            POST_TOOL,
            {"is_error": True},
        ),
        ({**BASE, "hook_event_name": "BeforeAgent", "prompt": "hi"}, PROMPT, {"prompt": "hi"}),
        ({**BASE, "hook_event_name": "Notification"}, OTHER, {}),
    ],
)  # fmt: skip
def test_parse(payload: dict[str, object], kind: str, checks: dict[str, object]) -> None:
    event = ADAPTER.parse(payload)
    assert event.kind == kind
    for name, value in checks.items():
        assert getattr(event, name) == value


@pytest.mark.parametrize(
    "payload", [{}, {"hook_event_name": "BeforeTool", "session_id": "s"}, {"session_id": "s"}]
)
def test_malformed(payload: dict[str, object]) -> None:
    with pytest.raises(ParseError):
        ADAPTER.parse(payload)


@pytest.mark.parametrize(("outcome", "stdout"), [(ALLOW, ""), (DENY, "deny"), (ASK, "deny")])
def test_render(outcome: str, stdout: str) -> None:
    reply = ADAPTER.render(ADAPTER.parse(BEFORE), HookAnswer(outcome, "why"))
    assert reply.exit_code == 0
    if stdout:
        assert json.loads(reply.stdout) == {"decision": "deny", "reason": "why"}
    else:
        assert reply.stdout == ""


def test_no_native_ask_and_unavailable() -> None:
    assert not ADAPTER.can_ask(ADAPTER.parse(BEFORE))
    assert ADAPTER.unavailable("BeforeTool", "down", closed=True).exit_code == 2
    assert ADAPTER.unavailable("AfterTool", "down", closed=True).exit_code == 0
