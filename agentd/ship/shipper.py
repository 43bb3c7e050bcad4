"""The shipping loop (Component "collector"): enroll when needed, resend unacknowledged
batches, seal and push new ones, heartbeat; back off with jitter while the collector is away.

Resumption is the spool's outbox: sealed batches are durable and resent byte for byte, so a
crash between send and acknowledgement yields a duplicate the collector acknowledges, never a
fork.
"""

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from agentd import __version__
from agentd.clock import Clock
from agentd.config import CollectorSettings
from agentd.errors import CollectorUnavailable, ConfigError, ShipError
from agentd.record.schema import SpooledEvent
from agentd.record.spool import SealedBatch, Spool
from agentd.ship import batches
from agentd.ship.backoff import Backoff
from agentd.ship.client import CollectorClient, Refusal
from agentd.ship.enrollment import Enrollment, enroll, load_enrollment, save_enrollment
from agentd.ship.keys import HostKey
from agentd.wire._generated.agentd.v1 import collector_pb2

log = logging.getLogger(__name__)

Health = Callable[[], Sequence[tuple[str, str, str]]]
"""(component name, state, detail) for every component, for the heartbeat."""


class NotEnrolled(ShipError):
    """The host has no enrollment and no token to get one."""


class Shipper:
    name = "collector"

    def __init__(
        self,
        spool: Spool,
        client: CollectorClient,
        key: HostKey,
        *,
        settings: CollectorSettings,
        state_dir: Path,
        host_id: str,
        clock: Clock,
        backoff: Backoff | None = None,
        rand: Callable[[], float] = random.random,
        health: Health | None = None,
    ) -> None:
        self.spool = spool
        self.client = client
        self.key = key
        self.settings = settings
        self.state_dir = state_dir
        self.host_id = host_id
        self.clock = clock
        self.backoff = backoff or Backoff()
        self.rand = rand
        self.health = health
        self.limits = batches.BatchLimits(
            max_events=settings.batch_max_events,
            max_bytes=settings.batch_max_bytes,
            max_age=timedelta(seconds=settings.batch_max_age_seconds),
        )
        self.enrollment: Enrollment | None = load_enrollment(state_dir)
        self.policy_version: Callable[[], str | None] = lambda: None
        self.on_policy_hint: Callable[[str], None] = lambda _version: None
        self.state = "starting"
        self.attempt = 0
        self.backoff_seconds = 0.0
        self.next_retry: datetime | None = None
        self.last_error: str | None = None
        self.last_ack: int | None = None
        self.last_ack_time: datetime | None = None
        self.batches_sent = 0
        self.events_sent = 0
        self.duplicates = 0
        self._latencies: deque[float] = deque(maxlen=256)
        self._started = clock.monotonic()
        self._next_heartbeat = clock.monotonic()
        self._wake: asyncio.Event | None = None

    # ---- the loop ----------------------------------------------------------------------------

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        self._wake = wake = asyncio.Event()

        def committed(_last_seq: int) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is gone during shutdown
                loop.call_soon_threadsafe(wake.set)

        self.spool.add_commit_listener(committed)
        try:
            while True:
                wake.clear()
                try:
                    await self.ensure_enrolled()
                    pause = await self._round()
                except CollectorUnavailable as exc:
                    pause = self._failed("backoff", str(exc))
                except Refusal as exc:
                    pause = self._failed("rejected", str(exc))
                except NotEnrolled as exc:
                    pause = self._failed("not_enrolled", str(exc))
                except ConfigError as exc:
                    pause = self._failed("misconfigured", str(exc))
                else:
                    self.attempt = 0
                    self.backoff_seconds = 0.0
                    self.next_retry = None
                    self.state = "connected"
                with contextlib.suppress(TimeoutError):
                    if self.state == "connected":
                        await asyncio.wait_for(wake.wait(), pause)
                    else:
                        await self.clock.sleep(pause)
        finally:
            self._wake = None
            with contextlib.suppress(Exception):
                await self.client.close()

    def _failed(self, state: str, error: str) -> float:
        delay = self.backoff.delay(self.attempt, self.rand())
        if state != "backoff":  # the collector will say the same again soon: do not hammer it
            delay = max(delay, min(self.backoff.maximum, 30.0))
        self.attempt += 1
        self.state = state
        self.last_error = error
        self.backoff_seconds = round(delay, 3)
        self.next_retry = self.clock.now() + timedelta(seconds=delay)
        log.warning(
            "shipping paused", extra={"state": state, "error": error, "retry_in": self.backoff_seconds}
        )
        return delay

    def wake(self) -> None:
        """Try again now (e.g. `agentd enroll` succeeded); safe from the loop thread only."""
        if self._wake is not None:
            self._wake.set()

    async def ensure_enrolled(self) -> None:
        if self.enrollment is None or self.enrollment.key_id != self.key.key_id:
            self.enrollment = load_enrollment(self.state_dir)  # `agentd enroll` may have run meanwhile
        enrollment = self.enrollment
        if enrollment is not None and enrollment.key_id == self.key.key_id:
            return
        token = self.settings.token.get_secret_value() if self.settings.token else None
        if not token:
            why = "the host key changed since enrollment" if enrollment else "this host is not enrolled"
            raise NotEnrolled(f"{why}: run `agentd enroll --token T` or set [collector] token")
        self.state = "enrolling"
        self.enrollment = await enroll(
            self.client, self.key, host_id=self.host_id, token=token, now=self.clock.now()
        )
        save_enrollment(self.state_dir, self.enrollment)
        log.info("enrolled with the collector", extra={"url": self.client.url, "host_id": self.host_id})

    async def _round(self) -> float:
        """Send everything that is due; return how long to wait before looking again."""
        for unacknowledged in await asyncio.to_thread(self.spool.pending):
            await self._send(unacknowledged)
        while True:
            state = await asyncio.to_thread(self.spool.outbox_state)
            now = self.clock.now()
            if not batches.due(state, self.limits, now):
                break
            batch = await asyncio.to_thread(self._seal_next)
            if batch is None:
                break
            await self._send(batch)
        if self.clock.monotonic() >= self._next_heartbeat:
            await self._heartbeat()
            self._next_heartbeat = self.clock.monotonic() + self.settings.heartbeat_seconds
        pause = max(0.0, self._next_heartbeat - self.clock.monotonic())
        if state.oldest_unsealed is not None:
            age_due = (state.oldest_unsealed + self.limits.max_age - now).total_seconds()
            pause = min(pause, max(0.01, age_due))
        return pause

    def _seal_next(self) -> SealedBatch | None:
        return self.spool.seal_next(
            self.build_batch, max_events=self.limits.max_events, max_bytes=self.limits.max_bytes
        )

    def build_batch(self, events: Sequence[SpooledEvent], sequence: int, prev_digest: bytes) -> SealedBatch:
        return batches.build(
            events,
            sequence,
            prev_digest,
            host_id=self.host_id,
            epoch=self.spool.epoch,
            created=self.clock.now(),
            signer=self.key.sign,
            key_id=self.key.key_id,
        )

    async def _send(self, batch: SealedBatch) -> None:
        started = self.clock.monotonic()
        response = await self.client.push(batch.wire)
        self._latencies.append(self.clock.monotonic() - started)
        await asyncio.to_thread(self.spool.acknowledge, batch.sequence)
        self.last_ack = batch.sequence
        self.last_ack_time = self.clock.now()
        self.batches_sent += 1
        self.events_sent += batch.count
        if response.duplicate:
            self.duplicates += 1

    async def _heartbeat(self) -> None:
        stats = self.spool.statistics()
        request = collector_pb2.HeartbeatRequest(
            host_id=self.host_id,
            agentd_version=__version__,
            policy_version=self.policy_version() or "",
            spool_depth=int(stats.get("depth", 0)),
            dropped={str(k): int(v) for k, v in dict(stats.get("dropped", {})).items()},
            components=[
                collector_pb2.ComponentHealth(name=n, state=s, detail=d)
                for n, s, d in (self.health or list)()
            ],
            last_seq=int(stats.get("last_seq", 0)),
            uptime_seconds=int(self.clock.monotonic() - self._started),
        )
        request.sent.FromDatetime(self.clock.now())
        request.signature = self.key.sign(request.SerializeToString(deterministic=True))
        response = await self.client.heartbeat(request)
        if response.latest_policy_version and response.latest_policy_version != (self.policy_version() or ""):
            self.on_policy_hint(response.latest_policy_version)

    # ---- status ------------------------------------------------------------------------------

    def statistics(self) -> Mapping[str, Any]:
        latencies = sorted(self._latencies)
        p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else None
        return {
            "state": self.state,
            "url": self.client.url,
            "host_id": self.host_id,
            "enrolled": self.enrollment is not None,
            "key": self.key.statistics(),
            "attempt": self.attempt,
            "backoff_seconds": self.backoff_seconds,
            "next_retry": self.next_retry.isoformat() if self.next_retry else None,
            "last_error": self.last_error,
            "last_ack_sequence": self.last_ack,
            "last_ack_time": self.last_ack_time.isoformat() if self.last_ack_time else None,
            "batches_sent": self.batches_sent,
            "events_sent": self.events_sent,
            "duplicates": self.duplicates,
            "batch_latency_p95_ms": None if p95 is None else round(p95 * 1000, 2),
        }
