"""`agentd hook AGENT` as the agents run it: a real process, stdin in, native answer out."""

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from agentd.capture.hooks import backlog
from agentd.capture.hooks.service import HookEnvironment, HookService
from agentd.config import load
from agentd.decide.engine import PolicyEngine
from agentd.decide.governor import Governor
from agentd.decide.state import SessionTable
from agentd.events import Event, Stamper
from agentd.observe.control import ControlServer
from agentd.paths import ConfigFiles
from tests.support.agentd_env import AGENTD, AgentdHome, make_home

NOW = datetime(2026, 1, 1, tzinfo=UTC)
PRE = {
    "session_id": "s1",
    "hook_event_name": "PreToolUse",
    "cwd": "/home/dev/project",
    "tool_name": "Bash",
    "tool_input": {"command": "cat ~/.aws/credentials"},
    "tool_use_id": "toolu_1",
}


class ListSink:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)


def run_hook(home: AgentdHome, agent: str, stdin: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*AGENTD, "hook", agent, *args], input=stdin, env=home.env(), capture_output=True, timeout=60
    )


@pytest.fixture
async def daemon(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A control socket serving the real hook service where `agentd run` would put it."""
    home = make_home(tmp_path)
    sink = ListSink()
    env = HookEnvironment(Governor(PolicyEngine.default(), Stamper("h")), SessionTable(), Stamper("h"))
    service = HookService(env, sink, lambda: NOW, backlog_path=home.state_dir / backlog.BACKLOG_NAME)
    control = ControlServer(home.run_dir / "control.sock")
    service.register(control)
    task = asyncio.get_running_loop().create_task(control.serve())
    await control.ready.wait()
    yield home, sink
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_denied_call_prints_claude_codes_native_answer(daemon: tuple[AgentdHome, ListSink]) -> None:
    home, sink = daemon
    result = await asyncio.to_thread(run_hook, home, "claude-code", json.dumps(PRE).encode())
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)["hookSpecificOutput"]
    assert output["permissionDecision"] == "deny"
    assert "credential-file-read" in output["permissionDecisionReason"]
    assert [e.kind for e in sink.events] == ["tool_call", "alert"]


async def test_an_allowed_call_prints_nothing(daemon: tuple[AgentdHome, ListSink]) -> None:
    home, _ = daemon
    allowed = {**PRE, "tool_input": {"command": "ls"}}
    result = await asyncio.to_thread(run_hook, home, "claude-code", json.dumps(allowed).encode())
    assert (result.returncode, result.stdout) == (0, b"")


async def test_malformed_hook_json_gets_an_answer_and_an_event(daemon: tuple[AgentdHome, ListSink]) -> None:
    home, sink = daemon
    result = await asyncio.to_thread(run_hook, home, "claude-code", b'{"session_id": "s", "hook_event')
    assert result.returncode == 0
    assert [e.kind for e in sink.events] == ["internal_error"]
    assert "not JSON" in sink.events[0].message  # type: ignore[union-attr]


def test_fail_open_lets_the_call_through_and_leaves_a_record(tmp_path: Path) -> None:
    home = make_home(tmp_path)  # no daemon
    result = run_hook(home, "claude-code", json.dumps(PRE).encode())
    assert (result.returncode, result.stdout) == (0, b"")
    (entry,) = backlog.drain(home.state_dir / backlog.BACKLOG_NAME)
    assert (entry["tool"], entry["call_id"], entry["session_id"]) == ("Bash", "toolu_1", "s1")
    assert "credentials" not in json.dumps(entry)  # the arguments are never written down


def test_fail_closed_blocks_with_exit_2_and_a_reason(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    home.write_config('[policy]\nfail_mode = "closed"\n')
    result = run_hook(home, "claude-code", json.dumps(PRE).encode())
    assert result.returncode == 2
    assert b"agentd could not check this call" in result.stderr
    prompt = {"session_id": "s", "hook_event_name": "UserPromptSubmit", "prompt": "hi"}
    assert run_hook(home, "claude-code", json.dumps(prompt).encode()).returncode == 0  # prompts always pass
    assert not (home.state_dir / backlog.BACKLOG_NAME).exists()


def test_unknown_agents_and_oversized_input(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    unknown = run_hook(home, "copilot", b"{}")
    assert unknown.returncode == 1
    assert b"unknown agent 'copilot'" in unknown.stderr
    from agentd.cli.hook import MAX_INPUT

    huge = run_hook(home, "cursor", b" " * (MAX_INPUT + 10))
    assert (huge.returncode, huge.stdout) == (0, b"{}\n")  # not even readable: let through, record it
    (entry,) = backlog.drain(home.state_dir / backlog.BACKLOG_NAME)
    assert entry["agent"] == "cursor"
    assert "larger than" in entry["reason"]


def test_the_hook_path_imports_no_typer_and_no_pydantic(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    probe = (
        "import sys, io\n"
        "sys.stdin = io.TextIOWrapper(io.BytesIO(b'{}'))\n"
        "from agentd.cli.hook import fast_main\n"
        "code = fast_main(['hook', 'claude-code', '--timeout', '1'])\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        "heavy = sorted(loaded & {'typer', 'pydantic', 'rich', 'mitmproxy', 'grpc'})\n"
        "print(code, heavy, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], env=home.env(), capture_output=True, text=True, timeout=60
    )
    assert result.stderr.strip().endswith("0 []"), result.stderr


@pytest.mark.parametrize(
    ("argv", "handled"),
    [
        (["hook", "--help"], False),
        (["hook"], False),
        (["status"], False),
        (["hook", "claude-code", "--timeout", "soon"], False),
        (["hook", "claude-code", "--verbose"], False),
        (["--config"], False),
    ],
)
def test_fast_main_leaves_everything_else_to_the_full_cli(argv: list[str], handled: bool) -> None:
    from agentd.cli.hook import fast_main

    assert (fast_main(argv) is not None) is handled


def test_the_full_cli_documents_the_hook(tmp_path: Path) -> None:
    result = make_home(tmp_path).run("hook", "--help")
    assert result.returncode == 0
    assert "claude-code" in result.stdout


@pytest.mark.parametrize(
    "layers",
    [
        {"user": '[paths]\nrun_dir = "/u/run"\nstate_dir = "/u/state"\n'},
        {
            "user": '[paths]\nrun_dir = "/u/run"\nstate_dir = "/u/state"\n[policy]\nfail_mode = "closed"\n',
            "system": '[paths]\nrun_dir = "/s/run"\n',
        },
        {
            "user": '[paths]\nrun_dir = "/u/run"\nstate_dir = "/u/state"\n',
            "system": '[policy]\nfail_mode = "closed"\n',
            "managed": '[policy]\nfail_mode = "open"\n[paths]\nstate_dir = "/m/state"\n',
        },
    ],
)
def test_hook_settings_agree_with_the_full_settings(
    tmp_path: Path, layers: dict[str, str], monkeypatch: Any
) -> None:
    from agentd.cli.hook import hook_settings

    files = {}
    for name in ("user", "system", "managed"):
        path = tmp_path / f"{name}.toml"
        if name in layers:
            path.write_text(layers[name])
        files[name] = path
    monkeypatch.setenv("AGENTD_SYSTEM_CONFIG", str(files["system"]))
    monkeypatch.setenv("AGENTD_MANAGED_CONFIG", str(files["managed"]))
    full = load(ConfigFiles(user=files["user"], system=files["system"], managed=files["managed"])).settings
    quick = hook_settings(files["user"])
    assert quick.socket == full.paths.control_socket
    assert quick.backlog_path.parent == full.paths.state_dir
    assert quick.closed is (full.policy.fail_mode.value == "closed")
