"""Random spread for delays, drawn from a generator of hookline's own.

The process-wide ``random`` state belongs to the application embedding hookline (and to test
frameworks that seed and check it); a background worker drawing from it would disturb their
sequences from another thread.
"""

from __future__ import annotations

import random

# stateless (reads the OS's entropy), so it is safe from any thread and shares nothing
_source = random.SystemRandom()


def jittered(delay: float, fraction: float) -> float:
    """Return ``delay`` moved up or down by at most ``fraction`` of itself, uniformly at random."""
    if not fraction:
        return delay
    return delay * (1 + _source.uniform(-fraction, fraction))
