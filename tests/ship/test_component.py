import asyncio
from pathlib import Path

import pytest

from agentd.clock import SystemClock
from agentd.config import Settings
from agentd.events import Stamper
from agentd.record.spool import Spool
from agentd.ship.component import TEST_OPS_ENV, BurstOps, ship_components

CLOCK = SystemClock()
STAMP = Stamper(host_id="e5" * 16)


def settings(tmp_path: Path, **collector: object) -> Settings:
    return Settings.model_validate(
        {
            "paths": {"state_dir": str(tmp_path / "state"), "run_dir": str(tmp_path / "run")},
            "collector": collector,
        }
    )


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    return Spool.open(tmp_path / "spool.sqlite3", max_bytes=10**8, retention_days=7, clock=CLOCK, stamp=STAMP)


def test_no_collector_means_no_ship_components(tmp_path: Path, spool: Spool) -> None:
    assert ship_components(settings(tmp_path), spool=spool, clock=CLOCK, stamp=STAMP) == []


def test_a_collector_url_adds_the_shipper_and_policy_sync(tmp_path: Path, spool: Spool) -> None:
    components = ship_components(
        settings(tmp_path, url="https://c.example:443"), spool=spool, clock=CLOCK, stamp=STAMP
    )
    assert [c.name for c in components] == ["collector", "policy_sync"]
    assert components[0].statistics()["state"] == "starting"
    assert components[1].statistics()["version"] is None
    assert (tmp_path / "state" / "keys" / "host_ed25519").exists()


def test_test_ops_exist_only_when_asked_for(
    tmp_path: Path, spool: Spool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEST_OPS_ENV, "1")
    (ops,) = ship_components(settings(tmp_path), spool=spool, clock=CLOCK, stamp=STAMP)
    assert isinstance(ops, BurstOps)
    assert set(ops.control_ops()) == {"test.burst", "test.flush"}


async def test_a_burst_emits_a_mix_that_the_spool_commits(spool: Spool) -> None:
    ops = BurstOps(spool, STAMP, CLOCK)
    handlers = ops.control_ops()
    assert await handlers["test.burst"]({"count": 100, "mix": "mixed", "chunk": 7}) == {"started": 100}
    result = await handlers["test.flush"]({})
    assert result["emitted"] == 100
    kinds = [e.kind for e in spool.query()]
    assert len(kinds) == 100
    assert kinds.count("alert") == 10
    assert kinds.count("tool_call") == 10
    serving = asyncio.get_running_loop().create_task(ops.serve())
    serving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await serving
    assert ops.statistics() == {"emitted": 100, "bursts": 0}
