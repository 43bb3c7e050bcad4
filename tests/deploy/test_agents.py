import tomllib
from pathlib import Path

import pytest

from agentd.deploy import textblock
from agentd.deploy.agents import (
    JsonSettings,
    Places,
    Scope,
    TextBlock,
    hook_binary,
    hook_command,
    is_agentd_hook,
    plan,
    system_settings,
    user_dir,
)
from agentd.events import AgentKind

HOME = Path("/home/dev")
ROOT = Path("/")
LAUNCHER = ["/usr/bin/agentd"]


def _plan(agent: AgentKind, scope: Scope, platform: str = "linux", **environ: str):  # type: ignore[no-untyped-def]
    places = Places(home=HOME, root=ROOT, platform=platform, environ=environ)
    return plan(
        agent, scope, places, agentd=LAUNCHER, proxy_url="http://127.0.0.1:8899", ca_cert=Path("/ca.pem")
    )


@pytest.mark.parametrize(
    ("agent", "scope", "platform", "paths", "events"),
    [
        (
            AgentKind.CLAUDE_CODE,
            Scope.USER,
            "linux",
            ["/home/dev/.claude/settings.json"],
            {"PreToolUse", "PostToolUse", "UserPromptSubmit"},
        ),
        (
            AgentKind.CLAUDE_CODE,
            Scope.SYSTEM,
            "linux",
            ["/etc/claude-code/managed-settings.json"],
            {"PreToolUse", "PostToolUse", "UserPromptSubmit"},
        ),
        (
            AgentKind.CLAUDE_CODE,
            Scope.SYSTEM,
            "darwin",
            ["/Library/Application Support/ClaudeCode/managed-settings.json"],
            {"PreToolUse", "PostToolUse", "UserPromptSubmit"},
        ),
        (
            AgentKind.CODEX,
            Scope.USER,
            "linux",
            ["/home/dev/.codex/hooks.json"],
            {"PreToolUse", "PostToolUse", "UserPromptSubmit"},
        ),
        (AgentKind.CODEX, Scope.SYSTEM, "darwin", ["/etc/codex/requirements.toml"], set()),
        (
            AgentKind.GEMINI_CLI,
            Scope.USER,
            "linux",
            ["/home/dev/.gemini/settings.json", "/home/dev/.gemini/.env"],
            {"BeforeTool", "AfterTool", "BeforeAgent"},
        ),
        (
            AgentKind.GEMINI_CLI,
            Scope.SYSTEM,
            "linux",
            ["/etc/gemini-cli/settings.json"],
            {"BeforeTool", "AfterTool", "BeforeAgent"},
        ),
        (
            AgentKind.GEMINI_CLI,
            Scope.SYSTEM,
            "darwin",
            ["/Library/Application Support/GeminiCli/settings.json"],
            {"BeforeTool", "AfterTool", "BeforeAgent"},
        ),
    ],
)
def test_plan_names_the_agents_own_files_and_events(
    agent: AgentKind, scope: Scope, platform: str, paths: list[str], events: set[str]
) -> None:
    integration = _plan(agent, scope, platform)
    assert [str(e.path) for e in integration.edits] == paths
    json_edits = [e for e in integration.edits if isinstance(e, JsonSettings)]
    assert {event for e in json_edits for event in e.hooks} == events
    for edit in json_edits:
        for group in edit.hooks.values():
            [handler] = group["hooks"]
            assert handler["type"] == "command"
            assert is_agentd_hook(handler["command"], agent)


def test_only_claude_code_takes_env_from_its_settings() -> None:
    claude = _plan(AgentKind.CLAUDE_CODE, Scope.USER).edits[0]
    assert isinstance(claude, JsonSettings)
    assert claude.env == {"HTTPS_PROXY": "http://127.0.0.1:8899", "NODE_EXTRA_CA_CERTS": "/ca.pem"}
    codex = _plan(AgentKind.CODEX, Scope.USER)
    assert all(isinstance(e, JsonSettings) and not e.env for e in codex.edits)
    assert any("agentd env --agent codex" in note for note in codex.notes)


