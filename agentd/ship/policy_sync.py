"""Policy sync (Component "policy_sync"): fetch the collector's signed bundle, verify it against
the key pinned at enrollment, cache it on disk, and hand it to the policy engine without a
restart. A bundle that fails verification, goes backwards, or that the engine refuses is
rejected with an alert, and the last good bundle stays in force.
"""

import asyncio
import contextlib
import hashlib
import logging
import os
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from google.protobuf.message import DecodeError

from agentd.clock import Clock
from agentd.errors import AgentdError, CollectorUnavailable, PolicyError
from agentd.events import Alert, EventSink, PolicyUpdated, Severity, Stamper
from agentd.ship.bundles import PolicyBundle, SignedBundle, verify_bundle
from agentd.ship.client import CollectorClient, Refusal
from agentd.ship.enrollment import Enrollment
from agentd.wire._generated.agentd.v1 import collector_pb2

log = logging.getLogger(__name__)

ApplyPolicy = Callable[[PolicyBundle], None]
"""Installs a verified bundle in the policy engine; raises PolicyError to refuse it."""

CACHE_FILE = "bundle.bin"


class PolicySync:
    name = "policy_sync"

    def __init__(
        self,
        client: CollectorClient,
        *,
        cache_dir: Path,
        host_id: str,
        enrollment: Callable[[], Enrollment | None],
        clock: Clock,
        stamp: Stamper,
        sink: EventSink,
        poll_seconds: float,
        apply: ApplyPolicy | None = None,
    ) -> None:
        self.client = client
        self.cache_dir = cache_dir
        self.host_id = host_id
        self.enrollment = enrollment
        self.clock = clock
        self.stamp = stamp
        self.sink = sink
        self.poll_seconds = poll_seconds
        self.apply = apply
        self.current: PolicyBundle | None = None
        self.source = "built-in"
        self.last_check: datetime | None = None
        self.last_error: str | None = None
        self.refused = 0
        self._refused_digests: set[bytes] = set()
        self._poke: asyncio.Event | None = None

    def set_apply(self, apply: ApplyPolicy) -> None:
        """Connect the policy engine; the bundle in force (if any) is applied to it at once."""
        self.apply = apply
        if self.current is not None:
            apply(self.current)

    @property
    def version(self) -> str | None:
        return self.current.version if self.current else None

    # ---- the cache ---------------------------------------------------------------------------

    def load_cache(self) -> PolicyBundle | None:
        """Apply the cached bundle if it still verifies against the pinned key (start-up)."""
        path = self.cache_dir / CACHE_FILE
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self.last_error = f"cannot read the policy cache {path}: {exc.strerror}"
            return None
        try:
            cached = collector_pb2.GetPolicyResponse.FromString(raw)
        except (DecodeError, RuntimeWarning) as exc:
            self._refuse("cache", f"policy cache {path} is damaged: {exc}", hashlib.sha256(raw).digest())
            return None
        signed = SignedBundle(cached.payload, cached.signature)
        if self._install(signed, "cache"):
            return self.current
        return None

    def _write_cache(self, signed: SignedBundle) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.cache_dir / CACHE_FILE
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        data = collector_pb2.GetPolicyResponse(
            payload=signed.payload, signature=signed.signature
        ).SerializeToString()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)

    # ---- verification and apply --------------------------------------------------------------

    def _install(self, signed: SignedBundle, source: str) -> bool:
        digest = hashlib.sha256(signed.payload + signed.signature).digest()
        if digest in self._refused_digests:
            return False  # refused once already: no second alert for the same bytes
        enrollment = self.enrollment()
        if enrollment is None:
            self.last_error = "no pinned collector key yet (not enrolled)"
            return False
        try:
            bundle = verify_bundle(signed, enrollment.policy_public_key)
            if self.current is not None and bundle.serial < self.current.serial:
                raise PolicyError(
                    f"bundle {bundle.version} (serial {bundle.serial}) is older than the one in force "
                    f"({self.current.version}, serial {self.current.serial})"
                )
            if self.apply is not None:
                self.apply(bundle)
        except PolicyError as exc:
            self._refuse(source, str(exc), digest)
            return False
        previous = self.current
        self.current = bundle
        self.source = source
        self.last_error = None
        if source != "cache":
            self._write_cache(signed)
        self.sink.emit(
            self.stamp(
                PolicyUpdated,
                self.clock.now(),
                version=bundle.version,
                previous_version=previous.version if previous else None,
                accepted=True,
            )
        )
        log.info("policy bundle applied", extra={"version": bundle.version, "source": source})
        return True

    def _refuse(self, source: str, reason: str, digest: bytes) -> None:
        self._refused_digests.add(digest)
        self.refused += 1
        self.last_error = reason
        now = self.clock.now()
        log.error("policy bundle refused", extra={"source": source, "reason": reason})
        in_force = self.current.version if self.current else "built-in"
        self.sink.emit(
            self.stamp(
                PolicyUpdated,
                now,
                severity=Severity.HIGH,
                version="(refused)",
                previous_version=self.version,
                accepted=False,
                reason=reason,
            )
        )
        self.sink.emit(
            self.stamp(
                Alert,
                now,
                severity=Severity.HIGH,
                alert_id=f"policy-refused-{digest.hex()[:16]}",
                rule_id="policy.bundle_refused",
                title="Policy bundle refused",
                reason=f"{reason}; the policy in force stays {in_force}",
            )
        )

    # ---- the loop ----------------------------------------------------------------------------

    def poke(self, _version: str = "") -> None:
        """Check now (the heartbeat said a newer version exists)."""
        if self._poke is not None:
            self._poke.set()

    async def check(self) -> bool:
        """Fetch and install the latest bundle; True when a new one is now in force."""
        self.last_check = self.clock.now()
        if self.enrollment() is None:
            return False
        response = await self.client.get_policy(self.host_id, self.version or "")
        if response.unchanged or response.none_published:
            return False
        return self._install(SignedBundle(response.payload, response.signature), "collector")

    async def serve(self) -> None:
        self._poke = poke = asyncio.Event()
        try:
            while True:
                poke.clear()
                try:
                    await self.check()
                except (CollectorUnavailable, Refusal) as exc:
                    self.last_error = str(exc)
                except AgentdError as exc:
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    log.warning("policy check failed", extra={"error": self.last_error})
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(poke.wait(), self.poll_seconds)
        finally:
            self._poke = None

    def statistics(self) -> Mapping[str, Any]:
        return {
            "version": self.version,
            "serial": self.current.serial if self.current else None,
            "source": self.source,
            "policies": sorted(self.current.policies) if self.current else [],
            "last_check": self.last_check.isoformat() if self.last_check else None,
            "last_error": self.last_error,
            "refused": self.refused,
        }
