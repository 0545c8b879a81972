"""Per-endpoint rate limits: a token bucket per endpoint, in this process."""

from __future__ import annotations

import time


class TokenBuckets:
    """``reserve(key, rate)`` returns how long to wait before sending so that ``rate`` per second holds."""

    def __init__(self) -> None:
        self._next_free: dict[str, float] = {}

    def reserve(self, key: str, rate: int | None, now: float | None = None) -> float:
        """Reserve one send slot for ``key``; return the seconds to wait for it (0 when free now)."""
        if not rate or rate <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        interval = 1.0 / rate
        # allow a burst of up to one second's worth, as a bucket of size ``rate`` would
        start = max(self._next_free.get(key, now), now - 1.0 + interval)
        self._next_free[key] = start + interval
        return max(0.0, start - now)
