import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agentd.capture.files.configs import MemoryStore
from agentd.capture.files.inotify import InotifyBackend
from agentd.capture.files.watcher import FileWatcher, build
from agentd.clock import SystemClock
from agentd.config import Settings, WatchSettings
from agentd.events import AgentKind, ConfigChange, FileOperation, Stamper
from tests.capture.files.conftest import FakeHost, ListSink, Watching, start_watcher
from tests.support import secrets
from tests.support.agentd_env import AgentdHome, wait_until
from tests.support.background import serving

SECRET = secrets.github_pat("watch")
OTHER_SECRET = secrets.slack_bot_token("watch")


def json_servers(key: str, name: str, entry: dict[str, Any]) -> str:
    return json.dumps({key: {name: entry}})


def stdio(secret: str = SECRET, extra_env: str = "GITHUB_TOKEN") -> dict[str, Any]:
    return {
        "command": "npx",
        "args": ["-y", "@modelcontextprotocol/server-github"],
        "env": {extra_env: secret},
    }


def codex_toml(name: str, secret: str = SECRET, extra_env: str = "GITHUB_TOKEN") -> str:
    return (
        f'[mcp_servers.{name}]\ncommand = "npx"\nargs = ["-y", "server"]\n'
        f'env = {{ {extra_env} = "{secret}" }}\n'
    )


# (where, relative path, agent, scope, transport, writer(name, secret, env name))
Writer = Callable[[str, str, str], str]
CASES: list[tuple[str, str, AgentKind, str, str, Writer]] = [
    (
        "home",
        ".claude.json",
        AgentKind.CLAUDE_CODE,
        "user",
        "stdio",
        lambda n, s, e: json_servers("mcpServers", n, stdio(s, e)),
    ),
    (
        "project",
        ".mcp.json",
        AgentKind.CLAUDE_CODE,
        "project",
        "stdio",
        lambda n, s, e: json_servers("mcpServers", n, stdio(s, e)),
    ),
    ("home", ".codex/config.toml", AgentKind.CODEX, "user", "stdio", codex_toml),
    ("project", ".codex/config.toml", AgentKind.CODEX, "project", "stdio", codex_toml),
    (
        "home",
        ".gemini/settings.json",
        AgentKind.GEMINI_CLI,
        "user",
        "http",
        lambda n, s, e: json_servers("mcpServers", n, {"httpUrl": "https://g.example/mcp", "env": {e: s}}),
    ),
    (
        "project",
        ".gemini/settings.json",
        AgentKind.GEMINI_CLI,
        "project",
        "sse",
        lambda n, s, e: json_servers("mcpServers", n, {"url": "https://g.example/sse", "headers": {e: s}}),
    ),
    (
        "home",
        ".cursor/mcp.json",
        AgentKind.CURSOR,
        "user",
        "stdio",
        lambda n, s, e: json_servers("mcpServers", n, stdio(s, e)),
    ),
    (
        "project",
        ".cursor/mcp.json",
        AgentKind.CURSOR,
        "project",
        "stdio",
        lambda n, s, e: json_servers("mcpServers", n, stdio(s, e)),
    ),
    (
        "home",
        ".config/Code/User/mcp.json",
        AgentKind.COPILOT,
        "user (vscode)",
        "stdio",
        lambda n, s, e: json_servers("servers", n, {"type": "stdio", **stdio(s, e)}),
    ),
    (
        "project",
        ".vscode/mcp.json",
        AgentKind.COPILOT,
        "project (vscode)",
        "http",
        lambda n, s, e: json_servers(
            "servers", n, {"type": "http", "url": "https://v.example/mcp", "headers": {e: s}}
        ),
    ),
    (
        "home",
        ".copilot/mcp-config.json",
        AgentKind.COPILOT,
        "user",
        "stdio",
        lambda n, s, e: json_servers("mcpServers", n, stdio(s, e)),
    ),
    (
        "home",
        ".config/Claude/claude_desktop_config.json",
        AgentKind.UNKNOWN,
        "user (claude-desktop)",
        "stdio",
        lambda n, s, e: json_servers("mcpServers", n, stdio(s, e)),
    ),
    (
        "home",
        ".codeium/windsurf/mcp_config.json",
        AgentKind.UNKNOWN,
        "user (windsurf)",
        "http",
        lambda n, s, e: json_servers("mcpServers", n, {"serverUrl": "https://w.example/mcp", "env": {e: s}}),
    ),
    (
        "sys",
        "etc/claude-code/managed-mcp.json",
        AgentKind.CLAUDE_CODE,
        "managed",
        "stdio",
        lambda n, s, e: json_servers("mcpServers", n, stdio(s, e)),
    ),
]


