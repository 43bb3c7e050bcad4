import json

from agentd.capture.hooks.codex import ADAPTER
from agentd.capture.hooks.protocol import ASK, DENY, PRE_TOOL, HookAnswer

PRE = {
    "session_id": "s",
    "turn_id": "t1",
    "cwd": "/w",
    "hook_event_name": "PreToolUse",
    "model": "gpt-5",
    "permission_mode": "default",
    "tool_name": "apply_patch",
    "tool_input": {"command": "*** Begin Patch\n*** End Patch"},
    "tool_use_id": "call_1",
}


def test_codex_speaks_the_claude_code_schema() -> None:
    event = ADAPTER.parse(PRE)
    assert (event.agent, event.kind, event.tool, event.call_id) == (
        "codex",
        PRE_TOOL,
        "apply_patch",
        "call_1",
    )
    reply = ADAPTER.render(event, HookAnswer(DENY, "no"))
    assert json.loads(reply.stdout)["hookSpecificOutput"]["permissionDecision"] == "deny"


def test_codex_cannot_ask_so_approvals_go_through_agentd() -> None:
    event = ADAPTER.parse(PRE)
    assert not ADAPTER.can_ask(event)
    assert (
        json.loads(ADAPTER.render(event, HookAnswer(ASK, "x")).stdout)["hookSpecificOutput"][
            "permissionDecision"
        ]
        == "ask"
    )
    assert ADAPTER.unavailable("PreToolUse", "down", closed=True).exit_code == 2
