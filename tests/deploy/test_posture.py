import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agentd.clock import SystemClock
from agentd.config import LoadedSettings, PathsSettings, ProxySettings, Settings
from agentd.deploy.agents import Places, Scope, plan
from agentd.deploy.integrate import install
from agentd.deploy.posture import Posture, self_watch
from agentd.events import AgentKind, Stamper
from agentd.record.spool import Spool
from tests.support.certs import make_ca

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


class StepClock:
    """Sleeps return at once; each one is recorded and wakes whoever waits on ``ticked``."""

    def __init__(self) -> None:
        self.slept: list[float] = []
        self.ticked = asyncio.Event()

    async def until_slept(self, predicate: "Callable[[list[float]], bool]") -> None:
        while not predicate(self.slept):
            self.ticked.clear()
            await self.ticked.wait()

    def now(self) -> datetime:
        return NOW

    def monotonic(self) -> float:
        return float(len(self.slept))

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.ticked.set()
        await asyncio.sleep(0)


def _loaded(tmp_path: Path, port: int = 18899) -> LoadedSettings:
    settings = Settings(
        paths=PathsSettings(state_dir=tmp_path / "state", run_dir=tmp_path / "run"),
        proxy=ProxySettings(listen_port=port),
    )
    return LoadedSettings(settings=settings, origins={}, locked=frozenset())


def _posture(tmp_path: Path, listen: str | None, port: int = 18899) -> tuple[Posture, Places, list[str]]:
    home = tmp_path / "home"
    home.mkdir()
    launcher = tmp_path / "bin" / "agentd"
    launcher.parent.mkdir()
    launcher.write_text("#!/bin/sh\n")
    launcher.chmod(0o755)
    empty = tmp_path / "empty-path"
    empty.mkdir()
    environ = {"PATH": str(empty), "AGENTD_BIN": str(launcher)}
    places = Places(home=home, root=tmp_path / "root", platform="linux", environ=environ)
    posture = Posture(_loaded(tmp_path, port), StepClock(), lambda: listen, places=places, environ=environ)
    return posture, places, [str(launcher)]


def test_reports_the_ca_and_each_agent_as_the_daemon_sees_them(tmp_path: Path) -> None:
    posture, places, launcher = _posture(tmp_path, "127.0.0.1:18899")
    ca = tmp_path / "state" / "ca" / "mitmproxy-ca-cert.pem"
    ca.parent.mkdir(parents=True)
    ca.write_bytes(make_ca("agentd test CA", not_before=NOW - timedelta(days=1))[0])
    install(
        plan(
            AgentKind.CLAUDE_CODE,
            Scope.USER,
            places,
            agentd=launcher,
            proxy_url="http://127.0.0.1:18899",
            ca_cert=ca,
        )
    )
    posture.results = posture.check()
    stats = posture.statistics()
    assert stats["ca"]["path"] == str(ca)
    assert stats["ca"]["status"] == "pass"
    assert stats["ca"]["system_trust"]["status"] == "warn"  # not in this machine's store
    assert stats["ca"]["system_trust"]["fix"]
    claude = stats["agents"]["claude-code"]
    assert claude["installed"] is True
    assert claude["hooks"]["status"] == "pass", claude
    assert claude["env"]["status"] == "pass", claude
    assert stats["agents"]["codex"] == {"installed": False}
    assert stats["managed"]["status"] == "warn"


def test_before_the_first_check_nothing_is_claimed(tmp_path: Path) -> None:
    posture, _, _ = _posture(tmp_path, None)
    stats = posture.statistics()
    assert stats["checked"] is None
    assert stats["ca"]["status"] is None
    assert stats["ca"]["system_trust"] is None
    assert stats["agents"] == {}


async def test_waits_for_a_picked_port_then_rechecks_periodically(tmp_path: Path) -> None:
    listen: list[str | None] = [None]
    posture, _, _ = _posture(tmp_path, None, port=0)
    posture.listen = lambda: listen[0]
    clock = posture.clock
    assert isinstance(clock, StepClock)
    task = asyncio.create_task(posture.serve())
    await clock.until_slept(lambda slept: len(slept) >= 3)
    assert posture.runs == 0  # the proxy has no port yet
    listen[0] = "127.0.0.1:40000"
    await clock.until_slept(lambda slept: slept.count(posture.interval) >= 2)
    task.cancel()
    assert posture.runs == 2
    assert posture.checked == NOW.isoformat()
    assert posture.interval in clock.slept


def test_self_watch_builds_the_status_components(tmp_path: Path) -> None:
    stamp = Stamper(host_id="h" * 32)
    spool = Spool.open(
        tmp_path / "spool.sqlite3", max_bytes=1 << 26, retention_days=7, clock=SystemClock(), stamp=stamp
    )
    try:
        components = self_watch(
            _loaded(tmp_path), spool=spool, stamp=stamp, clock=SystemClock(), components=[spool]
        )
        assert [c.name for c in components] == ["footprint", "activity", "integration"]
    finally:
        spool.close()