def place(host: FakeHost, where: str, relative: str) -> Path:
    base = {"home": host.home, "project": host.project, "sys": host.sysroot}[where]
    path = base / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@pytest.mark.parametrize(
    ("where", "relative", "agent", "scope", "transport", "writer"),
    CASES,
    ids=[f"{c[0]}:{c[1]}" for c in CASES],
)
def test_server_added_changed_removed_in_each_agents_config(
    watching: Watching,
    where: str,
    relative: str,
    agent: AgentKind,
    scope: str,
    transport: str,
    writer: Writer,
) -> None:
    path = place(watching.host, where, relative)
    path.write_text(writer("gh", SECRET, "GITHUB_TOKEN"))
    [added] = watching.wait("agent_config_change", change=ConfigChange.SERVER_ADDED)
    assert (added.config_agent, added.scope, added.transport, added.server) == (agent, scope, transport, "gh")
    assert added.file == str(path)
    watching.sentinel()
    assert len(watching.events("agent_config_change", change=ConfigChange.SERVER_ADDED)) == 1

    path.write_text(writer("gh", OTHER_SECRET, "GH_TOKEN"))
    [changed] = watching.wait("agent_config_change", change=ConfigChange.SERVER_CHANGED)
    by_path = {c.path: (c.before, c.after) for c in changed.diff}
    names_field = "headers" if "headers" in by_path else "env"
    assert by_path[names_field] == ("GITHUB_TOKEN", "GH_TOKEN")

    path.unlink()
    [removed] = watching.wait("agent_config_change", change=ConfigChange.SERVER_REMOVED)
    assert (removed.server, removed.file) == ("gh", str(path))
    dumped = watching.dumped()
    assert SECRET not in dumped
    assert OTHER_SECRET not in dumped


@pytest.mark.parametrize(
    ("relative", "bad", "good"),
    [
        (".cursor/mcp.json", '{"mcpServers": {"x": ', json_servers("mcpServers", "ok", stdio())),
        (".codex/config.toml", "[mcp_servers.x\ncommand=", codex_toml("ok")),
        (".gemini/settings.json", "{/* open", json_servers("mcpServers", "ok", {"command": "g"})),
    ],
)
def test_malformed_config_is_an_error_event_and_watching_goes_on(
    watching: Watching, relative: str, bad: str, good: str
) -> None:
    path = place(watching.host, "home", relative)
    path.write_text(bad)
    [error] = watching.wait("agent_config_change", change=ConfigChange.PARSE_ERROR)
    assert str(path) in (error.detail or "")
    assert error.file == str(path)
    path.write_text(good)
    [added] = watching.wait("agent_config_change", change=ConfigChange.SERVER_ADDED)
    assert added.server == "ok"


def test_backends_agree_on_config_changes(host: FakeHost, backend_name: str) -> None:
    watcher, sink = start_watcher(host, backend_name)
    with serving(watcher, watcher.ready):
        watching = Watching(watcher, sink, host)
        path = place(host, "project", ".mcp.json")
        path.write_text(json_servers("mcpServers", "gh", stdio()))
        watching.wait("agent_config_change", change=ConfigChange.SERVER_ADDED, server="gh")
        path.write_text(json_servers("mcpServers", "gh", stdio(extra_env="OTHER")))
        watching.wait("agent_config_change", change=ConfigChange.SERVER_CHANGED, server="gh")
        path.unlink()
        watching.wait("agent_config_change", change=ConfigChange.SERVER_REMOVED, server="gh")
        assert SECRET not in watching.dumped()


HOOKED = {
    "hooks": {
        "PreToolUse": [{"matcher": "*", "hooks": [{"type": "command", "command": "agentd hook claude-code"}]}]
    },
    "env": {"HTTPS_PROXY": "http://127.0.0.1:8899"},
}


def test_removing_agentds_hook_is_tampering_with_an_alert(host: FakeHost) -> None:
    settings = host.home / ".claude" / "settings.json"
    settings.write_text(json.dumps(HOOKED))
    watcher, sink = start_watcher(host)
    with serving(watcher, watcher.ready):
        watching = Watching(watcher, sink, host)
        watching.wait("agent_config_change", change=ConfigChange.HOOKS_CHANGED)  # first sight
        settings.write_text(json.dumps({**HOOKED, "hooks": {}}))
        [tampered] = watching.wait("agent_config_change", change=ConfigChange.TAMPERED)
        [alert] = watching.wait("alert")
        assert alert.evidence == (tampered.id,)
        assert alert.rule_id == "watch.config_tampered"
        assert "agentd hook removed" in alert.reason


