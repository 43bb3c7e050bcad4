import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agentd.clock import SystemClock
from agentd.collector.chain import Reason, Refused
from agentd.collector.service import CollectorService, create_token, token_hash
from agentd.collector.store import SqlStore
from agentd.wire._generated.agentd.v1 import collector_pb2
from tests.support.collector import SimulatedHost

CLOCK = SystemClock()
POLICY_KEY = Ed25519PrivateKey.generate().public_key().public_bytes_raw()


def service_for(store: SqlStore) -> CollectorService:
    return CollectorService(store, CLOCK, POLICY_KEY)


def signed(batch_wire: bytes) -> collector_pb2.SignedBatch:
    return collector_pb2.SignedBatch.FromString(batch_wire)


def enroll_request(host: SimulatedHost, token: str) -> collector_pb2.EnrollRequest:
    return collector_pb2.EnrollRequest(
        token=token,
        public_key=host.public_key,
        host_id=host.host_id,
        facts=collector_pb2.HostFacts(hostname="laptop-1", os="linux", agentd_version="0.1.0", users=["dev"]),
    )


def enrolled(store: SqlStore) -> tuple[CollectorService, SimulatedHost]:
    service = service_for(store)
    host = SimulatedHost()
    service.enroll(enroll_request(host, create_token(store, CLOCK.now(), timedelta(days=1))))
    return service, host


def test_enrollment_registers_the_host_and_returns_the_policy_key(store: SqlStore) -> None:
    service = service_for(store)
    host = SimulatedHost()
    token = create_token(store, CLOCK.now(), timedelta(hours=1))
    response = service.enroll(enroll_request(host, token))
    assert response.host_id == host.host_id
    assert response.policy_public_key == POLICY_KEY
    assert response.key_id == host.key_id
    record = store.host(host.host_id)
    assert record is not None
    assert record.facts.hostname == "laptop-1"
    assert record.facts.users == ("dev",)
    # tokens are stored hashed, never in the clear
    assert store.token(token_hash(token)) is not None
    assert token not in json.dumps([h.as_json() for h in store.hosts()])
    # enrolling again with the same key is idempotent, even with the now-used token
    assert service.enroll(enroll_request(host, token)).host_id == host.host_id


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("unknown", Reason.UNKNOWN_TOKEN),
        ("expired", Reason.EXPIRED_TOKEN),
        ("used_up", Reason.TOKEN_USED_UP),
        ("rekey_same_token", Reason.STALE_TOKEN),
    ],
)
def test_enrollment_refusals_are_precise_and_alerted(store: SqlStore, setup: str, reason: Reason) -> None:
    service = service_for(store)
    host = SimulatedHost()
    now = CLOCK.now()
    if setup == "unknown":
        token = "agentd-enroll-" + "x" * 20
    elif setup == "expired":
        token = create_token(store, now - timedelta(days=2), timedelta(days=1))
    elif setup == "used_up":
        token = create_token(store, now, timedelta(days=1), max_uses=1)
        service.enroll(enroll_request(SimulatedHost(host_id="other"), token))
    else:
        token = create_token(store, now, timedelta(days=1))
        service.enroll(enroll_request(host, token))
        host = SimulatedHost(host_id=host.host_id)  # same id, new key
    with pytest.raises(Refused) as caught:
        service.enroll(enroll_request(host, token))
    assert caught.value.reason is reason
    assert host.host_id in str(caught.value) or reason is Reason.TOKEN_USED_UP
    alerts = [a for a in store.alerts() if a.rule_id == f"collector.{reason.value}"]
    assert len(alerts) == 1
    assert alerts[0].host_id == host.host_id
    if setup != "rekey_same_token":
        assert store.host(host.host_id) is None


def test_rekeying_with_a_fresh_token_is_allowed_and_alerted(store: SqlStore) -> None:
    service, host = enrolled(store)
    service.push(signed(host.batch(2).wire))
    rekeyed = SimulatedHost(host_id=host.host_id)
    service.enroll(enroll_request(rekeyed, create_token(store, CLOCK.now(), timedelta(days=1))))
    record = store.host(host.host_id)
    assert record is not None
    assert record.key_id == rekeyed.key_id
    assert record.chain.sequence == 1  # the chain carries on
    assert [a.rule_id for a in store.alerts()] == ["collector.host_rekeyed"]


