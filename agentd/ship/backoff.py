"""Jittered exponential backoff (pure): the delay before retry number ``attempt``.

Jitter spreads 5,000 hosts' retries after a collector outage instead of having them all
return in the same second.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    initial: float = 0.5
    maximum: float = 300.0
    multiplier: float = 2.0
    jitter: float = 0.5  # fraction of the delay that is randomised

    def delay(self, attempt: int, rand: float) -> float:
        """Seconds to wait before retry ``attempt`` (0-based); ``rand`` is uniform in [0, 1)."""
        if attempt < 0:
            raise ValueError("attempt must be >= 0")
        base = min(self.maximum, self.initial * self.multiplier ** min(attempt, 64))
        return base * (1.0 - self.jitter) + base * self.jitter * rand
