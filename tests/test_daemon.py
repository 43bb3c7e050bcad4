import asyncio
import json
import os
import signal
import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agentd.config import load
from agentd.daemon import Daemon, build
from agentd.observe.client import call
from agentd.paths import ConfigFiles
from tests.support.agentd_env import AgentdHome, RunningDaemon, make_home, wait_until
from tests.support.clients import Connection, tls_through
from tests.support.proxy import configure_proxy
from tests.support.upstreams import Recorded, Reply, ToolUse, Upstream, anthropic_events, make_pki


class Recorder:
    """A component that records its lifecycle and can break its statistics."""

    def __init__(self, name: str, broken: bool = False) -> None:
        self.name = name
        self.broken = broken
        self.started = asyncio.Event()
        self.cancelled = False

    async def serve(self) -> None:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise

    def statistics(self) -> Mapping[str, Any]:
        if self.broken:
            raise RuntimeError("stats broke")
        return {"state": "ok"}


async def test_components_run_under_one_group_and_stop_on_sigterm(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    loaded = load(ConfigFiles(user=home.config, system=None, managed=None))
    good, bad = Recorder("good"), Recorder("spool", broken=True)
    daemon = Daemon(loaded, [good, bad])
    task = asyncio.get_running_loop().create_task(daemon.run())
    await good.started.wait()
    await daemon.control.ready.wait()
    snapshot = await asyncio.to_thread(call, home.run_dir / "control.sock", "status")
    assert snapshot["good"] == {"state": "ok"}
    assert snapshot["spool"] == {"state": "error", "error": "RuntimeError", "depth": 0}
    os.kill(os.getpid(), signal.SIGTERM)
    await task
    assert good.cancelled
    assert bad.cancelled


def test_build_composes_spool_and_proxy_from_settings(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    loaded = load(ConfigFiles(user=home.config, system=None, managed=None))
    daemon = build(loaded)
    try:
        assert [c.name for c in daemon.components] == [
            "spool",
            "policy",
            "proxy",
            "watch",
            "processes",
            "footprint",
            "activity",
            "integration",
            "service",
        ]
        assert (home.state_dir / "host_id").stat().st_mode & 0o777 == 0o600
        assert (home.state_dir / "keys" / "fingerprint.key").stat().st_mode & 0o777 == 0o600
    finally:
        for close in daemon.cleanup:
            close()
    configure_proxy(home.config, enabled=False)
    daemon = build(load(ConfigFiles(user=home.config, system=None, managed=None)))
    try:
        assert [c.name for c in daemon.components] == [
            "spool",
            "policy",
            "watch",
            "processes",
            "footprint",
            "activity",
            "integration",
            "service",
        ]
    finally:
        for close in daemon.cleanup:
            close()


def _turn(port: int, upstream: Upstream, ca: Path, messages: list[dict[str, Any]]) -> int:
    body = json.dumps({"model": "m", "stream": True, "messages": messages}).encode()
    headers = {
        "content-type": "application/json",
        "x-claude-code-session-id": "daemon-session",
        "user-agent": "claude-cli/2.1.197 (external, cli)",
    }
    context = ssl.create_default_context(cafile=str(ca))
    with tls_through(port, "localhost", upstream.port, context) as tls:
        return Connection(tls).request("POST", "localhost", "/v1/messages", body, headers).status


def _events(home: AgentdHome) -> list[dict[str, Any]]:
    result = home.run("events", "--json", "--limit", "0")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_agentd_run_records_a_conversation_once_across_a_restart(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    home = make_home(tmp_path)
    configure_proxy(home.config, intercept_hosts=["localhost"], upstream_ca=str(pki.ca_cert))

    def script(request: Recorded) -> Reply:
        turn = len(request.json()["messages"]) // 2
        return Reply.sse(anthropic_events([ToolUse(f"toolu_{turn}", "Bash", {"command": f"echo {turn}"})]))

    messages: list[dict[str, Any]] = [{"role": "user", "content": "count to four"}]

    def converse(daemon: RunningDaemon, turns: range) -> None:
        port = int(daemon.status()["proxy"]["listen"].rsplit(":", 1)[1])
        for turn in turns:
            assert _turn(port, upstream, home.state_dir / "ca" / "mitmproxy-ca-cert.pem", messages) == 200
            call = {
                "type": "tool_use",
                "id": f"toolu_{turn}",
                "name": "Bash",
                "input": {"command": f"echo {turn}"},
            }
            messages.append({"role": "assistant", "content": [call]})
            result = {"type": "tool_result", "tool_use_id": f"toolu_{turn}", "content": f"{turn}\n"}
            messages.append({"role": "user", "content": [result]})
        wait_until(
            lambda: daemon.status()["proxy"]["pipeline"]["requests"] == len(turns),
            60,
            "the daemon to read them",
        )
        assert daemon.stop() == 0

    with Upstream(script, pki) as upstream:
        with home.start_daemon() as daemon:
            converse(daemon, range(2))
        with home.start_daemon() as daemon:
            converse(daemon, range(2, 4))
    events = _events(home)
    kinds = [e["kind"] for e in events]
    assert kinds.count("session_started") == 1
    assert kinds.count("user_prompt") == 1
    assert [e["call_id"] for e in events if e["kind"] == "tool_call"] == [f"toolu_{n}" for n in range(4)]
    assert [e["call_id"] for e in events if e["kind"] == "tool_result"] == [f"toolu_{n}" for n in range(3)]
    prompt = next(e for e in events if e["kind"] == "user_prompt")
    assert prompt["session_id"] == "daemon-session"
    assert prompt["agent"]["kind"] == "claude-code"
    assert prompt["text"] == "count to four"
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