def test_batches_are_stored_in_order_with_queryable_columns(store: SqlStore) -> None:
    service, host = enrolled(store)
    for _ in range(3):
        response = service.push(signed(host.batch(4).wire))
        assert not response.duplicate
        assert response.stored_events == 4
    assert response.acked_sequence == 3
    rows = store.events(host_id=host.host_id)
    assert [r.seq for r in rows] == list(range(1, 13))
    assert {r.kind for r in rows} == {"user_prompt"}
    first = rows[0].as_json()
    assert first["text"] == "hello"
    assert first["agent"]["kind"] == "unknown"
    record = store.host(host.host_id)
    assert record is not None
    assert record.chain.sequence == 3
    assert record.chain.digest == host.digest
    assert record.events_stored == 12


def test_a_resent_latest_batch_is_acknowledged_once_and_not_stored_twice(store: SqlStore) -> None:
    service, host = enrolled(store)
    batch = host.batch(5)
    service.push(signed(batch.wire))
    again = service.push(signed(batch.wire))
    assert again.duplicate
    assert again.acked_sequence == batch.sequence
    assert store.count_events(host.host_id) == 5
    assert store.alerts() == []


def _tamper(wire: bytes) -> bytes:
    message = collector_pb2.SignedBatch.FromString(wire)
    payload = bytearray(message.payload)
    index = payload.find(b"hello")
    payload[index : index + 5] = b"HELLO"
    message.payload = bytes(payload)
    return message.SerializeToString()


@pytest.mark.parametrize(
    ("attack", "reason", "words"),
    [
        ("tampered", Reason.BAD_SIGNATURE, "signature does not match"),
        ("replayed", Reason.REPLAY, "older than the last stored batch 3"),
        ("reordered", Reason.GAP, "expected batch 4, got 5"),
        ("unknown_host", Reason.UNKNOWN_HOST, "is not enrolled"),
        ("wrong_key", Reason.WRONG_KEY, "is enrolled with key"),
        ("forged_key_id", Reason.BAD_SIGNATURE, "signature does not match"),
        ("fork", Reason.FORK, "does not chain to the stored batch 3"),
        ("garbage", Reason.MALFORMED, "not an agentd.v1.Batch"),
    ],
)
def test_hostile_batches_are_refused_alerted_and_store_nothing(
    store: SqlStore, attack: str, reason: Reason, words: str
) -> None:
    service, host = enrolled(store)
    history = [host.batch(2) for _ in range(3)]
    for batch in history:
        service.push(signed(batch.wire))
    before = store.count_events()
    if attack == "tampered":
        wire = _tamper(host.batch(2).wire)
    elif attack == "replayed":
        wire = history[1].wire
    elif attack == "reordered":
        host.batch(2)  # batch 4 is skipped
        wire = host.batch(2).wire
    elif attack == "unknown_host":
        wire = SimulatedHost(host_id="b2" * 16).batch(2).wire
    elif attack == "wrong_key":
        impostor = SimulatedHost(
            host_id=host.host_id, sequence=host.sequence, digest=host.digest, next_seq=host.next_seq
        )
        wire = impostor.batch(2).wire
    elif attack == "forged_key_id":
        impostor = SimulatedHost(
            host_id=host.host_id, sequence=host.sequence, digest=host.digest, next_seq=host.next_seq
        )
        message = collector_pb2.SignedBatch.FromString(impostor.batch(2).wire)
        message.key_id = host.key_id
        wire = message.SerializeToString()
    elif attack == "fork":
        host.digest = b"\x01" * 32
        wire = host.batch(2).wire
    else:
        wire = collector_pb2.SignedBatch(
            payload=b"\xff\x00garbage", signature=b"x", key_id="k"
        ).SerializeToString()
    with pytest.raises(Refused) as caught:
        service.push(signed(wire))
    assert caught.value.reason is reason
    assert words in str(caught.value)
    assert store.count_events() == before
    alerts = store.alerts()
    assert [a.rule_id for a in alerts] == [f"collector.{reason.value}"]
    assert alerts[0].source == "collector"
    assert alerts[0].severity == "high"
    record = store.host(host.host_id)
    assert record is not None
    assert record.chain.sequence == 3


