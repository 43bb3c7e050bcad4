"""The collector's behaviour behind its four RPCs, free of gRPC: enrollment with tokens,
verified and chained batch storage, policy distribution and heartbeats.

Every refusal raises ``Refused`` with a precise message and is recorded as an alert on the
host it concerns; nothing from a refused batch is stored.
"""

import hashlib
import json
import logging
import re
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agentd.clock import Clock
from agentd.collector.chain import Reason, Refused, Verdict, judge
from agentd.collector.store import ChainMoved, SqlStore
from agentd.collector.store.records import (
    AlertRow,
    BatchRows,
    HostFacts,
    HostRecord,
    StoredPolicy,
    derived_rows,
    event_row,
    to_ms,
)
from agentd.errors import ParseError
from agentd.ship.batches import open_signed
from agentd.ship.bundles import PolicyBundle, sign_bundle
from agentd.ship.keys import key_id, verify
from agentd.wire._generated.agentd.v1 import collector_pb2

log = logging.getLogger(__name__)

POLICY_KEY_SETTING = "policy_public_key"
TOKEN_PREFIX = "agentd-enroll-"  # noqa: S105 - a prefix that makes tokens recognisable, not a secret
_HOST_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_MAX_CHAIN_RETRIES = 5


def token_hash(token: str) -> str:
    """Tokens are stored hashed: a leaked database does not leak usable tokens."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(store: SqlStore, now: datetime, ttl: timedelta, max_uses: int | None = None) -> str:
    """A new enrollment token valid for ``ttl`` (and ``max_uses`` enrollments when given)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(24)
    store.add_token(token_hash(token), now, now + ttl, max_uses)
    return token


def publish_policy(
    store: SqlStore,
    sign: Callable[[bytes], bytes],
    *,
    policies: dict[str, str],
    now: datetime,
    catalog_overrides: dict[str, Any] | None = None,
    config_overrides: dict[str, Any] | None = None,
    version: str | None = None,
) -> PolicyBundle:
    """Sign a bundle with the collector's key and make it the latest one hosts receive."""
    serial = store.next_policy_serial()
    bundle = PolicyBundle(
        version=version or f"{now.strftime('%Y%m%d%H%M%S')}-{serial}",
        serial=serial,
        created=now,
        policies=policies,
        catalog_overrides=catalog_overrides or {},
        config_overrides=config_overrides or {},
    )
    signed = sign_bundle(bundle, sign)
    store.publish_policy(StoredPolicy(serial, bundle.version, to_ms(now), signed.payload, signed.signature))
    return bundle


@dataclass
class ServiceStatistics:
    batches: int = 0
    duplicates: int = 0
    events: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    enrolled: int = 0
    heartbeats: int = 0


