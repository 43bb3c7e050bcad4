"""Builds throwaway agentd homes and runs the real `agentd` command against them."""

import os
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

AGENTD = [sys.executable, "-m", "agentd"]


@dataclass(frozen=True)
class AgentdHome:
    root: Path
    config: Path
    state_dir: Path
    run_dir: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(AGENTD_CONFIG=str(self.config), AGENTD_SYSTEM_CONFIG="", AGENTD_MANAGED_CONFIG="")
        env.update(extra)
        return env

    def run(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 60, **kw: Any
    ) -> subprocess.CompletedProcess[str]:
        """Run `agentd ARGS` with this home's config and return the completed process."""
        return subprocess.run(
            [*AGENTD, *args], env=env or self.env(), capture_output=True, text=True, timeout=timeout, **kw
        )

    def start_daemon(self, *args: str, env: dict[str, str] | None = None) -> "RunningDaemon":
        """Start `agentd run` and return once its control socket answers `status`."""
        process = subprocess.Popen(
            [*AGENTD, "run", *args],
            env=env or self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        daemon = RunningDaemon(self, process)
        daemon.wait_ready()
        return daemon

    def write_config(self, text: str) -> None:
        """Append TOML sections to the config (tomllib checks it parses)."""
        combined = self.config.read_text() + "\n" + text
        tomllib.loads(combined)
        self.config.write_text(combined)


class RunningDaemon:
    """A real `agentd run` process; use as a context manager so it is always stopped."""

    def __init__(self, home: AgentdHome, process: "subprocess.Popen[str]") -> None:
        self.home = home
        self.process = process
        self.stderr = ""

    def status(self) -> dict[str, Any]:
        from agentd.observe.client import call

        result: dict[str, Any] = call(self.home.run_dir / "control.sock", "status")
        return result

    def call(self, op: str, **args: Any) -> Any:
        from agentd.observe.client import call

        return call(self.home.run_dir / "control.sock", op, **args)

    def wait_ready(self, timeout: float = 60) -> None:
        from agentd.errors import DaemonNotRunning

        def ready() -> bool:
            if self.process.poll() is not None:
                _, self.stderr = self.process.communicate()
                raise AssertionError(f"agentd run exited with {self.process.returncode}: {self.stderr}")
            try:
                self.status()
            except DaemonNotRunning:
                return False
            return True

        wait_until(ready, timeout, "agentd to answer on its control socket")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Send ``sig`` and wait for the exit code; stderr (JSON log lines) is kept in .stderr."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        _, self.stderr = self.process.communicate(timeout=timeout)
        return self.process.returncode

    def __enter__(self) -> "RunningDaemon":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.02) -> None:
    """Poll ``predicate`` until it holds; a condition wait, not a sleep standing in for one."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def make_home(root: Path) -> AgentdHome:
    # Unix socket paths are limited to ~107 bytes; pytest's tmp paths can be long.
    state_dir = root / "state"
    run_dir = (
        Path(os.environ.get("AGENTD_TEST_RUNDIR_BASE", "/tmp"))
        / f"agentd-{os.getpid()}-{abs(hash(root)) % 10**8}"
    )
    config = root / "agentd.toml"
    config.write_text(
        f'[paths]\nstate_dir = "{state_dir}"\nrun_dir = "{run_dir}"\n\n[proxy]\nlisten_port = 0\n'
    )
    return AgentdHome(root=root, config=config, state_dir=state_dir, run_dir=run_dir)
