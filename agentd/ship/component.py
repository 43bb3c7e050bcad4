"""Builds the ship components for the composition root: the shipper and policy sync when a
collector is configured, and (only with ``AGENTD_TEST_OPS=1``) control ops tests drive.
"""

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from agentd import keyfile
from agentd.clock import Clock
from agentd.config import Settings
from agentd.events import (
    Alert,
    Decision,
    Event,
    Outcome,
    Severity,
    Stamper,
    ToolCall,
    UserPrompt,
)
from agentd.record.spool import Spool
from agentd.ship.client import CollectorClient
from agentd.ship.keys import load_host_key
from agentd.ship.policy_sync import ApplyPolicy, PolicySync
from agentd.ship.shipper import Health, Shipper

TEST_OPS_ENV = "AGENTD_TEST_OPS"


class Component(Protocol):
    name: str

    async def serve(self) -> None: ...
    def statistics(self) -> Mapping[str, Any]: ...


Handler = Callable[[dict[str, Any]], Awaitable[Any]]


def ship_components(
    settings: Settings,
    *,
    spool: Spool,
    clock: Clock,
    stamp: Stamper,
    apply_policy: ApplyPolicy | None = None,
    health: Health | None = None,
) -> list[Component]:
    """The shipper and policy sync for ``[collector] url`` (none when it is unset), plus the
    test-ops component when ``AGENTD_TEST_OPS=1``. KeyStoreError / ConfigError when the host
    key or the collector settings cannot be used."""
    components: list[Component] = []
    collector = settings.collector
    if collector.url:
        paths = settings.paths
        host_id = keyfile.host_id(paths.state_dir)
        key = load_host_key(paths.keys_dir, host_id)
        client = CollectorClient(
            collector.url, ca=collector.ca, client_cert=collector.client_cert, client_key=collector.client_key
        )
        shipper = Shipper(
            spool,
            client,
            key,
            settings=collector,
            state_dir=paths.state_dir,
            host_id=host_id,
            clock=clock,
            health=health,
        )
        policy = PolicySync(
            client,
            cache_dir=paths.state_dir / "policy",
            host_id=host_id,
            enrollment=lambda: shipper.enrollment,
            clock=clock,
            stamp=stamp,
            sink=spool,
            poll_seconds=collector.policy_poll_seconds,
            apply=apply_policy,
        )
        policy.load_cache()
        shipper.policy_version = lambda: policy.version
        shipper.on_policy_hint = policy.poke
        components += [shipper, policy]
    if os.environ.get(TEST_OPS_ENV) == "1":
        components.append(BurstOps(spool, stamp, clock))
    return components


class BurstOps:
    """Control ops for acceptance tests (never enabled in production): ``test.burst`` emits
    events into the spool in the background, as a busy pipeline would.

    The composition root registers ``control_ops()`` on the control socket."""

    name = "test_ops"

    def __init__(self, spool: Spool, stamp: Stamper, clock: Clock) -> None:
        self.spool = spool
        self.stamp = stamp
        self.clock = clock
        self.emitted = 0
        self.bursts: set[asyncio.Task[None]] = set()

    def control_ops(self) -> dict[str, Handler]:
        return {"test.burst": self._burst, "test.flush": self._flush}

    async def _burst(self, args: dict[str, Any]) -> dict[str, Any]:
        count = int(args.get("count", 1000))
        mix = str(args.get("mix", "prompts"))
        chunk = int(args.get("chunk", 200))
        task = asyncio.get_running_loop().create_task(self._emit(count, mix, chunk))
        self.bursts.add(task)
        task.add_done_callback(self.bursts.discard)
        return {"started": count}

    async def _flush(self, _args: dict[str, Any]) -> dict[str, Any]:
        while self.bursts:
            await asyncio.gather(*self.bursts)
        committed = await asyncio.to_thread(self.spool.flush)
        return {"emitted": self.emitted, "committed_now": committed}

    async def _emit(self, count: int, mix: str, chunk: int) -> None:
        for start in range(0, count, chunk):
            for i in range(start, min(count, start + chunk)):
                self.spool.emit(self._event(i, mix))
                self.emitted += 1
            await asyncio.sleep(0)  # let the spool commit and the shipper ship mid-burst

    def _event(self, i: int, mix: str) -> Event:
        now = self.clock.now()
        if mix == "mixed" and i % 10 == 3:
            return self.stamp(
                Alert,
                now,
                severity=Severity.HIGH,
                alert_id=f"burst-{i}",
                rule_id="test.burst",
                title="t",
                reason="r",
            )
        if mix == "mixed" and i % 10 == 7:
            return self.stamp(
                ToolCall,
                now,
                call_id=f"call-{i}",
                tool="Bash",
                input_hash="0" * 64,
                decision=Decision(outcome=Outcome.DENY, enforced=True, reasons=("test",)),
            )
        return self.stamp(UserPrompt, now, session_id="burst", message_index=i, text=f"burst {i}", chars=8)

    async def serve(self) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            for task in self.bursts:
                task.cancel()

    def statistics(self) -> Mapping[str, Any]:
        return {"emitted": self.emitted, "bursts": len(self.bursts)}