class CollectorService:
    def __init__(self, store: SqlStore, clock: Clock, policy_public_key: bytes) -> None:
        self.store = store
        self.clock = clock
        self.policy_public_key = policy_public_key
        self.stats = ServiceStatistics()

    # ---- Enroll ------------------------------------------------------------------------------

    def enroll(self, request: collector_pb2.EnrollRequest) -> collector_pb2.EnrollResponse:
        now = self.clock.now()
        host_id = request.host_id if request.HasField("host_id") else secrets.token_hex(16)
        facts = request.facts
        where = facts.hostname or "an unnamed host"
        try:
            if not _HOST_ID.match(host_id) or len(request.public_key) != 32:
                raise Refused(Reason.MALFORMED, f"enrollment from {where} has a bad host id or public key")
            existing = self.store.host(host_id)
            hashed = token_hash(request.token)
            if existing is not None and existing.public_key == request.public_key:
                if self.store.token(hashed) is None:
                    raise Refused(
                        Reason.UNKNOWN_TOKEN, f"host {host_id} re-enrolled with a token never issued"
                    )
            else:
                self._check_token(hashed, now, host_id)
                if existing is not None and existing.token_hash == hashed:
                    raise Refused(
                        Reason.STALE_TOKEN,
                        f"host {host_id} presents a new key; re-keying needs a fresh token, not the one it "
                        "enrolled with",
                    )
        except Refused as refused:
            self._alert(
                host_id if _HOST_ID.match(host_id) else "unenrolled", refused, {"hostname": facts.hostname}
            )
            raise
        record = HostRecord(
            host_id=host_id,
            public_key=request.public_key,
            key_id=key_id(request.public_key),
            token_hash=hashed,
            facts=HostFacts(
                hostname=facts.hostname,
                os=facts.os,
                os_version=facts.os_version,
                arch=facts.arch,
                agentd_version=facts.agentd_version,
                users=tuple(facts.users),
            ),
            enrolled=now,
        )
        self.store.enroll(record, hashed)
        if existing is not None and existing.public_key != request.public_key:
            self.store.add_alert(
                AlertRow(
                    host_id=host_id,
                    time_ms=to_ms(now),
                    rule_id="collector.host_rekeyed",
                    title="Host enrolled a new signing key",
                    reason=f"key {existing.key_id} replaced by {record.key_id} with a fresh enrollment token",
                    severity="medium",
                    source="collector",
                )
            )
        self.stats.enrolled += 1
        log.info(
            "host enrolled", extra={"host_id": host_id, "hostname": facts.hostname, "key_id": record.key_id}
        )
        return collector_pb2.EnrollResponse(
            host_id=host_id, policy_public_key=self.policy_public_key, key_id=record.key_id
        )

    def _check_token(self, hashed: str, now: datetime, host_id: str) -> None:
        token = self.store.token(hashed)
        if token is None:
            raise Refused(Reason.UNKNOWN_TOKEN, f"host {host_id} presented an enrollment token never issued")
        if token.expires_ms <= to_ms(now):
            expired = datetime.fromtimestamp(token.expires_ms / 1000, now.tzinfo).isoformat()
            raise Refused(
                Reason.EXPIRED_TOKEN, f"host {host_id} presented an enrollment token that expired {expired}"
            )
        if token.max_uses is not None and token.uses >= token.max_uses:
            raise Refused(Reason.TOKEN_USED_UP, f"the enrollment token was already used {token.uses} times")

    # ---- PushBatch ---------------------------------------------------------------------------

    def push(self, signed: collector_pb2.SignedBatch) -> collector_pb2.PushBatchResponse:
        """Verify and store one batch; Refused (after recording an alert) when it must not be."""
        host_id = "unknown"
        try:
            try:
                opened = open_signed(signed)
            except ParseError as exc:
                raise Refused(Reason.MALFORMED, str(exc)) from None
            batch = opened.batch
            host_id = batch.host_id
            host = self.store.host(host_id)
            if host is None:
                raise Refused(Reason.UNKNOWN_HOST, f"host {host_id} is not enrolled")
            if opened.key_id != host.key_id:
                raise Refused(
                    Reason.WRONG_KEY,
                    f"batch {batch.sequence} is signed with key {opened.key_id!r}; "
                    f"host {host_id} is enrolled with key {host.key_id}",
                )
            if not verify(host.public_key, opened.signature, opened.payload):
                raise Refused(
                    Reason.BAD_SIGNATURE,
                    f"batch {batch.sequence} from host {host_id}: signature does not match its payload",
                )
            received = to_ms(self.clock.now())
            events = [
                event_row(e, epoch=batch.epoch, batch_sequence=batch.sequence, received_ms=received)
                for e in batch.events
            ]
            alerts, inventory = [], []
            for message, row in zip(batch.events, events, strict=True):
                more_alerts, more_inventory = derived_rows(message, row)
                alerts += more_alerts
                inventory += more_inventory
            rows = BatchRows(
                host_id=host_id,
                epoch=batch.epoch,
                sequence=batch.sequence,
                digest=opened.digest,
                first_seq=batch.first_seq,
                last_seq=batch.last_seq,
                received_ms=received,
                events=events,
                alerts=alerts,
                inventory=inventory,
            )
            for _ in range(_MAX_CHAIN_RETRIES):
                judgement = judge(host.chain, batch, opened.digest)
                if judgement.verdict is Verdict.DUPLICATE:
                    self.stats.duplicates += 1
                    return collector_pb2.PushBatchResponse(acked_sequence=batch.sequence, duplicate=True)
                try:
                    self.store.store_batch(rows, expected=host.chain)
                except ChainMoved:
                    # Another replica moved this host's chain: look again, it may be our duplicate.
                    refreshed = self.store.host(host_id)
                    assert refreshed is not None
                    host = refreshed
                    continue
                break
            else:
                raise Refused(Reason.FORK, f"host {host_id}'s chain kept moving under batch {batch.sequence}")
        except Refused as refused:
            self._alert(host_id, refused, {"sequence": _sequence(signed)})
            raise
        if judgement.verdict is Verdict.NEW_EPOCH and judgement.restarted:
            self.store.add_alert(
                AlertRow(
                    host_id=host_id,
                    time_ms=received,
                    rule_id="collector.chain_restarted",
                    title="Host started a new batch chain",
                    reason=f"epoch {batch.epoch} replaces epoch {host.chain.epoch} after batch "
                    f"{host.chain.sequence}: the host's spool was replaced (corrupt or deleted)",
                    severity="high",
                    source="collector",
                )
            )
        self.stats.batches += 1
        self.stats.events += len(events)
        return collector_pb2.PushBatchResponse(acked_sequence=batch.sequence, stored_events=len(events))

    # ---- GetPolicy and Heartbeat -------------------------------------------------------------

    def policy(self, request: collector_pb2.GetPolicyRequest) -> collector_pb2.GetPolicyResponse:
        if self.store.host(request.host_id) is None:
            raise Refused(Reason.UNKNOWN_HOST, f"host {request.host_id} is not enrolled")
        latest = self.store.latest_policy()
        if latest is None:
            return collector_pb2.GetPolicyResponse(none_published=True)
        if latest.version == request.current_version:
            return collector_pb2.GetPolicyResponse(unchanged=True)
        return collector_pb2.GetPolicyResponse(payload=latest.payload, signature=latest.signature)

    def heartbeat(self, request: collector_pb2.HeartbeatRequest) -> collector_pb2.HeartbeatResponse:
        host = self.store.host(request.host_id)
        if host is None:
            raise Refused(Reason.UNKNOWN_HOST, f"host {request.host_id} is not enrolled")
        unsigned = collector_pb2.HeartbeatRequest()
        unsigned.CopyFrom(request)
        unsigned.ClearField("signature")
        if not verify(host.public_key, request.signature, unsigned.SerializeToString(deterministic=True)):
            refused = Refused(
                Reason.BAD_SIGNATURE, f"heartbeat from host {request.host_id} is not signed by its key"
            )
            self._alert(request.host_id, refused, {})
            raise refused
        self.store.heartbeat(
            request.host_id,
            seen=self.clock.now(),
            agentd_version=request.agentd_version,
            policy_version=request.policy_version,
            spool_depth=request.spool_depth,
            dropped=dict(request.dropped),
            components=[{"name": c.name, "state": c.state, "detail": c.detail} for c in request.components],
        )
        self.stats.heartbeats += 1
        latest = self.store.latest_policy()
        return collector_pb2.HeartbeatResponse(latest_policy_version=latest.version if latest else "")

    # ---- alerts ------------------------------------------------------------------------------

    def _alert(self, host_id: str, refused: Refused, details: dict[str, Any]) -> None:
        self.stats.refused[refused.reason.value] += 1
        log.warning("request refused", extra={"host_id": host_id, "reason": str(refused)})
        self.store.add_alert(
            AlertRow(
                host_id=host_id,
                time_ms=to_ms(self.clock.now()),
                rule_id=f"collector.{refused.reason.value}",
                title=_TITLES[refused.reason],
                reason=str(refused),
                severity="high",
                source="collector",
                details=json.dumps(details, sort_keys=True),
            )
        )

    def statistics(self) -> dict[str, Any]:
        return {
            "batches": self.stats.batches,
            "duplicates": self.stats.duplicates,
            "events": self.stats.events,
            "refused": dict(self.stats.refused),
            "enrolled": self.stats.enrolled,
            "heartbeats": self.stats.heartbeats,
        }


def _sequence(signed: collector_pb2.SignedBatch) -> int | None:
    try:
        return open_signed(signed).batch.sequence
    except ParseError:
        return None


_TITLES = {
    Reason.MALFORMED: "Malformed request refused",
    Reason.UNKNOWN_HOST: "Batch from an unknown host refused",
    Reason.WRONG_KEY: "Batch signed with the wrong key refused",
    Reason.BAD_SIGNATURE: "Batch with a bad signature refused (tampered?)",
    Reason.GAP: "Batch out of order refused (gap in the chain)",
    Reason.FORK: "Conflicting batch refused (fork in the chain)",
    Reason.REPLAY: "Replayed batch refused",
    Reason.STALE_EPOCH: "Batch from a replaced chain refused",
    Reason.UNKNOWN_TOKEN: "Enrollment with an unknown token refused",
    Reason.EXPIRED_TOKEN: "Enrollment with an expired token refused",
    Reason.TOKEN_USED_UP: "Enrollment with a used-up token refused",
    Reason.STALE_TOKEN: "Re-keying without a fresh token refused",
}
