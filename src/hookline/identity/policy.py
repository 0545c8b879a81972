"""Sign-in protection: the lockout policy and an in-process rate limiter for failed attempts."""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    """How sign-in failures are limited and how long sessions live.

    ``Policy(max_attempts=3, lockout_seconds=60)`` locks an account after three wrong passwords for a minute.
    """

    max_attempts: int = 100  # Clerk's default: lock after 100 failed attempts ...
    lockout_seconds: int = 3600  # ... for one hour
    failures_per_minute: int = 20  # failed sign-ins allowed per client address per minute
    session_seconds: int = 7 * 86400
    abandon_seconds: int = 30 * 86400

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Policy:
        """``HOOKLINE_IDENTITY_MAX_ATTEMPTS``, ``…_LOCKOUT_SECONDS``, ``…_FAILURES_PER_MINUTE`` override the defaults."""
        e = os.environ if env is None else env
        base = cls()
        return cls(
            max_attempts=int(e.get("HOOKLINE_IDENTITY_MAX_ATTEMPTS") or base.max_attempts),
            lockout_seconds=int(e.get("HOOKLINE_IDENTITY_LOCKOUT_SECONDS") or base.lockout_seconds),
            failures_per_minute=int(
                e.get("HOOKLINE_IDENTITY_FAILURES_PER_MINUTE") or base.failures_per_minute
            ),
        )


class FailureLimiter:
    """Counts failed sign-ins per key in a sliding minute (per process; the account lockout is in the database)."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, key: str, limit: int, now: float | None = None) -> int:
        """Seconds until ``key`` may try again, or 0 if it may now."""
        now = time.monotonic() if now is None else now
        q = self._failures.get(key)
        if not q:
            return 0
        while q and q[0] <= now - 60:
            q.popleft()
        if len(q) < limit:
            return 0
        return max(1, int(q[0] + 60 - now) + 1)

    def record(self, key: str, now: float | None = None) -> None:
        """Count one failure for ``key``."""
        now = time.monotonic() if now is None else now
        self._failures.setdefault(key, deque()).append(now)
        if len(self._failures) > 100_000:  # bound memory under a spray of addresses
            self._failures.pop(next(iter(self._failures)))