def test_a_replaced_spool_starts_a_new_epoch_with_an_alert(store: SqlStore) -> None:
    service, host = enrolled(store)
    service.push(signed(host.batch(2).wire))
    restarted = SimulatedHost(host_id=host.host_id, key=host.key, epoch=host.epoch + 1000)
    service.push(signed(restarted.batch(2).wire))
    assert [a.rule_id for a in store.alerts()] == ["collector.chain_restarted"]
    # both epochs' events are kept, keyed apart even though their seq numbers overlap
    assert sorted((r.epoch, r.seq) for r in store.events()) == [
        (host.epoch, 1),
        (host.epoch, 2),
        (restarted.epoch, 1),
        (restarted.epoch, 2),
    ]
    with pytest.raises(Refused) as caught:
        service.push(signed(host.batch(2).wire))  # the old chain is closed
    assert caught.value.reason is Reason.STALE_EPOCH


def test_host_alerts_and_inventory_are_derived_from_events(store: SqlStore) -> None:
    from agentd.events import AgentKind, AgentProcessSeen, AgentRef, Alert, ProcessState, Severity, Stamper
    from agentd.record.schema import SpooledEvent
    from agentd.wire.codec import encode_event

    service, host = enrolled(store)
    stamp = Stamper(host_id=host.host_id)
    alert = stamp(
        Alert, CLOCK.now(), severity=Severity.HIGH, alert_id="a1", rule_id="r1", title="T", reason="why"
    )
    process = stamp(
        AgentProcessSeen,
        CLOCK.now(),
        state=ProcessState.STARTED,
        agent=AgentRef(kind=AgentKind.CLAUDE_CODE, pid=7, exe="/usr/bin/claude"),
    )
    events = [
        SpooledEvent(i + 1, e.kind, encode_event(e.model_copy(update={"seq": i + 1})))
        for i, e in enumerate([alert, process])
    ]
    host.next_seq = 3
    service.push(signed(host.batch(events=events).wire))
    (stored,) = store.alerts()
    assert (stored.source, stored.rule_id, stored.title, stored.event_id) == ("host", "r1", "T", alert.id)
    (item,) = store.inventory()
    assert (item.category, item.name) == ("agent", "/usr/bin/claude")


def test_heartbeats_must_be_signed_by_the_host_key(store: SqlStore) -> None:
    service, host = enrolled(store)
    request = collector_pb2.HeartbeatRequest(
        host_id=host.host_id,
        agentd_version="0.1.0",
        policy_version="v1",
        spool_depth=42,
        dropped={"user_prompt": 3},
    )
    request.signature = host.key.sign(request.SerializeToString(deterministic=True))
    service.heartbeat(request)
    record = store.host(host.host_id)
    assert record is not None
    assert (record.spool_depth, record.dropped, record.policy_version) == (42, {"user_prompt": 3}, "v1")
    request.spool_depth = 0  # altered after signing
    with pytest.raises(Refused) as caught:
        service.heartbeat(request)
    assert caught.value.reason is Reason.BAD_SIGNATURE


def test_policy_is_served_to_enrolled_hosts_only(store: SqlStore) -> None:
    from agentd.collector.service import publish_policy

    service, host = enrolled(store)
    assert service.policy(collector_pb2.GetPolicyRequest(host_id=host.host_id)).none_published
    signer = Ed25519PrivateKey.generate()
    bundle = publish_policy(store, signer.sign, policies={"a.cedar": "// empty"}, now=CLOCK.now())
    response = service.policy(collector_pb2.GetPolicyRequest(host_id=host.host_id))
    assert response.payload
    assert response.signature
    unchanged = service.policy(
        collector_pb2.GetPolicyRequest(host_id=host.host_id, current_version=bundle.version)
    )
    assert unchanged.unchanged
    with pytest.raises(Refused):
        service.policy(collector_pb2.GetPolicyRequest(host_id="nobody"))
