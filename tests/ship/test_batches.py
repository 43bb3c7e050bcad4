import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from agentd.errors import ParseError
from agentd.record.spool import OutboxState
from agentd.ship.batches import ZERO_DIGEST, BatchLimits, build, due, open_signed
from agentd.wire._generated.agentd.v1 import collector_pb2
from agentd.wire.codec import decode_event
from tests.support.collector import SimulatedHost

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LIMITS = BatchLimits(max_events=100, max_bytes=10_000, max_age=timedelta(seconds=2))


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (OutboxState(unsealed=0, oldest_unsealed=None), False),
        (OutboxState(unsealed=5, oldest_unsealed=NOW - timedelta(seconds=1)), False),
        (OutboxState(unsealed=5, oldest_unsealed=NOW - timedelta(seconds=2)), True),
        (OutboxState(unsealed=100, oldest_unsealed=NOW), True),
        (OutboxState(unsealed=100_000, oldest_unsealed=NOW + timedelta(hours=1)), True),
    ],
    ids=["empty", "young", "aged", "full", "clock-skew-full"],
)
def test_when_a_batch_is_due(state: OutboxState, expected: bool) -> None:
    assert due(state, LIMITS, NOW) is expected


def test_a_built_batch_opens_back_into_its_events() -> None:
    host = SimulatedHost()
    events = host.events(4)
    sealed = build(
        events,
        1,
        ZERO_DIGEST,
        host_id=host.host_id,
        epoch=9,
        created=NOW,
        signer=host.key.sign,
        key_id=host.key_id,
    )
    assert (sealed.sequence, sealed.first_seq, sealed.last_seq, sealed.count) == (1, 1, 4, 4)
    opened = open_signed(collector_pb2.SignedBatch.FromString(sealed.wire))
    assert opened.digest == sealed.digest == hashlib.sha256(opened.payload).digest()
    assert opened.key_id == host.key_id
    batch = opened.batch
    assert (batch.host_id, batch.sequence, batch.epoch, batch.prev_hash) == (host.host_id, 1, 9, ZERO_DIGEST)
    assert batch.created.ToDatetime(tzinfo=UTC) == NOW
    # the spool's bytes travel unchanged: each event decodes to what the host committed
    assert [e.SerializeToString(deterministic=True) for e in batch.events] == [e.payload for e in events]
    assert [decode_event(e.payload).seq for e in events] == [1, 2, 3, 4]
    host.key.public_key().verify(opened.signature, opened.payload)


def test_batches_chain_by_digest() -> None:
    host = SimulatedHost()
    first, second = host.batch(2), host.batch(2)
    opened = open_signed(collector_pb2.SignedBatch.FromString(second.wire))
    assert opened.batch.prev_hash == first.digest
    assert opened.batch.first_seq == first.last_seq + 1


def test_an_empty_batch_cannot_be_built() -> None:
    host = SimulatedHost()
    with pytest.raises(ValueError, match="at least one event"):
        build([], 1, ZERO_DIGEST, host_id="h", epoch=1, created=NOW, signer=host.key.sign, key_id="k")


def _payload(**changes: object) -> bytes:
    host = SimulatedHost()
    batch = open_signed(collector_pb2.SignedBatch.FromString(host.batch(3).wire)).batch
    for name, value in changes.items():
        if name == "reverse":
            events = list(batch.events)[::-1]
            del batch.events[:]
            batch.events.extend(events)
        elif name == "foreign":
            batch.events[1].host_id = "someone-else"
        elif name == "no_events":
            del batch.events[:]
        else:
            setattr(batch, name, value)
    return batch.SerializeToString()


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (b"\xff\xff\xff\xff", "not an agentd.v1.Batch"),
        (_payload()[:-7], "not an agentd.v1.Batch"),
        (b"", "missing its host id"),
        (_payload(prev_hash=b"short"), "missing its host id"),
        (_payload(sequence=0), "missing its host id"),
        (_payload(no_events=True), "missing its host id"),
        (_payload(reverse=True), "out of order"),
        (_payload(foreign=True), "from another host"),
        (_payload(first_seq=2), "out of order"),
        (_payload(last_seq=9), "does not cover"),
    ],
    ids=[
        "garbage",
        "truncated",
        "empty",
        "short-prev",
        "seq-0",
        "no-events",
        "reordered",
        "foreign",
        "first",
        "last",
    ],
)
def test_malformed_payloads_are_parse_errors(payload: bytes, words: str) -> None:
    with pytest.raises(ParseError, match=words):
        open_signed(collector_pb2.SignedBatch(payload=payload, signature=b"", key_id=""))


def test_a_huge_batch_round_trips() -> None:
    host = SimulatedHost()
    events = host.events(5000, text="x" * 200)
    sealed = build(
        events, 1, ZERO_DIGEST, host_id=host.host_id, epoch=1, created=NOW, signer=host.key.sign, key_id="k"
    )
    assert len(open_signed(collector_pb2.SignedBatch.FromString(sealed.wire)).batch.events) == 5000
