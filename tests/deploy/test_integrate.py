import json
import stat
from pathlib import Path

import pytest

from agentd.deploy.agents import (
    Integration,
    IntegrationError,
    JsonSettings,
    Places,
    Scope,
    TextBlock,
    plan,
)
from agentd.deploy.integrate import Action, describe, install, record_path, uninstall
from agentd.events import AgentKind
from tests.support import secrets

LAUNCHER = ["/usr/bin/agentd"]
URL = "http://127.0.0.1:8899"

USER_SETTINGS = """{
    "model": "opus",
    "env": {"FOO": "bar"},
    "hooks": {
        "PreToolUse": [
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "~/bin/guard.sh"}]}
        ]
    }
}
"""


def _claude(home: Path, scope: Scope = Scope.USER) -> Integration:
    places = Places(home=home, root=home / "root")
    return plan(AgentKind.CLAUDE_CODE, scope, places, agentd=LAUNCHER, proxy_url=URL, ca_cert=Path("/ca.pem"))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_existing_settings_keep_the_users_entries_and_come_back_byte_for_byte(tmp_path: Path) -> None:
    settings = tmp_path / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(USER_SETTINGS)
    settings.chmod(0o640)
    [change] = install(_claude(tmp_path))
    assert change.action is Action.UPDATED
    merged = json.loads(settings.read_text())
    assert merged["model"] == "opus"
    assert merged["env"] == {"FOO": "bar", "HTTPS_PROXY": URL, "NODE_EXTRA_CA_CERTS": "/ca.pem"}
    commands = [h["command"] for g in merged["hooks"]["PreToolUse"] for h in g["hooks"]]
    assert commands == ["~/bin/guard.sh", "/usr/bin/agentd hook claude-code"]
    assert set(merged["hooks"]) == {"PreToolUse", "PostToolUse", "UserPromptSubmit"}
    assert _mode(settings) == 0o640, "the file keeps its permissions"
    assert _mode(record_path(settings)) == 0o600
    assert settings.read_text().startswith('{\n    "model"'), "written in the file's own indentation"

    [change] = uninstall(_claude(tmp_path))
    assert change.action is Action.RESTORED
    assert settings.read_text() == USER_SETTINGS
    assert sorted(p.name for p in settings.parent.iterdir()) == ["settings.json"]


def test_a_file_agentd_created_is_removed_with_the_directories_it_made(tmp_path: Path) -> None:
    [change] = install(_claude(tmp_path))
    assert change.action is Action.CREATED
    settings = tmp_path / ".claude" / "settings.json"
    assert _mode(settings) == 0o600
    assert _mode(settings.parent) == 0o700
    [change] = uninstall(_claude(tmp_path))
    assert change.action is Action.RESTORED
    assert list(tmp_path.iterdir()) == []


def test_system_scope_files_are_world_readable(tmp_path: Path) -> None:
    install(_claude(tmp_path, Scope.SYSTEM))
    managed = tmp_path / "root" / "etc" / "claude-code" / "managed-settings.json"
    assert _mode(managed) == 0o644
    assert _mode(managed.parent) == 0o755
    uninstall(_claude(tmp_path, Scope.SYSTEM))
    assert not (tmp_path / "root").exists()


def test_reinstall_changes_nothing_and_uninstall_still_restores(tmp_path: Path) -> None:
    settings = tmp_path / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(USER_SETTINGS)
    install(_claude(tmp_path))
    written = settings.read_bytes()
    [change] = install(_claude(tmp_path))
    assert change.action is Action.UNCHANGED
    assert settings.read_bytes() == written
    uninstall(_claude(tmp_path))
    assert settings.read_text() == USER_SETTINGS


def test_edits_made_after_install_survive_uninstall(tmp_path: Path) -> None:
    settings = tmp_path / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(USER_SETTINGS)
    install(_claude(tmp_path))
    merged = json.loads(settings.read_text())
    merged["permissions"] = {"allow": ["Bash(ls:*)"]}
    settings.write_text(json.dumps(merged, indent=2))
    [change] = uninstall(_claude(tmp_path))
    assert change.action is Action.CLEANED
    cleaned = json.loads(settings.read_text())
    assert cleaned == {**json.loads(USER_SETTINGS), "permissions": {"allow": ["Bash(ls:*)"]}}
    assert not record_path(settings).exists()


def test_reinstall_after_user_edits_then_uninstall_keeps_those_edits(tmp_path: Path) -> None:
    settings = tmp_path / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(USER_SETTINGS)
    install(_claude(tmp_path))
    merged = json.loads(settings.read_text())
    merged["model"] = "sonnet"
    settings.write_text(json.dumps(merged, indent=4) + "\n")
    install(_claude(tmp_path))
    uninstall(_claude(tmp_path))
    assert json.loads(settings.read_text()) == {**json.loads(USER_SETTINGS), "model": "sonnet"}


def test_without_its_record_agentd_still_finds_and_removes_its_entries(tmp_path: Path) -> None:
    settings = tmp_path / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(USER_SETTINGS)
    install(_claude(tmp_path))
    record_path(settings).unlink()
    [change] = uninstall(_claude(tmp_path))
    assert change.action is Action.CLEANED
    assert json.loads(settings.read_text()) == json.loads(USER_SETTINGS)


def test_a_damaged_record_is_ignored(tmp_path: Path) -> None:
    settings = tmp_path / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(USER_SETTINGS)
    install(_claude(tmp_path))
    record_path(settings).write_text("{truncated")
    uninstall(_claude(tmp_path))
    assert json.loads(settings.read_text()) == json.loads(USER_SETTINGS)