def test_changes_while_stopped_are_reported_at_start(host: FakeHost) -> None:
    store = MemoryStore()
    mcp = place(host, "project", ".mcp.json")
    mcp.write_text(json_servers("mcpServers", "gh", stdio()))
    cursor = place(host, "home", ".cursor/mcp.json")
    cursor.write_text(json_servers("mcpServers", "cur", stdio()))
    watcher, sink = start_watcher(host, store=store)
    with serving(watcher, watcher.ready):
        pass
    first = [(e.change, e.server) for e in sink.of_kind("agent_config_change")]
    assert sorted(first) == [(ConfigChange.SERVER_ADDED, "cur"), (ConfigChange.SERVER_ADDED, "gh")]

    mcp.write_text(json_servers("mcpServers", "gh", stdio(extra_env="NEW")))
    cursor.unlink()
    watcher, sink = start_watcher(host, store=store)
    with serving(watcher, watcher.ready):
        pass
    second = sorted((e.change, e.server) for e in sink.of_kind("agent_config_change"))
    assert second == [(ConfigChange.SERVER_CHANGED, "gh"), (ConfigChange.SERVER_REMOVED, "cur")]


# --- credential files ------------------------------------------------------------------------


def aws_credentials(host: FakeHost, seed: str = "aws") -> Path:
    path = host.home / ".aws" / "credentials"
    path.parent.mkdir(exist_ok=True)
    path.write_text(secrets.aws_credentials_file(seed))
    return path


HOLD_OPEN = (
    "import sys\n"
    "f = open(sys.argv[1]); f.read()\n"
    "print('open', flush=True)\n"
    "sys.stdin.read()\n"  # hold the file open until the test has seen the open
    "f.close()\n"
)


