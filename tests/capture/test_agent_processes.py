import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from agentd.capture.agent_processes import ProcessInventory, looks_like_mcp_server
from agentd.clock import SystemClock
from agentd.events import AgentKind, Event, ProcessState, Stamper
from tests.support import secrets
from tests.support.agentd_env import wait_until
from tests.support.background import serving

TOKEN = secrets.github_pat("proc")

# The fake agent starts an MCP server (with a secret on its command line) and a plain helper,
# then waits for its stdin to close.
AGENT = """
import subprocess, sys
server = subprocess.Popen([sys.executable, sys.argv[1], "--token", sys.argv[2]], stdin=subprocess.PIPE)
helper = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
print(server.pid, helper.pid, flush=True)
sys.stdin.read()
server.kill(); helper.kill()
"""
SERVER = "import sys; sys.stdin.read()\n"


class Sink:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.lock = threading.Lock()

    def emit(self, event: Event) -> None:
        with self.lock:
            self.events.append(event)

    def mine(self, pids: set[int]) -> list[Any]:
        with self.lock:
            return [e for e in self.events if e.agent.pid in pids]


@pytest.fixture
def fake_agent(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int, int]]:
    package = tmp_path / "node_modules" / "@anthropic-ai" / "claude-code"
    package.mkdir(parents=True)
    cli = package / "cli.js"  # a node-hosted agent is known by its script path
    cli.write_text(AGENT)
    server = tmp_path / "mcp-server-notes.py"
    server.write_text(SERVER)
    agent = subprocess.Popen(
        [sys.executable, str(cli), str(server), TOKEN],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert agent.stdout is not None
        server_pid, helper_pid = (int(p) for p in agent.stdout.readline().split())
        yield agent, server_pid, helper_pid
    finally:
        agent.kill()
        agent.communicate()
        for pid in (server_pid, helper_pid):
            with contextlib.suppress(psutil.Error):
                psutil.Process(pid).kill()


def test_agents_and_their_mcp_servers_start_and_exit(
    fake_agent: tuple[subprocess.Popen[str], int, int],
) -> None:
    agent, server_pid, helper_pid = fake_agent
    inventory = ProcessInventory(Sink(), Stamper("h"), SystemClock())
    ours = {agent.pid, server_pid, helper_pid}
    started = [e for e in inventory.scan() if e.agent.pid in ours]
    by_role = {e.role: e for e in started}
    assert sorted(by_role) == ["agent", "mcp_server"]
    assert by_role["agent"].agent.kind is AgentKind.CLAUDE_CODE
    assert by_role["agent"].agent.pid == agent.pid
    assert by_role["agent"].state is ProcessState.STARTED
    server = by_role["mcp_server"]
    assert (server.agent.pid, server.parent_pid, server.agent.kind) == (
        server_pid,
        agent.pid,
        AgentKind.CLAUDE_CODE,
    )
    assert "<redacted>" in server.cmdline
    assert all(TOKEN not in word for e in started for word in e.cmdline)
    assert [e for e in inventory.scan() if e.agent.pid in ours] == []  # nothing new

    agent.communicate("", timeout=20)  # the agent ends and takes its children with it
    wait_until(
        lambda: not psutil.pid_exists(server_pid) or psutil.Process(server_pid).status() == "zombie",
        20,
        "exit",
    )
    exited = [e for e in inventory.scan() if e.agent.pid in ours]
    assert sorted((e.role, e.state) for e in exited) == [
        ("agent", ProcessState.EXITED),
        ("mcp_server", ProcessState.EXITED),
    ]
    assert inventory.statistics()["scans"] == 3


def test_serve_emits_as_it_polls(fake_agent: tuple[subprocess.Popen[str], int, int]) -> None:
    agent, server_pid, _ = fake_agent
    sink = Sink()
    inventory = ProcessInventory(sink, Stamper("h"), SystemClock(), interval=0.05)
    with serving(inventory, inventory.ready):
        wait_until(lambda: len(sink.mine({agent.pid, server_pid})) == 2, 20, "both processes")
        assert {r.pid for r in inventory.running()} >= {agent.pid, server_pid}
        agent.communicate("", timeout=20)
        wait_until(lambda: len(sink.mine({agent.pid, server_pid})) == 4, 20, "both exits")
    assert inventory.statistics()["errors"] == 0


@pytest.mark.parametrize(
    ("cmdline", "expected"),
    [
        (("npx", "-y", "@modelcontextprotocol/server-filesystem", "/tmp"), True),
        (("uvx", "mcp-server-git"), True),
        (("/usr/local/bin/github-mcp-server", "stdio"), True),
        (("node", "/opt/servers/notes/index.js"), False),
        (("bash", "-c", "ls"), False),
        ((), False),
        (("python", "a", "b", "c", "mcp-late-word"), False),
    ],
)
def test_looks_like_mcp_server(cmdline: tuple[str, ...], expected: bool) -> None:
    assert looks_like_mcp_server(cmdline) is expected


def test_the_process_table_knows_this_process() -> None:
    from agentd.capture.agent_processes import process_table

    table = process_table()
    ppid, started, name = table[os.getpid()]
    assert ppid == os.getppid()
    assert started > 0
    assert name == psutil.Process().name()[:15]
