"""The demo's script: a throwaway daemon (own state dir, port 0, trusting the local upstream's
CA), the scripted agent session through its proxy, then everything agentd recorded.

The daemon is a real `agentd run` subprocess with the system and managed config layers switched
off, so the demo never touches this machine's agentd, its collector or its policy.
"""

import contextlib
import json
import os
import secrets
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentd.clock import SystemClock
from agentd.demo.agent import DemoAgentError, ScriptedAgent, Turn
from agentd.demo.pki import make_pki
from agentd.demo.upstream import LocalUpstream
from agentd.errors import AgentdError, DaemonNotRunning, SpoolError
from agentd.events import Event
from agentd.observe.client import ControlError, call
from agentd.paths import MANAGED_CONFIG_ENV, SYSTEM_CONFIG_ENV, USER_CONFIG_ENV
from agentd.record.reader import SpoolReader

START_TIMEOUT = 45.0
PROMPT = (
    "Our deploy script fails with HTTP 403 since this morning. I exported the token it uses, "
    "GITHUB_TOKEN={token}. Find out which credentials the deploy uses and fix it."
)


class DemoError(AgentdError):
    """The demo could not run: the daemon did not start or the session did not go through."""


@dataclass
class DemoResult:
    session_id: str
    prompt: str  # as the agent sent it, with the demo token masked
    turns: list[Turn]
    events: list[Event]
    status: dict[str, Any] = field(default_factory=dict)
    daemon_log: str = ""

    def of_kind(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]


def demo_token() -> str:
    """A GitHub-token-shaped value made up on the spot: random, and never valid anywhere."""
    alphabet = string.ascii_letters + string.digits
    return "gh" + "p_" + "".join(secrets.choice(alphabet) for _ in range(36))


def run_demo(progress: Callable[[str], None] = lambda _: None) -> DemoResult:
    """Run the whole scenario and return what agentd recorded; DemoError when it cannot."""
    with _workspace() as work:
        pki = make_pki(work.root / "upstream", SystemClock().now())
        credentials = str(Path.home() / ".aws" / "credentials")
        with LocalUpstream(pki, credentials) as upstream:
            config = work.root / "agentd.toml"
            config.write_text(_config(work, upstream.port, pki.ca_cert))
            progress("starting a throwaway agentd (its own state directory, proxy on a free port)")
            daemon = _Daemon(None)
            try:
                with _daemon(config, work, daemon):
                    proxy = _wait_for_proxy(work.socket, daemon)
                    token = demo_token()
                    agent = ScriptedAgent(
                        proxy=proxy,
                        upstream=("localhost", upstream.port),
                        agentd_ca=work.state / "ca" / "mitmproxy-ca-cert.pem",
                        run_tool=_run_tool,
                    )
                    progress(
                        f"a scripted Claude Code session talks to a local model through {proxy[0]}:{proxy[1]}"
                    )
                    try:
                        agent.converse(PROMPT.format(token=token))
                    except DemoAgentError as exc:
                        raise DemoError(f"the agent session failed: {exc}") from exc
                    status = _status(work.socket)
            except DemoError as exc:
                # The daemon's own last log lines say why (it has stopped by now).
                tail = "\n".join(daemon.stderr.strip().splitlines()[-5:])
                raise DemoError(f"{exc}\n{tail}".strip()) from exc
            progress("stopped the throwaway agentd; reading what it recorded")
        try:
            with SpoolReader(work.state / "spool.sqlite3") as reader:
                events = reader.query()
        except SpoolError as exc:
            raise DemoError(f"cannot read the demo daemon's spool: {exc}") from exc
        return DemoResult(
            session_id=agent.session_id,
            prompt=PROMPT.format(token=token[:4] + "…"),
            turns=agent.turns,
            events=events,
            status=status,
            daemon_log=daemon.stderr,
        )


def _run_tool(name: str, arguments: dict[str, Any]) -> str:
    """The agent's tools, scripted: nothing is executed on this machine."""
    if name == "Bash":
        return "...\n3 passed in 0.41s"
    return f"(the demo does not run {name})"


@dataclass(frozen=True)
class _Workspace:
    root: Path
    state: Path
    run: Path

    @property
    def socket(self) -> Path:
        return self.run / "control.sock"


@contextlib.contextmanager
def _workspace() -> Iterator[_Workspace]:
    root = Path(tempfile.mkdtemp(prefix="agentd-demo-"))
    # Its own short directory: Unix socket paths are limited to ~104 bytes.
    run = Path(tempfile.mkdtemp(prefix="agentd-run-"))
    try:
        yield _Workspace(root, root / "state", run)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(run, ignore_errors=True)


def _config(work: _Workspace, upstream_port: int, upstream_ca: Path) -> str:
    return "\n".join(
        [
            "[paths]",
            f"state_dir = {json.dumps(str(work.state))}",
            f"run_dir = {json.dumps(str(work.run))}",
            "[proxy]",
            "listen_port = 0",
            f"intercept_hosts = [{json.dumps(f'localhost:{upstream_port}')}]",
            f"upstream_ca = {json.dumps(str(upstream_ca))}",
            "[policy]",
            'mode = "enforce"',
            "[capture]",
            'level = "redacted"',
            "[watch]",
            "enabled = false",  # the demo shows the session, not this machine's files
            "",
        ]
    )


@dataclass
class _Daemon:
    process: "subprocess.Popen[str] | None"
    stderr: str = ""


@contextlib.contextmanager
def _daemon(config: Path, work: _Workspace, daemon: _Daemon) -> Iterator[None]:
    """Run `agentd run` for the block; its log ends up in ``daemon.stderr`` afterwards."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTD_")}
    env.update({USER_CONFIG_ENV: str(config), SYSTEM_CONFIG_ENV: "", MANAGED_CONFIG_ENV: ""})
    env.pop("NOTIFY_SOCKET", None)  # a demo run under a service manager must not report ready
    log = (work.root / "daemon.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "agentd", "run"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=log,
        text=True,
    )
    daemon.process = process
    try:
        yield
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.seek(0)
        daemon.stderr = log.read()
        log.close()


def _wait_for_proxy(socket: Path, daemon: _Daemon) -> tuple[str, int]:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if daemon.process is None or daemon.process.poll() is not None:
            code = daemon.process.returncode if daemon.process else None
            raise DemoError(f"the demo daemon exited with code {code}")
        listen = _status(socket).get("proxy", {}).get("listen")
        if isinstance(listen, str) and ":" in listen:
            host, _, port = listen.rpartition(":")
            return host.strip("[]"), int(port)
        time.sleep(0.1)  # polling a starting process: there is nothing to wait on instead
    raise DemoError(f"the demo daemon did not start its proxy within {START_TIMEOUT:g}s")


def _status(socket: Path) -> dict[str, Any]:
    try:
        snapshot = call(socket, "status", timeout=5.0)
    except (DaemonNotRunning, ControlError):
        return {}
    return snapshot if isinstance(snapshot, dict) else {}
