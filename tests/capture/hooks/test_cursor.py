import json

import pytest

from agentd.capture.hooks.cursor import ADAPTER
from agentd.capture.hooks.protocol import ALLOW, ASK, DENY, OTHER, POST_TOOL, PRE_TOOL, PROMPT, HookAnswer
from agentd.errors import ParseError

BASE_ROOT = "/home/dev/p"
BASE = {"conversation_id": "c1", "generation_id": "g1", "workspace_roots": [BASE_ROOT]}
SHELL = {**BASE, "hook_event_name": "beforeShellExecution", "command": "rm -rf /srv", "cwd": "/home/dev/p"}
MCP = {
    **BASE,
    "hook_event_name": "beforeMCPExecution",
    "tool_name": "create_issue",
    "tool_input": '{"title": "x"}',
    "url": "https://mcp.example.com/mcp",
}
READ = {**BASE, "hook_event_name": "beforeReadFile", "file_path": "/home/dev/.env", "content": "SECRET=1"}


@pytest.mark.parametrize(
    ("payload", "kind", "checks"),
    [
        (SHELL, PRE_TOOL, {"tool": "Shell", "tool_input": {"command": "rm -rf /srv", "cwd": BASE_ROOT}}),
        (MCP, PRE_TOOL, {"tool": "create_issue", "tool_input": {"title": "x"}, "server": "mcp.example.com"}),
        ({**MCP, "url": None, "command": "/usr/bin/npx -y @x/server"}, PRE_TOOL, {"server": "npx"}),
        (READ, PRE_TOOL, {"tool": "Read", "tool_input": {"file_path": "/home/dev/.env"}, "cwd": BASE_ROOT}),
        ({**BASE, "hook_event_name": "preToolUse", "tool_name": "Write", "tool_input": {"file_path": "a"}},
         PRE_TOOL, {"tool": "Write"}),
        ({**BASE, "hook_event_name": "afterShellExecution", "command": "ls", "output": "a b"},
         POST_TOOL, {"output": "a b"}),
        ({**BASE, "hook_event_name": "beforeSubmitPrompt", "prompt": "hello"}, PROMPT, {"prompt": "hello"}),
        ({**BASE, "hook_event_name": "stop", "status": "completed"}, OTHER, {}),
    ],
)  # fmt: skip
def test_parse(payload: dict[str, object], kind: str, checks: dict[str, object]) -> None:
    event = ADAPTER.parse(payload)
    assert event.kind == kind
    assert event.session_id == "c1"
    for name, value in checks.items():
        assert getattr(event, name) == value


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"hook_event_name": "beforeShellExecution"},
        {**BASE, "hook_event_name": "beforeShellExecution"},
        {**BASE, "hook_event_name": "beforeReadFile"},
        {**BASE, "hook_event_name": "beforeMCPExecution"},
    ],
)
def test_malformed(payload: dict[str, object]) -> None:
    with pytest.raises(ParseError):
        ADAPTER.parse(payload)


@pytest.mark.parametrize(
    ("payload", "outcome", "expected"),
    [
        (SHELL, ALLOW, {"permission": "allow"}),
        (SHELL, DENY, {"permission": "deny", "user_message": "why", "agent_message": "why"}),
        (SHELL, ASK, {"permission": "ask", "user_message": "why", "agent_message": "why"}),
        (
            READ,
            ASK,
            {"permission": "deny", "user_message": "why", "agent_message": "why"},
        ),  # reads: allow/deny only
        ({**BASE, "hook_event_name": "beforeSubmitPrompt", "prompt": "x"}, DENY, {"continue": True}),
        ({**BASE, "hook_event_name": "stop"}, ALLOW, {}),
    ],
)
def test_render(payload: dict[str, object], outcome: str, expected: dict[str, object]) -> None:
    reply = ADAPTER.render(ADAPTER.parse(payload), HookAnswer(outcome, "why"))
    assert reply.exit_code == 0
    assert json.loads(reply.stdout) == expected


def test_unavailable_answers_every_before_event() -> None:
    assert json.loads(ADAPTER.unavailable("beforeShellExecution", "down", closed=False).stdout) == {
        "permission": "allow"
    }
    assert ADAPTER.unavailable("beforeShellExecution", "down", closed=True).exit_code == 2
    assert json.loads(ADAPTER.unavailable("beforeSubmitPrompt", "down", closed=True).stdout) == {
        "continue": True
    }
    assert ADAPTER.can_ask(ADAPTER.parse(SHELL))
    assert not ADAPTER.can_ask(ADAPTER.parse(READ))
