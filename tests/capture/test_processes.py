import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from agentd.capture import processes
from agentd.events import AgentKind


@pytest.mark.parametrize(
    ("name", "exe", "cmdline", "kind"),
    [
        ("claude", "/home/u/.local/bin/claude", ("claude", "-p", "hi"), AgentKind.CLAUDE_CODE),
        (
            "node",
            "/usr/bin/node",
            ("node", "/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js"),
            AgentKind.CLAUDE_CODE,
        ),
        ("codex", "/usr/local/bin/codex", ("codex", "exec"), AgentKind.CODEX),
        (
            "node",
            "/usr/bin/node",
            ("node", "/opt/node_modules/@google/gemini-cli/dist/index.js"),
            AgentKind.GEMINI_CLI,
        ),
        ("cursor-agent", None, ("cursor-agent",), AgentKind.CURSOR),
        ("copilot", None, ("copilot",), AgentKind.COPILOT),
        ("bash", "/bin/bash", ("bash", "-c", "cat claudes-notes.txt"), AgentKind.UNKNOWN),
        ("python3", "/usr/bin/python3", ("python3", "codexify.py"), AgentKind.UNKNOWN),
    ],
)
def test_classify(name: str, exe: str | None, cmdline: tuple[str, ...], kind: AgentKind) -> None:
    assert processes.classify(name, exe, cmdline) is kind


@pytest.mark.parametrize(
    ("user_agent", "kind"),
    [
        ("claude-cli/2.1.197 (external, sdk-cli)", AgentKind.CLAUDE_CODE),
        ("codex_cli_rs/0.130.0 (Linux; x86_64)", AgentKind.CODEX),
        ("GeminiCLI/0.9.0 (linux; x64)", AgentKind.GEMINI_CLI),
        ("python-httpx/0.28", AgentKind.UNKNOWN),
        (None, AgentKind.UNKNOWN),
    ],
)
def test_classify_user_agent(user_agent: str | None, kind: AgentKind) -> None:
    assert processes.classify_user_agent(user_agent) is kind


def test_connection_owner_is_the_connecting_process() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    code = (
        f"import socket,sys; s=socket.create_connection(('127.0.0.1',{port})); "
        "print(s.getsockname()[1], flush=True); sys.stdin.read()"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        client_port = int(child.stdout.readline())
        conn, _ = server.accept()
        assert processes.owner_of_connection(client_port, port) == child.pid
        ref = processes.attribute(child.pid, "claude-cli/2.1.197 (external)")
        assert ref.pid == child.pid
        assert ref.kind is AgentKind.CLAUDE_CODE  # not an agent process: the user agent decides
        assert ref.version == "2.1.197"
        conn.close()
    finally:
        child.kill()
        child.communicate()
        server.close()


def test_a_descendant_is_attributed_to_its_agent(tmp_path: Path) -> None:
    # A fake agent: an executable named `claude` that spawns a child shell.
    fake = tmp_path / "claude"
    fake.write_text(f"#!{sys.executable}\nimport subprocess,sys\nsubprocess.run(['sleep','30'])\n")
    fake.chmod(0o755)
    agent = subprocess.Popen([str(fake)])
    try:

        def child_pid() -> int | None:
            import psutil

            kids = psutil.Process(agent.pid).children()
            return kids[0].pid if kids else None

        from tests.support.agentd_env import wait_until

        wait_until(lambda: child_pid() is not None, 10, "the fake agent's child")
        pid = child_pid()
        assert pid is not None
        ancestor = processes.agent_ancestor(pid)
        assert ancestor is not None
        assert ancestor.pid == agent.pid
        ref = processes.attribute(pid)
        assert ref.kind is AgentKind.CLAUDE_CODE
        assert ref.pid == pid
    finally:
        agent.kill()
        agent.wait()


def test_gone_processes_yield_what_is_known() -> None:
    assert processes.info(2**22 + 12345) is None
    ref = processes.attribute(2**22 + 12345, None)
    assert ref.kind is AgentKind.UNKNOWN
    assert ref.pid == 2**22 + 12345
    assert processes.owner_of_connection(1, 1) is None
    assert os.getpid() > 0


def test_the_holder_of_an_open_file_is_found(tmp_path: Path) -> None:
    target = tmp_path / "held.txt"
    target.write_text("x")
    code = "import sys; f = open(sys.argv[1]); print('open', flush=True); sys.stdin.read()"
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(target)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "open\n"
        assert processes.holder_of(str(target)) == child.pid
        assert processes.holder_of(str(target), exclude=child.pid) is None
        link = tmp_path / "link.txt"
        link.symlink_to(target)
        assert processes.holder_of(str(link)) == child.pid
    finally:
        child.kill()
        child.communicate()
    assert processes.holder_of(str(target)) is None
    assert processes.holder_of(str(tmp_path / "missing")) is None