def test_a_replaced_proxy_comes_back_and_its_credentials_stay_out_of_the_warning(tmp_path: Path) -> None:
    settings = tmp_path / ".claude" / "settings.json"
    settings.parent.mkdir()
    secret = secrets.password("corp-proxy")
    original = json.dumps({"env": {"HTTPS_PROXY": f"http://alice:{secret}@corp:3128"}})
    settings.write_text(original)
    [change] = install(_claude(tmp_path))
    assert any("was http://***@corp:3128" in w for w in change.warnings)
    assert all(secret not in w for w in change.warnings)
    assert 'upstream_proxy = "http://***@corp:3128"' in change.warnings[0]
    uninstall(_claude(tmp_path))
    assert settings.read_text() == original


def test_a_symlinked_settings_file_is_edited_where_it_lives(tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles" / "claude-settings.json"
    dotfiles.parent.mkdir()
    dotfiles.write_text(USER_SETTINGS)
    link = tmp_path / ".claude" / "settings.json"
    link.parent.mkdir()
    link.symlink_to(dotfiles)
    install(_claude(tmp_path))
    assert link.is_symlink()
    assert "agentd hook" in dotfiles.read_text()
    uninstall(_claude(tmp_path))
    assert link.is_symlink()
    assert dotfiles.read_text() == USER_SETTINGS


@pytest.mark.parametrize("content", ["{not json", "[]", '{"hooks": "x"}', "\xff"])
def test_unmergeable_files_are_left_untouched(tmp_path: Path, content: str) -> None:
    settings = tmp_path / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_bytes(content.encode("latin-1") if content == "\xff" else content.encode())
    before = settings.read_bytes()
    [change] = install(_claude(tmp_path))
    assert change.action is Action.FAILED
    assert str(settings) in change.detail
    assert settings.read_bytes() == before
    assert not record_path(settings).exists()


def test_a_file_that_turned_unreadable_fails_alone(tmp_path: Path) -> None:
    install(_claude(tmp_path))
    settings = tmp_path / ".claude" / "settings.json"
    settings.write_text("{broken")
    [change] = uninstall(_claude(tmp_path))
    assert change.action is Action.FAILED
    assert settings.read_text() == "{broken"


@pytest.mark.parametrize(
    ("exc", "text"),
    [
        (
            PermissionError(13, "Permission denied", "/etc/codex/requirements.toml"),
            "permission denied: /etc/codex",
        ),
        (IsADirectoryError(21, "Is a directory", "/x/settings.json"), "Is a directory: /x/settings.json"),
        (IntegrationError("x.json is not valid JSON"), "x.json is not valid JSON"),
    ],
)
def test_describe(exc: Exception, text: str) -> None:
    assert describe(exc).startswith(text)


def test_a_directory_where_the_settings_file_should_be_fails_alone(tmp_path: Path) -> None:
    (tmp_path / ".claude" / "settings.json").mkdir(parents=True)
    [change] = install(_claude(tmp_path))
    assert change.action is Action.FAILED
    assert "directory" in change.detail.lower()


@pytest.mark.parametrize("original", [None, "", "GEMINI_API_KEY=private-value\n", "A=1"])
def test_text_blocks_round_trip_without_copying_the_file(tmp_path: Path, original: str | None) -> None:
    dotenv = tmp_path / ".env"
    if original is not None:
        dotenv.write_text(original)
    integration = Integration(AgentKind.GEMINI_CLI, Scope.USER, (TextBlock(dotenv, ("X=1",)),))
    install(integration)
    assert "X=1" in dotenv.read_text()
    record = record_path(dotenv).read_text()
    assert "GEMINI_API_KEY" not in record
    assert "private-value" not in record
    uninstall(integration)
    if original is None:
        assert not dotenv.exists()
    else:
        assert dotenv.read_text() == original
    assert not record_path(dotenv).exists()


def test_uninstall_without_a_file_is_a_no_op(tmp_path: Path) -> None:
    [change] = uninstall(_claude(tmp_path))
    assert change.action is Action.UNCHANGED


def test_every_agent_round_trips_in_both_scopes(tmp_path: Path) -> None:
    (tmp_path / ".codex").mkdir()
    (tmp_path / ".codex" / "hooks.json").write_text('{"hooks": {}}')
    system_codex = tmp_path / "root" / "etc" / "codex" / "requirements.toml"
    system_codex.parent.mkdir(parents=True)
    system_codex.write_text("[features]\nhooks = true")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    places = Places(home=tmp_path, root=tmp_path / "root")
    integrations = [
        plan(agent, scope, places, agentd=LAUNCHER, proxy_url=URL, ca_cert=Path("/ca.pem"))
        for agent in (AgentKind.CLAUDE_CODE, AgentKind.CODEX, AgentKind.GEMINI_CLI)
        for scope in Scope
    ]
    for integration in integrations:
        install(integration)
    assert "[[hooks.PreToolUse.hooks]]" in system_codex.read_text()
    for integration in integrations:
        for change in uninstall(integration):
            assert change.action is Action.RESTORED, change
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before


def test_json_settings_edit_with_only_hooks(tmp_path: Path) -> None:
    path = tmp_path / "hooks.json"
    edit = JsonSettings(
        path, {}, {"Stop": {"hooks": [{"type": "command", "command": "/x/agentd hook codex"}]}}
    )
    integration = Integration(AgentKind.CODEX, Scope.USER, (edit,))
    install(integration)
    assert json.loads(path.read_text()) == {"hooks": {"Stop": [edit.hooks["Stop"]]}}
    uninstall(integration)
    assert not path.exists()
