"""Every password check, wherever it is made: throttled first, hashed off the event loop, counted after.

Sign-in (JSON and hosted pages), the dashboard's administrator sign-in, ``/v1/users/{id}/verify_password``
and the current-password checks of profile changes all call ``PasswordChecks.check``, so one
limiter and one lockout policy hold for all of them.
"""

from __future__ import annotations

from hookline import metrics
from hookline.identity.hashing import PasswordHashing
from hookline.identity.throttle import Attempt, Throttle


class PasswordChecks:
    """The throttle and the hashing pool, used together."""

    def __init__(self, throttle: Throttle, hashing: PasswordHashing) -> None:
        self.throttle = throttle
        self.hashing = hashing

    async def check(self, attempt: Attempt, password_hash: str | None, password: str) -> bool:
        """True if ``password`` matches; 429 before any hashing when ``attempt`` must wait.

        A missing hash (an unknown account) costs one hash like any other and counts as a failure.
        """
        try:
            await self.throttle.check(attempt)
        except Exception:
            metrics.PASSWORD_CHECKS.labels("throttled").inc()
            raise
        ok = await self.hashing.verify(password_hash, password) and password_hash is not None
        metrics.PASSWORD_CHECKS.labels("ok" if ok else "wrong").inc()
        if ok:
            await self.throttle.succeeded(attempt)
        else:
            await self.throttle.failed(attempt)
        return ok
