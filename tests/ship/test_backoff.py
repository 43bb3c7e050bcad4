import pytest

from agentd.ship.backoff import Backoff


@pytest.mark.parametrize(
    ("attempt", "rand", "expected"),
    [
        (0, 0.0, 0.25),
        (0, 1.0, 0.5),
        (1, 0.5, 0.75),
        (3, 1.0, 4.0),
        (20, 0.0, 150.0),
        (20, 1.0, 300.0),
        (10_000, 0.5, 225.0),
    ],
)
def test_delays_grow_exponentially_with_bounded_jitter(attempt: int, rand: float, expected: float) -> None:
    assert Backoff().delay(attempt, rand) == pytest.approx(expected)


def test_no_jitter_means_the_plain_exponential() -> None:
    backoff = Backoff(initial=1, maximum=10, jitter=0)
    assert [backoff.delay(i, 0.9) for i in range(6)] == [1, 2, 4, 8, 10, 10]


def test_negative_attempts_are_a_bug() -> None:
    with pytest.raises(ValueError, match="attempt"):
        Backoff().delay(-1, 0.5)
