"""The retry schedule: when the next try of a failed delivery happens."""

from __future__ import annotations

from dataclasses import dataclass

from hookline.jitter import jittered


@dataclass(frozen=True)
class RetrySchedule:
    """Delays (seconds) after the first, immediate try; ``jitter`` is the fraction added or removed at random.

    ``RetrySchedule((5, 300, 1800))`` tries at once, then 5 s, 5 min and 30 min after each failure.
    """

    delays: tuple[float, ...]
    jitter: float = 0.2

    @property
    def max_attempts(self) -> int:
        """How many tries a message gets in all."""
        return len(self.delays) + 1

    def next_delay(
        self, attempts_made: int, retry_after: float | None = None, cap: float = 3600.0
    ) -> float | None:
        """Seconds until the next try after ``attempts_made`` tries, or None when the schedule is exhausted.

        A receiver's ``Retry-After`` can push the try later (never earlier), bounded by ``cap``.
        """
        if attempts_made < 1 or attempts_made > len(self.delays):
            return None
        delay = self.delays[attempts_made - 1]
        delay = jittered(delay, self.jitter)
        if retry_after is not None:
            # the cap bounds how far a receiver may push the try; it never pulls it before the schedule
            delay = max(delay, min(retry_after, cap))
        return max(0.0, delay)