def test_a_read_is_attributed_to_the_reading_process(host: FakeHost) -> None:
    path = aws_credentials(host)
    watcher, sink = start_watcher(host)
    with serving(watcher, watcher.ready):
        watching = Watching(watcher, sink, host)
        opens = watcher.credentials.counts["opens"]
        reader = subprocess.Popen(
            [sys.executable, "-c", HOLD_OPEN, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert reader.stdout is not None
            assert reader.stdout.readline() == "open\n"
            wait_until(lambda: watcher.credentials.counts["opens"] > opens, 20, "the open to be attributed")
            reader.communicate("", timeout=20)
        finally:
            reader.kill()
        [read] = watching.wait("credential_file_access", operation=FileOperation.READ, path=str(path))
        assert read.agent.pid == reader.pid
        assert read.agent.kind is AgentKind.UNKNOWN
        assert read.sha256 is None


FAKE_AGENT = "import subprocess, sys\nsubprocess.run([sys.executable, '-c', sys.argv[1], sys.argv[2]])\n"
CHILD = (
    "import os, sys\n"
    "f = open(sys.argv[1]); f.read()\n"
    "print(os.getpid(), flush=True)\n"
    "sys.stdin.read()\n"
    "f.close()\n"
)


def test_a_process_spawned_by_an_agent_is_attributed_to_the_agent(host: FakeHost, tmp_path: Path) -> None:
    path = aws_credentials(host)
    fake = tmp_path / "bin" / "claude"
    fake.parent.mkdir()
    fake.write_text(f"#!{sys.executable}\n{FAKE_AGENT}")
    fake.chmod(0o755)
    watcher, sink = start_watcher(host)
    with serving(watcher, watcher.ready):
        watching = Watching(watcher, sink, host)
        opens = watcher.credentials.counts["opens"]
        agent = subprocess.Popen(
            [str(fake), CHILD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        try:
            assert agent.stdout is not None
            child_pid = int(agent.stdout.readline())
            wait_until(lambda: watcher.credentials.counts["opens"] > opens, 20, "the open to be attributed")
            agent.communicate("", timeout=20)
        finally:
            agent.kill()
        [read] = watching.wait("credential_file_access", operation=FileOperation.READ, path=str(path))
        assert read.agent.kind is AgentKind.CLAUDE_CODE
        assert read.agent.pid == child_pid


def test_changed_credentials_carry_hash_size_and_fingerprints_only(watching: Watching) -> None:
    path = aws_credentials(watching.host, "first")
    [created] = watching.wait("credential_file_access", operation=FileOperation.CREATED, path=str(path))
    content = secrets.aws_credentials_file("second")
    path.write_text(content)
    [modified] = watching.wait("credential_file_access", operation=FileOperation.MODIFIED, path=str(path))
    assert modified.sha256 == hashlib.sha256(content.encode()).hexdigest()
    assert modified.size == len(content)
    assert modified.finding_fingerprints
    assert created.sha256 != modified.sha256
    watching.sentinel()
    # agentd's own reads (hashing the file) are not reported as reads
    assert watching.events("credential_file_access", operation=FileOperation.READ) == []
    assert secrets.aws_secret_access_key("second") not in watching.dumped()
    assert secrets.aws_access_key_id("second") not in watching.dumped()


def test_credential_delete_and_move(watching: Watching) -> None:
    path = aws_credentials(watching.host)
    watching.wait("credential_file_access", operation=FileOperation.CREATED, path=str(path))
    moved = path.with_name("credentials.bak")
    os.rename(path, moved)
    [move] = watching.wait("credential_file_access", operation=FileOperation.MOVED, path=str(path))
    assert move.dest_path == str(moved)
    moved.unlink()
    watching.wait("credential_file_access", operation=FileOperation.DELETED, path=str(moved))


def test_dotfiles_and_env_files_within_depth(watching: Watching) -> None:
    host = watching.host
    netrc = host.home / ".netrc"
    netrc.write_text(
        " ".join(["machine", "example.com", "login", "me", "password", secrets.password("netrc")])
    )
    watching.wait("credential_file_access", path=str(netrc))
    deep = host.project / "a" / "b" / "c" / ".env"
    deep.parent.mkdir(parents=True)
    deep.write_text("TOKEN=x\n")
    shallow = host.project / "a" / ".env.local"
    shallow.write_text(f"GITHUB_TOKEN={SECRET}\n")
    [env] = watching.wait("credential_file_access", path=str(shallow))
    assert env.finding_fingerprints
    ignored = host.project / "node_modules" / ".env"
    ignored.parent.mkdir()
    ignored.write_text("X=1\n")
    watching.sentinel()
    assert watching.events("credential_file_access", path=str(deep)) == []
    assert watching.events("credential_file_access", path=str(ignored)) == []
    assert SECRET not in watching.dumped()


def test_a_credential_directory_created_later_is_watched(watching: Watching) -> None:
    kube = watching.host.home / ".kube"
    kube.mkdir()
    config = kube / "config"
    config.write_text("apiVersion: v1\nusers: []\n")
    watching.wait("credential_file_access", path=str(config), operation=FileOperation.CREATED)


def test_statistics(watching: Watching) -> None:
    stats = watching.watcher.statistics()
    assert stats["reads_observable"] is True
    assert stats["backend"] == "inotify"
    assert stats["directories"] > 0
    json.dumps(stats)


def test_build_from_settings(host: FakeHost) -> None:
    settings = Settings(watch=WatchSettings(project_roots=(str(host.project),), env_depth=1))
    components = build(settings, sink=ListSink(), stamp=Stamper("h"), clock=SystemClock(), homes=[host.home])
    assert [c.name for c in components] == ["watch", "processes"]
    assert (
        build(
            Settings(watch=WatchSettings(enabled=False)),
            sink=ListSink(),
            stamp=Stamper("h"),
            clock=SystemClock(),
        )
        == []
    )


def test_the_daemon_runs_the_watch_and_keeps_the_inventory(host: FakeHost, agentd_home: AgentdHome) -> None:
    agentd_home.write_config(f'[watch]\nproject_roots = ["{host.project}"]\nprocess_interval_seconds = 0.2\n')
    env = agentd_home.env(HOME=str(host.home))
    with agentd_home.start_daemon(env=env) as daemon:
        wait_until(lambda: "watch" in daemon.status(), 30, "the watch component")
        mcp = host.project / ".mcp.json"
        mcp.write_text(json_servers("mcpServers", "gh", stdio()))

        def inventoried() -> bool:
            result = agentd_home.run("inventory", "servers", "--json", env=env)
            return '"gh"' in result.stdout

        wait_until(inventoried, 60, "the server in the inventory", interval=0.5)
        status = daemon.status()
        assert status["watch"]["reads_observable"] is True
        assert "agents" in status["processes"]
        assert daemon.stop() == 0
    events = agentd_home.run("events", "--json", "--type", "agent_config_change", env=env)
    assert '"server_added"' in events.stdout
    assert SECRET not in events.stdout


class NoInotifyLeft(InotifyBackend):
    """The kernel refusing a new inotify instance (max_user_instances reached), which cannot
    be provoked here without starving every other process of this user."""

    def start(self, deliver: Any, interest: Any) -> None:
        raise OSError(24, "inotify instance limit reached")


def test_without_inotify_the_watch_falls_back_and_says_so(host: FakeHost) -> None:
    sink = ListSink()
    watcher = FileWatcher(host.layout(), sink, Stamper("h"), SystemClock(), backend=NoInotifyLeft())
    with serving(watcher, watcher.ready):
        watching = Watching(watcher, sink, host)
        [error] = watching.events("internal_error")
        assert error.error == "WatchUnavailable"
        assert watcher.statistics()["backend"] == "observer"
        path = place(host, "project", ".mcp.json")
        path.write_text(json_servers("mcpServers", "gh", stdio()))
        watching.wait("agent_config_change", change=ConfigChange.SERVER_ADDED)
