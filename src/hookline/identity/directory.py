"""The operator's view of users: search, one user, and the password check of an administrator's sign-in.

The dashboard reads users through here, so the users table (and its ``password_hash``) is read by
the identity module alone; the queries live in ``hookline.store.identity_directory``.
"""

from __future__ import annotations

from hookline.identity.errors import password_compromised
from hookline.identity.password_checks import PasswordChecks
from hookline.identity.throttle import Attempt
from hookline.store import identity_directory
from hookline.store.identity_directory import UserRow
from hookline.store.store import Store

__all__ = [
    "PAGE",
    "UserRow",
    "identity_installed",
    "password_changed_at",
    "password_sign_in",
    "user",
    "users",
]

PAGE = 50


async def identity_installed(store: Store) -> bool:
    """True when the identity tables exist."""
    async with store.db.reader() as c:
        return await identity_directory.installed(c)


async def users(
    store: Store, query: str | None, before: str | None, limit: int = PAGE, after: str | None = None
) -> identity_directory.UserPage:
    """Users newest first, optionally matching ``query`` (email, name or id); keyset on id, older pages
    with ``before`` and newer ones with ``after``, with the count of all that match."""
    async with store.db.reader() as c:
        return await identity_directory.page(c, query, before, limit, after)


async def user(store: Store, user_id: str) -> UserRow | None:
    """One user with its primary email address."""
    async with store.db.reader() as c:
        return await identity_directory.user(c, user_id)


async def password_changed_at(store: Store, user_id: str) -> int:
    """When the user's password last changed (epoch milliseconds; 0 when never)."""
    async with store.db.reader() as c:
        return await identity_directory.password_changed_at(c, user_id)


async def password_sign_in(
    store: Store, checks: PasswordChecks, attempt: Attempt, email: str, password: str
) -> UserRow | None:
    """The user with this email address when ``password`` is its password (throttled like every
    password check; an unknown address costs the same time), or None; 422 ``form_password_compromised``
    for the right password of a user whose password is marked compromised."""
    async with store.db.reader() as c:
        found = await identity_directory.user_with_password(c, email.strip().lower())
    user, pw_hash, compromised = found if found else (None, None, False)
    ok = await checks.check(attempt, pw_hash, password)
    if ok and compromised:  # the right password, but it must be reset before it signs in anywhere
        raise password_compromised()
    return user if ok else None
