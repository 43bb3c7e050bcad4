"""Batches (pure): when to seal one, how to build, hash, sign and chain it, and how the
collector opens one again. No I/O, no clock: times are passed in.

A batch's payload is a serialised ``agentd.v1.Batch`` assembled from the spool's stored
event bytes without re-encoding them; its SHA-256 is the next batch's ``prev_hash``.
"""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from google.protobuf.message import DecodeError

from agentd.errors import ParseError
from agentd.record.schema import SpooledEvent
from agentd.record.spool import OutboxState, SealedBatch
from agentd.wire._generated.agentd.v1 import collector_pb2

ZERO_DIGEST = b"\x00" * 32
Signer = Callable[[bytes], bytes]

_EVENTS_TAG = b"\x2a"  # field 5 (events), wire type 2 (length-delimited)


@dataclass(frozen=True, slots=True)
class BatchLimits:
    max_events: int = 500
    max_bytes: int = 1024 * 1024
    max_age: timedelta = timedelta(seconds=2)


def due(state: OutboxState, limits: BatchLimits, now: datetime) -> bool:
    """Whether the outbox should be sealed now: enough events, or the oldest waited long enough."""
    if state.unsealed <= 0:
        return False
    if state.unsealed >= limits.max_events:
        return True
    return state.oldest_unsealed is not None and now - state.oldest_unsealed >= limits.max_age


def build(
    events: Sequence[SpooledEvent],
    sequence: int,
    prev_digest: bytes,
    *,
    host_id: str,
    epoch: int,
    created: datetime,
    signer: Signer,
    key_id: str,
) -> SealedBatch:
    """Seal ``events`` as batch ``sequence`` chained to ``prev_digest``; ``wire`` is a SignedBatch."""
    if not events:
        raise ValueError("a batch needs at least one event")
    header = collector_pb2.Batch(
        host_id=host_id,
        sequence=sequence,
        prev_hash=prev_digest,
        epoch=epoch,
        first_seq=events[0].seq,
        last_seq=events[-1].seq,
    )
    header.created.FromDatetime(created)
    parts = [header.SerializeToString(deterministic=True)]
    for event in events:
        parts += (_EVENTS_TAG, _varint(len(event.payload)), event.payload)
    payload = b"".join(parts)
    signed = collector_pb2.SignedBatch(payload=payload, signature=signer(payload), key_id=key_id)
    return SealedBatch(
        sequence=sequence,
        first_seq=events[0].seq,
        last_seq=events[-1].seq,
        count=len(events),
        digest=hashlib.sha256(payload).digest(),
        wire=signed.SerializeToString(),
    )


@dataclass(frozen=True, slots=True)
class OpenedBatch:
    """A SignedBatch taken apart: the signature is not checked yet (the collector does that)."""

    payload: bytes
    signature: bytes
    key_id: str
    batch: collector_pb2.Batch
    digest: bytes


def open_signed(signed: collector_pb2.SignedBatch) -> OpenedBatch:
    """Parse the payload of a SignedBatch; ParseError when it is not a well-formed batch."""
    batch = collector_pb2.Batch()
    try:
        batch.ParseFromString(signed.payload)
    except (DecodeError, RuntimeWarning, ValueError) as exc:
        raise ParseError(f"batch payload is not an agentd.v1.Batch: {exc}") from exc
    if not batch.host_id or batch.sequence < 1 or len(batch.prev_hash) != 32 or not batch.events:
        raise ParseError("batch is missing its host id, sequence, previous hash or events")
    previous = batch.first_seq - 1
    for event in batch.events:
        if event.seq <= previous or event.host_id != batch.host_id:
            raise ParseError(
                f"batch {batch.sequence} holds event {event.id!r} out of order or from another host"
            )
        previous = event.seq
    if batch.events[0].seq != batch.first_seq or previous != batch.last_seq:
        raise ParseError(f"batch {batch.sequence} does not cover the event range it claims")
    return OpenedBatch(
        payload=signed.payload,
        signature=signed.signature,
        key_id=signed.key_id,
        batch=batch,
        digest=hashlib.sha256(signed.payload).digest(),
    )


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)
