"""Judging a batch against a host's chain (pure): append, duplicate, new epoch, or refuse why.

The rules, in words: within an epoch a batch must carry the next sequence and the previous
batch's digest; the latest batch sent again is a duplicate (acknowledged, not stored twice);
anything older is a replay, anything later a gap, a different batch at a taken place a fork.
A later epoch (a host whose spool was replaced) restarts at sequence 1 from the zero digest.
"""

from dataclasses import dataclass
from enum import StrEnum

from agentd.collector.store.records import ZERO_DIGEST, ChainState
from agentd.errors import BatchRejected
from agentd.wire._generated.agentd.v1 import collector_pb2


class Reason(StrEnum):
    """Why the collector refused something; each becomes an alert rule id ``collector.<reason>``."""

    MALFORMED = "malformed"
    UNKNOWN_HOST = "unknown_host"
    WRONG_KEY = "wrong_key"
    BAD_SIGNATURE = "bad_signature"
    GAP = "gap"
    FORK = "fork"
    REPLAY = "replay"
    STALE_EPOCH = "stale_epoch"
    UNKNOWN_TOKEN = "unknown_token"  # noqa: S105 - a reason name
    EXPIRED_TOKEN = "expired_token"  # noqa: S105
    TOKEN_USED_UP = "token_used_up"  # noqa: S105
    STALE_TOKEN = "stale_token"  # noqa: S105


class Refused(BatchRejected):
    """The collector refused a request; ``reason`` says which rule, the message says exactly why."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(f"{reason.value}: {message}")
        self.reason = reason


class Verdict(StrEnum):
    APPEND = "append"
    DUPLICATE = "duplicate"
    NEW_EPOCH = "new_epoch"


@dataclass(frozen=True, slots=True)
class Judgement:
    verdict: Verdict
    restarted: bool = False  # a new epoch replaced an existing chain (not the host's first batch)


def judge(chain: ChainState, batch: collector_pb2.Batch, digest: bytes) -> Judgement:
    """What to do with ``batch`` (whose payload hashes to ``digest``) given the host's ``chain``."""
    where = f"batch {batch.sequence} of epoch {batch.epoch}"
    if batch.epoch < chain.epoch:
        raise Refused(Reason.STALE_EPOCH, f"{where} belongs to a chain replaced by epoch {chain.epoch}")
    if batch.epoch > chain.epoch:
        if batch.sequence != 1 or batch.prev_hash != ZERO_DIGEST:
            raise Refused(
                Reason.GAP, f"{where} starts a new chain but is not its first batch (expected batch 1)"
            )
        return Judgement(Verdict.NEW_EPOCH, restarted=chain.epoch != 0)
    if batch.sequence == chain.sequence:
        if digest == chain.digest:
            return Judgement(Verdict.DUPLICATE)
        raise Refused(Reason.FORK, f"{where} differs from the batch {chain.sequence} already stored")
    if batch.sequence < chain.sequence:
        raise Refused(Reason.REPLAY, f"{where} is older than the last stored batch {chain.sequence}")
    if batch.sequence > chain.sequence + 1:
        raise Refused(Reason.GAP, f"expected batch {chain.sequence + 1}, got {batch.sequence}")
    if batch.prev_hash != chain.digest:
        raise Refused(Reason.FORK, f"{where} does not chain to the stored batch {chain.sequence}")
    if batch.first_seq <= chain.last_event_seq:
        raise Refused(
            Reason.FORK, f"{where} repeats events up to {chain.last_event_seq} (starts at {batch.first_seq})"
        )
    return Judgement(Verdict.APPEND)
