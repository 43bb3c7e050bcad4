import pytest

from agentd.collector.chain import Reason, Refused, Verdict, judge
from agentd.collector.store.records import ZERO_DIGEST, ChainState
from agentd.wire._generated.agentd.v1 import collector_pb2

D1, D2, D3 = b"\x01" * 32, b"\x02" * 32, b"\x03" * 32
AT_TWO = ChainState(epoch=5, sequence=2, digest=D2, last_event_seq=20)


def batch(epoch: int, sequence: int, prev: bytes, first_seq: int = 21) -> collector_pb2.Batch:
    return collector_pb2.Batch(
        host_id="h", epoch=epoch, sequence=sequence, prev_hash=prev, first_seq=first_seq
    )


@pytest.mark.parametrize(
    ("chain", "incoming", "digest", "expected"),
    [
        (AT_TWO, batch(5, 3, D2), D3, Verdict.APPEND),
        (AT_TWO, batch(5, 2, D1), D2, Verdict.DUPLICATE),
        (ChainState(), batch(5, 1, ZERO_DIGEST, 1), D1, Verdict.NEW_EPOCH),
        (AT_TWO, batch(6, 1, ZERO_DIGEST, 1), D1, Verdict.NEW_EPOCH),
    ],
    ids=["next", "duplicate-of-latest", "first-batch-ever", "new-epoch"],
)
def test_accepted(chain: ChainState, incoming: collector_pb2.Batch, digest: bytes, expected: Verdict) -> None:
    assert judge(chain, incoming, digest).verdict is expected


def test_only_a_replaced_chain_counts_as_a_restart() -> None:
    assert not judge(ChainState(), batch(5, 1, ZERO_DIGEST, 1), D1).restarted
    assert judge(AT_TWO, batch(6, 1, ZERO_DIGEST, 1), D1).restarted


@pytest.mark.parametrize(
    ("incoming", "digest", "reason", "words"),
    [
        (batch(5, 1, ZERO_DIGEST), D1, Reason.REPLAY, "older than the last stored batch 2"),
        (batch(5, 2, D1), D3, Reason.FORK, "differs from the batch 2 already stored"),
        (batch(5, 4, D3), D1, Reason.GAP, "expected batch 3, got 4"),
        (batch(5, 3, D1), D3, Reason.FORK, "does not chain to the stored batch 2"),
        (batch(5, 3, D2, first_seq=20), D3, Reason.FORK, "repeats events up to 20"),
        (batch(4, 3, D2), D3, Reason.STALE_EPOCH, "replaced by epoch 5"),
        (batch(6, 2, D2), D3, Reason.GAP, "not its first batch"),
        (batch(6, 1, D2), D3, Reason.GAP, "not its first batch"),
    ],
    ids=[
        "replay",
        "fork-at-latest",
        "gap",
        "fork-prev-hash",
        "overlapping-events",
        "stale-epoch",
        "new-epoch-not-at-1",
        "new-epoch-bad-prev",
    ],
)
def test_refused(incoming: collector_pb2.Batch, digest: bytes, reason: Reason, words: str) -> None:
    with pytest.raises(Refused) as caught:
        judge(AT_TWO, incoming, digest)
    assert caught.value.reason is reason
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"{reason.value}: ")
