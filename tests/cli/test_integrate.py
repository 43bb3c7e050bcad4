import json
from pathlib import Path

from tests.support.agentd_env import AgentdHome, make_home

# A Claude Code user's own settings, as they might have written them: their own env, a
# PreToolUse hook of their own, permissions, unusual indentation, unicode, no final newline.
CLAUDE_SETTINGS = """{
   "model": "claude-sonnet-4-5",
   "env": {
      "FOO": "bär",
      "HTTPS_PROXY": "http://corp-proxy:3128"
   },
   "permissions": {"allow": ["Bash(npm test:*)"], "deny": ["Read(./.env)"]},
   "hooks": {
      "PreToolUse": [
         {"matcher": "Bash", "hooks": [{"type": "command", "command": "~/bin/audit-bash.sh", "timeout": 5}]}
      ],
      "Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]
   }
}"""


def _home(tmp_path: Path, port: int = 18899) -> tuple[AgentdHome, Path]:
    (tmp_path / "agentd").mkdir()
    home = make_home(tmp_path / "agentd")
    paths = f'[paths]\nstate_dir = "{home.state_dir}"\nrun_dir = "{home.run_dir}"\n'
    home.config.write_text(f"{paths}\n[proxy]\nlisten_port = {port}\n")
    user_home = tmp_path / "home"
    user_home.mkdir()
    return home, user_home


def _run(home: AgentdHome, user_home: Path, *args: str):  # type: ignore[no-untyped-def]
    env = home.env(HOME=str(user_home))
    for var in ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "GEMINI_CLI_HOME", "AGENTD_BIN"):
        env.pop(var, None)
    return home.run("integrate", *args, env=env)


def test_claude_code_settings_keep_the_users_own_and_uninstall_restores_them_exactly(tmp_path: Path) -> None:
    home, user_home = _home(tmp_path)
    settings = user_home / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(CLAUDE_SETTINGS)

    result = _run(home, user_home, "--agent", "claude-code")
    assert result.returncode == 0, result.stderr
    assert "claude-code  updated" in result.stdout
    assert "replaced HTTPS_PROXY (was http://corp-proxy:3128)" in result.stdout

    merged = json.loads(settings.read_text())
    assert merged["model"] == "claude-sonnet-4-5"
    assert merged["permissions"] == {"allow": ["Bash(npm test:*)"], "deny": ["Read(./.env)"]}
    assert merged["env"]["FOO"] == "bär"
    assert merged["env"]["HTTPS_PROXY"] == "http://127.0.0.1:18899"
    assert merged["env"]["NODE_EXTRA_CA_CERTS"] == str(home.state_dir / "ca" / "mitmproxy-ca-cert.pem")
    pre = [h["command"] for group in merged["hooks"]["PreToolUse"] for h in group["hooks"]]
    assert pre[0] == "~/bin/audit-bash.sh"
    assert pre[1].endswith("hook claude-code")
    assert merged["hooks"]["Stop"] == [{"hooks": [{"type": "command", "command": "notify-send done"}]}]
    for event in ("PostToolUse", "UserPromptSubmit"):
        assert merged["hooks"][event][0]["hooks"][0]["command"] == pre[1]

    again = _run(home, user_home, "--agent", "claude-code")
    assert "unchanged" in again.stdout

    result = _run(home, user_home, "--agent", "claude-code", "--uninstall")
    assert result.returncode == 0, result.stderr
    assert "restored" in result.stdout
    assert settings.read_text() == CLAUDE_SETTINGS
    assert sorted(p.name for p in settings.parent.iterdir()) == ["settings.json"]


def test_all_agents_json_output_and_a_clean_home_afterwards(tmp_path: Path) -> None:
    home, user_home = _home(tmp_path)
    result = _run(home, user_home, "--json")
    assert result.returncode == 0, result.stderr
    changes = [json.loads(line) for line in result.stdout.splitlines()]
    assert {(c["agent"], Path(c["path"]).name, c["action"]) for c in changes} == {
        ("claude-code", "settings.json", "created"),
        ("codex", "hooks.json", "created"),
        ("gemini-cli", "settings.json", "created"),
        ("gemini-cli", ".env", "created"),
    }
    hooks = json.loads((user_home / ".codex" / "hooks.json").read_text())
    assert set(hooks) == {"hooks"}, "Codex refuses unknown top-level keys"
    result = _run(home, user_home, "--uninstall", "--json")
    assert result.returncode == 0, result.stderr
    assert {json.loads(line)["action"] for line in result.stdout.splitlines()} == {"restored"}
    assert list(user_home.iterdir()) == []


def test_a_broken_settings_file_is_reported_and_left_alone_while_others_proceed(tmp_path: Path) -> None:
    home, user_home = _home(tmp_path)
    settings = user_home / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text('{"model": "opus",')
    result = _run(home, user_home)
    assert result.returncode == 1
    assert "claude-code  failed" in result.stdout
    assert "not valid JSON at line 1" in result.stdout
    assert settings.read_text() == '{"model": "opus",'
    assert (user_home / ".codex" / "hooks.json").exists()


def test_system_scope_into_a_root_prefix(tmp_path: Path) -> None:
    home, user_home = _home(tmp_path)
    image = tmp_path / "image"
    image.mkdir()
    result = _run(home, user_home, "--system", "--root", str(image), "--agentd-path", "/usr/bin/agentd")
    assert result.returncode == 0, result.stderr
    managed = json.loads((image / "etc" / "claude-code" / "managed-settings.json").read_text())
    assert managed["env"]["NODE_EXTRA_CA_CERTS"] == "/usr/local/share/ca-certificates/agentd-ca.crt"
    assert managed["hooks"]["PreToolUse"][0]["hooks"][0]["command"] == "/usr/bin/agentd hook claude-code"
    assert "/usr/bin/agentd hook codex" in (image / "etc" / "codex" / "requirements.toml").read_text()
    assert list(user_home.iterdir()) == [], "system scope leaves the user's files alone"
    result = _run(home, user_home, "--system", "--root", str(image), "--uninstall")
    assert result.returncode == 0, result.stderr
    assert list(image.iterdir()) == []


def test_a_port_picked_at_start_needs_the_running_daemon(tmp_path: Path) -> None:
    home, user_home = _home(tmp_path, port=0)
    result = _run(home, user_home, "--agent", "claude-code")
    assert result.returncode == 1
    assert "listen_port = 0" in result.stdout
    assert list(user_home.iterdir()) == []