def test_gemini_gets_its_environment_from_a_dotenv_block() -> None:
    dotenv = _plan(AgentKind.GEMINI_CLI, Scope.USER).edits[1]
    assert isinstance(dotenv, TextBlock)
    assert dotenv.lines == ("HTTPS_PROXY=http://127.0.0.1:8899", "NODE_EXTRA_CA_CERTS=/ca.pem")


def test_gemini_hook_timeouts_are_milliseconds() -> None:
    edit = _plan(AgentKind.GEMINI_CLI, Scope.USER).edits[0]
    assert isinstance(edit, JsonSettings)
    assert edit.hooks["BeforeTool"]["hooks"][0]["timeout"] == 30_000


def test_codex_managed_hooks_are_valid_toml_with_the_hooks_schema() -> None:
    [block] = _plan(AgentKind.CODEX, Scope.SYSTEM).edits
    assert isinstance(block, TextBlock)
    document = tomllib.loads(textblock.render(block.lines))
    handler = document["hooks"]["PreToolUse"][0]["hooks"][0]
    assert handler == {"type": "command", "command": "/usr/bin/agentd hook codex", "timeout": 30}
    existing = '[features]\nhooks = true\n\n[[hooks.PreToolUse]]\nmatcher = "Bash"\n'
    merged, _ = textblock.insert(existing, block.lines)
    assert len(tomllib.loads(merged)["hooks"]["PreToolUse"]) == 2


@pytest.mark.parametrize(
    ("agent", "environ", "expected"),
    [
        (AgentKind.CLAUDE_CODE, {"CLAUDE_CONFIG_DIR": "/cfg/claude"}, "/cfg/claude"),
        (AgentKind.CODEX, {"CODEX_HOME": "/cfg/codex"}, "/cfg/codex"),
        (AgentKind.GEMINI_CLI, {"GEMINI_CLI_HOME": "/cfg"}, "/cfg/.gemini"),
        (AgentKind.GEMINI_CLI, {"GEMINI_CLI_HOME": ""}, "/home/dev/.gemini"),
    ],
)
def test_relocation_variables_are_honoured(agent: AgentKind, environ: dict[str, str], expected: str) -> None:
    assert str(user_dir(agent, Places(home=HOME, environ=environ))) == expected


def test_system_files_live_under_the_root_prefix() -> None:
    places = Places(home=HOME, root=Path("/image"))
    assert system_settings(AgentKind.CODEX, places) == Path("/image/etc/codex/requirements.toml")


@pytest.mark.parametrize(
    ("command", "agent", "ours"),
    [
        ("/usr/bin/agentd hook claude-code", AgentKind.CLAUDE_CODE, True),
        ("agentd hook claude-code", AgentKind.CLAUDE_CODE, True),
        ("'/opt/my tools/agentd' hook codex", AgentKind.CODEX, True),
        ("/venv/bin/python -m agentd hook gemini-cli", AgentKind.GEMINI_CLI, True),
        ("/usr/bin/agentd hook codex", AgentKind.CLAUDE_CODE, False),
        ("/usr/bin/not-agentd hook claude-code", AgentKind.CLAUDE_CODE, False),
        ("/usr/bin/agentd hook claude-code --extra", AgentKind.CLAUDE_CODE, False),
        ("sh -c 'agentd hook claude-code'", AgentKind.CLAUDE_CODE, False),
        ("agentd 'unterminated", AgentKind.CLAUDE_CODE, False),
        ("", AgentKind.CLAUDE_CODE, False),
        (None, AgentKind.CLAUDE_CODE, False),
        (["agentd", "hook", "claude-code"], AgentKind.CLAUDE_CODE, False),
    ],
)
def test_is_agentd_hook(command: object, agent: AgentKind, ours: bool) -> None:
    assert is_agentd_hook(command, agent) is ours


def test_hook_command_quotes_paths_and_splits_back() -> None:
    command = hook_command(["/opt/my tools/agentd"], AgentKind.CODEX)
    assert command == "'/opt/my tools/agentd' hook codex"
    assert hook_binary(command) == ["/opt/my tools/agentd"]
