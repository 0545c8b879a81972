"""Sign-in protection settings: the lockout policies, the sign-up limit and how long sessions live."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    """How password failures are limited and how long sessions live.

    ``Policy(max_attempts=3, lockout_seconds=60)`` locks an account after three wrong passwords for a minute.
    """

    max_attempts: int = 100  # Clerk's default: lock after 100 failed attempts ...
    lockout_seconds: int = 3600  # ... for one hour
    failures_per_minute: int = 20  # failed password checks allowed per client address per minute
    # wrong passwords for one account from one address before that address is locked out of it
    address_lockout_attempts: int = 10
    address_lockout_seconds: int = 900
    sign_ups_per_hour: int = 10  # accounts one client address may create in an hour
    session_seconds: int = 7 * 86400
    abandon_seconds: int = 30 * 86400

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Policy:
        """``HOOKLINE_IDENTITY_MAX_ATTEMPTS``, ``…_LOCKOUT_SECONDS``, ``…_FAILURES_PER_MINUTE``,
        ``…_SIGN_UPS_PER_HOUR`` override the defaults."""
        e = os.environ if env is None else env
        base = cls()
        return cls(
            max_attempts=int(e.get("HOOKLINE_IDENTITY_MAX_ATTEMPTS") or base.max_attempts),
            lockout_seconds=int(e.get("HOOKLINE_IDENTITY_LOCKOUT_SECONDS") or base.lockout_seconds),
            failures_per_minute=int(
                e.get("HOOKLINE_IDENTITY_FAILURES_PER_MINUTE") or base.failures_per_minute
            ),
            sign_ups_per_hour=int(e.get("HOOKLINE_IDENTITY_SIGN_UPS_PER_HOUR") or base.sign_ups_per_hour),
        )
