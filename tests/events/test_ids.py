from datetime import UTC, datetime, timedelta

import pytest

from agentd.events.ids import ID_LENGTH, new_event_id


def test_ids_sort_in_time_order() -> None:
    start = datetime(2026, 11, 22, tzinfo=UTC)
    ids = [new_event_id(start + timedelta(milliseconds=ms), bytes(10)) for ms in (0, 1, 999, 10**9)]
    assert ids == sorted(ids)
    assert all(len(i) == ID_LENGTH for i in ids)


def test_ids_in_the_same_millisecond_differ() -> None:
    now = datetime(2026, 11, 22, tzinfo=UTC)
    assert len({new_event_id(now) for _ in range(1000)}) == 1000


@pytest.mark.parametrize(
    ("at", "rand", "message"),
    [
        (datetime(1960, 1, 1, tzinfo=UTC), bytes(10), "out of range"),
        (datetime(2026, 1, 1, tzinfo=UTC), bytes(3), "10 bytes"),
    ],
)
def test_bad_inputs_are_refused(at: datetime, rand: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        new_event_id(at, rand)
