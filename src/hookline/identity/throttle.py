"""The one limiter and lockout policy that every password check goes through, and the sign-up limit.

Failures are counted in the database (``auth_failures``), so every API process of one database
shares them, under three kinds of key:

- ``addr:<client address>``: failed checks from one address in a minute, whatever the account;
- ``pair:<account>:<client address>``: failed checks of one account from one address; at the
  limit that address is locked out of that account for a while. The victim, at another address, is
  not: a stranger guessing from one address cannot lock anyone out;
- ``signup:<client address>``: accounts created from one address in an hour.

The account part is the identifier the caller typed (an email address, normalized), never whether
it exists, so an unknown account is limited exactly like a known one. Every check is made before
any password is hashed: a limited caller costs a database read, not a hash.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from hookline.identity.errors import IdentityError
from hookline.identity.policy import Policy
from hookline.store.db import Database

MINUTE = 60.0
HOUR = 3600.0

_COUNT = (
    "INSERT INTO auth_failures (key, failures, window_start, locked_until) VALUES (?, 1, ?, NULL) "
    "ON CONFLICT (key) DO UPDATE SET "
    "failures = CASE WHEN auth_failures.window_start < ? THEN 1 ELSE auth_failures.failures + 1 END, "
    "window_start = CASE WHEN auth_failures.window_start < ? THEN excluded.window_start "
    "ELSE auth_failures.window_start END "
    "RETURNING failures"
)


def _account(identifier: str) -> str:
    return hashlib.sha256(identifier.strip().lower().encode()).hexdigest()[:32]


def too_many(wait: float, what: str = "failed attempts") -> IdentityError:
    """429 ``too_many_requests`` in Clerk's shape, with ``Retry-After``."""
    seconds = max(1, int(wait + 0.999))
    return IdentityError(
        429, "too_many_requests", "Too many requests. Please try again in a bit.",
        f"Too many {what}. Try again in {seconds} seconds.", headers={"Retry-After": str(seconds)},
    )  # fmt: skip


@dataclass(frozen=True)
class Attempt:
    """Who is checking a password: the account's identifier and the client's address."""

    account: str
    address: str

    @property
    def address_key(self) -> str:
        return f"addr:{self.address or 'unknown'}"

    @property
    def pair_key(self) -> str:
        return f"pair:{_account(self.account)}:{self.address or 'unknown'}"


class Throttle:
    """Counts failed password checks and sign-ups; answers how long a caller must wait."""

    def __init__(self, db: Database, policy: Policy) -> None:
        self.db = db
        self.policy = policy

    async def wait(self, attempt: Attempt, now: float | None = None) -> float:
        """Seconds before ``attempt`` may check a password, or 0 if it may now."""
        now = time.time() if now is None else now
        async with self.db.reader() as c:
            rows = await c.fetchall(
                "SELECT key, failures, window_start, locked_until FROM auth_failures WHERE key IN (?, ?)",
                (attempt.address_key, attempt.pair_key),
            )
        wait = 0.0
        for key, failures, window_start, locked_until in rows:
            if locked_until is not None and float(locked_until) > now:
                wait = max(wait, float(locked_until) - now)
            if (
                key == attempt.address_key
                and float(window_start) > now - MINUTE
                and int(failures) >= self.policy.failures_per_minute
            ):
                wait = max(wait, float(window_start) + MINUTE - now)
        return wait

    async def check(self, attempt: Attempt) -> None:
        """Raise 429 when ``attempt`` must wait (call before hashing anything)."""
        wait = await self.wait(attempt)
        if wait > 0:
            raise too_many(wait)

    async def failed(self, attempt: Attempt, now: float | None = None) -> None:
        """Count a wrong password; at the limit, lock this address out of this account for a while."""
        now = time.time() if now is None else now
        lockout = self.policy.address_lockout_seconds
        async with self.db.transaction() as tx:
            await tx.fetchone(_COUNT, (attempt.address_key, now, now - MINUTE, now - MINUTE))
            row = await tx.fetchone(_COUNT, (attempt.pair_key, now, now - lockout, now - lockout))
            if row is not None and int(row[0]) >= self.policy.address_lockout_attempts:
                await tx.execute(
                    "UPDATE auth_failures SET locked_until = ?, failures = 0, window_start = ? WHERE key = ?",
                    (now + lockout, now, attempt.pair_key),
                )

    async def succeeded(self, attempt: Attempt) -> None:
        """A right password from this address: its failures for this account are forgotten."""
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM auth_failures WHERE key = ?", (attempt.pair_key,))

    async def sign_up(self, address: str, now: float | None = None) -> None:
        """Count a sign-up from ``address``; 429 once it made ``sign_ups_per_hour`` this hour."""
        now = time.time() if now is None else now
        key = f"signup:{address or 'unknown'}"
        async with self.db.reader() as c:
            row = await c.fetchone("SELECT failures, window_start FROM auth_failures WHERE key = ?", (key,))
        if row is not None and float(row[1]) > now - HOUR and int(row[0]) >= self.policy.sign_ups_per_hour:
            raise too_many(float(row[1]) + HOUR - now, "sign-ups from this address")
        async with self.db.transaction() as tx:
            await tx.fetchone(_COUNT, (key, now, now - HOUR, now - HOUR))


async def forget_old(db: Database, now: float) -> None:
    """Drop counters whose window and lockout are over (housekeeping)."""
    async with db.transaction() as tx:
        await tx.execute(
            "DELETE FROM auth_failures WHERE window_start < ? AND (locked_until IS NULL OR locked_until < ?)",
            (now - 2 * HOUR, now),
        )
