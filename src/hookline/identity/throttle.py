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
from hookline.store import identity_throttle as counters
from hookline.store.conn import Database

MINUTE = 60.0
HOUR = 3600.0


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
            found = await counters.counters(c, [attempt.address_key, attempt.pair_key])
        wait = 0.0
        for counter in found:
            if counter.locked_until is not None and counter.locked_until > now:
                wait = max(wait, counter.locked_until - now)
            if (
                counter.key == attempt.address_key
                and counter.window_start > now - MINUTE
                and counter.failures >= self.policy.failures_per_minute
            ):
                wait = max(wait, counter.window_start + MINUTE - now)
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
            await counters.count(tx, attempt.address_key, now, MINUTE)
            if (
                await counters.count(tx, attempt.pair_key, now, lockout)
                >= self.policy.address_lockout_attempts
            ):
                await counters.lock(tx, attempt.pair_key, now, now + lockout)

    async def succeeded(self, attempt: Attempt) -> None:
        """A right password from this address: its failures for this account are forgotten."""
        async with self.db.transaction() as tx:
            await counters.forget(tx, attempt.pair_key)

    async def sign_up(self, address: str, now: float | None = None) -> None:
        """Count a sign-up from ``address``; 429 once it made ``sign_ups_per_hour`` this hour."""
        now = time.time() if now is None else now
        key = f"signup:{address or 'unknown'}"
        async with self.db.reader() as c:
            found = await counters.counters(c, [key])
        if (
            found
            and found[0].window_start > now - HOUR
            and found[0].failures >= self.policy.sign_ups_per_hour
        ):
            raise too_many(found[0].window_start + HOUR - now, "sign-ups from this address")
        async with self.db.transaction() as tx:
            await counters.count(tx, key, now, HOUR)


async def forget_old(db: Database, now: float) -> None:
    """Drop counters whose window and lockout are over (housekeeping)."""
    async with db.transaction() as tx:
        await counters.forget_before(tx, now - 2 * HOUR, now)
