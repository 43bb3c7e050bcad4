"""`agentd approvals | approve | deny` against a control socket serving the real ops."""

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agentd.capture.hooks.service import HookEnvironment, HookService
from agentd.decide.engine import PolicyEngine
from agentd.decide.governor import CallRequest, Governor
from agentd.decide.state import SessionState, SessionTable
from agentd.events import Event, Stamper
from agentd.observe.control import ControlServer
from tests.support.agentd_env import AgentdHome, make_home

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class ListSink:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)


@pytest.fixture
async def daemon(tmp_path: Path):  # type: ignore[no-untyped-def]
    home = make_home(tmp_path)
    governor = Governor(PolicyEngine.default(), Stamper("h"))
    env = HookEnvironment(governor, SessionTable(), Stamper("h"))
    sink = ListSink()
    control = ControlServer(home.run_dir / "control.sock")
    HookService(env, sink, lambda: NOW).register(control)
    task = asyncio.get_running_loop().create_task(control.serve())
    await control.ready.wait()
    yield home, governor, sink
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def cli(home: AgentdHome, *args: str):  # type: ignore[no-untyped-def]
    return await asyncio.to_thread(home.run, *args)


async def test_list_approve_and_deny(daemon: tuple[AgentdHome, Governor, ListSink]) -> None:
    home, governor, sink = daemon
    empty = await cli(home, "approvals")
    assert empty.returncode == 0
    assert "No calls are waiting" in empty.stdout
    held = governor.evaluate(
        SessionState("s1"), CallRequest("s1", "Bash", json.dumps({"command": "rm -rf /srv/x"})), NOW
    )
    assert held.approval is not None
    listing = await cli(home, "approvals", "--json")
    (item,) = [json.loads(line) for line in listing.stdout.splitlines()]
    assert (item["id"], item["state"], item["tool"]) == (held.approval.id, "pending", "Bash")
    human = await cli(home, "approvals")
    assert held.approval.id in human.stdout
    assert "agentd approve ID" in human.stdout
    approved = await cli(home, "approve", held.approval.id, "--for", "10m")
    assert approved.returncode == 0, approved.stderr
    assert f"{held.approval.id} approved" in approved.stdout
    assert "until" in approved.stdout
    assert [e.kind for e in sink.events] == ["approval_granted"]
    refused = await cli(home, "deny", held.approval.id)
    assert refused.returncode == 0
    assert "refused" in refused.stdout


async def test_unknown_ids_and_bad_durations_are_errors(
    daemon: tuple[AgentdHome, Governor, ListSink],
) -> None:
    home, _, _ = daemon
    missing = await cli(home, "approve", "ap-nothing")
    assert missing.returncode == 1
    assert "no approval 'ap-nothing'" in missing.stderr


def test_not_running_exits_3(tmp_path: Path) -> None:
    result = make_home(tmp_path).run("approvals")
    assert result.returncode == 3
    assert "not running" in result.stderr
