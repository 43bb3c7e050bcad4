import json

import pytest

from agentd.capture.hooks.claude_code import ADAPTER
from agentd.capture.hooks.protocol import ALLOW, ASK, DENY, OTHER, POST_TOOL, PRE_TOOL, PROMPT, HookAnswer
from agentd.errors import ParseError

BASE = {
    "session_id": "abc",
    "transcript_path": "/t.jsonl",
    "cwd": "/home/dev/p",
    "permission_mode": "default",
}
PRE = {
    **BASE,
    "hook_event_name": "PreToolUse",
    "tool_name": "Bash",
    "tool_input": {"command": "npm test", "description": "Run tests"},
    "tool_use_id": "toolu_01ABC",
}


@pytest.mark.parametrize(
    ("payload", "kind", "checks"),
    [
        (PRE, PRE_TOOL, {"tool": "Bash", "call_id": "toolu_01ABC", "cwd": "/home/dev/p"}),
        (
            {**BASE, "hook_event_name": "PostToolUse", "tool_name": "Write", "tool_use_id": "t",
             "tool_input": {"file_path": "/a"}, "tool_response": {"filePath": "/a", "success": True}},
            POST_TOOL,
            {"output": '{"filePath":"/a","success":true}', "is_error": False},
        ),
        (
            {**BASE, "hook_event_name": "PostToolUseFailure", "tool_name": "Bash", "error": "exit 1"},
            POST_TOOL,
            {"output": "exit 1", "is_error": True},
        ),
        ({**BASE, "hook_event_name": "UserPromptSubmit", "prompt": "fix it"}, PROMPT, {"prompt": "fix it"}),
        ({**BASE, "hook_event_name": "SessionStart", "source": "startup"}, OTHER, {"tool": None}),
    ],
)  # fmt: skip
def test_parse(payload: dict[str, object], kind: str, checks: dict[str, object]) -> None:
    event = ADAPTER.parse(payload)
    assert event.kind == kind
    assert event.session_id == "abc"
    assert event.agent == "claude-code"
    for name, value in checks.items():
        assert getattr(event, name) == value


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"session_id": "s"},
        {"hook_event_name": "PreToolUse"},
        {"session_id": 3, "hook_event_name": "PreToolUse"},
        {"session_id": "s", "hook_event_name": "PreToolUse"},  # no tool_name
        {"session_id": "s", "hook_event_name": ["PreToolUse"], "tool_name": "Bash"},
    ],
)
def test_malformed_payloads_are_parse_errors(payload: dict[str, object]) -> None:
    with pytest.raises(ParseError):
        ADAPTER.parse(payload)


def test_allow_says_nothing_so_claude_codes_own_permissions_still_apply() -> None:
    reply = ADAPTER.render(ADAPTER.parse(PRE), HookAnswer(ALLOW))
    assert (reply.stdout, reply.exit_code) == ("", 0)


@pytest.mark.parametrize("outcome", [DENY, ASK])
def test_deny_and_ask(outcome: str) -> None:
    reply = ADAPTER.render(ADAPTER.parse(PRE), HookAnswer(outcome, "agentd denied this call: reason"))
    assert reply.exit_code == 0
    assert json.loads(reply.stdout) == {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": outcome,
            "permissionDecisionReason": "agentd denied this call: reason",
        }
    }


def test_prompts_and_results_are_never_refused() -> None:
    prompt = ADAPTER.parse({**BASE, "hook_event_name": "UserPromptSubmit", "prompt": "x"})
    assert ADAPTER.render(prompt, HookAnswer(DENY, "no")).stdout == ""
    assert ADAPTER.can_ask(ADAPTER.parse(PRE))
    assert not ADAPTER.can_ask(prompt)


def test_unavailable() -> None:
    closed = ADAPTER.unavailable("PreToolUse", "agentd is down", closed=True)
    assert (closed.exit_code, closed.stderr, closed.stdout) == (2, "agentd is down", "")
    assert ADAPTER.unavailable("PreToolUse", "down", closed=False).exit_code == 0
    assert ADAPTER.unavailable("UserPromptSubmit", "down", closed=True).exit_code == 0
    assert ADAPTER.unavailable(None, "down", closed=True).exit_code == 2  # cannot tell: closed blocks
    assert ADAPTER.unavailable(None, "down", closed=False).exit_code == 0
