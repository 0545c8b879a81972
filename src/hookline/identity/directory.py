"""The operator's view of users: search, one user, and the password check of an administrator's sign-in.

The dashboard reads users through here, so the users table (and its ``password_hash``) is read by
the identity module alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from hookline.identity.password_checks import PasswordChecks
from hookline.identity.throttle import Attempt
from hookline.store.store import Store

PAGE = 50


@dataclass(frozen=True)
class UserRow:
    """A user as the operator's pages list it (never with its password hash)."""

    id: str
    email: str | None
    first_name: str | None
    last_name: str | None
    created_at_ms: int
    last_sign_in_at_ms: int | None
    banned: bool
    locked: bool
    public_metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """First and last name, or a dash."""
        return " ".join(p for p in (self.first_name, self.last_name) if p) or "—"


_USER_COLS = (
    "u.id, e.email_address, u.first_name, u.last_name, u.created_at, u.last_sign_in_at, u.banned, u.locked, "
    "u.public_metadata"
)
_USER_FROM = "FROM identity_users u LEFT JOIN identity_email_addresses e ON e.id = u.primary_email_address_id"


def _user(r: Any) -> UserRow:
    return UserRow(r[0], r[1], r[2], r[3], int(r[4]), r[5], bool(r[6]), bool(r[7]), json.loads(r[8] or "{}"))


async def identity_installed(store: Store) -> bool:
    """True when the identity tables exist."""
    try:
        async with store.db.reader() as c:
            await c.fetchone("SELECT 1 FROM identity_users LIMIT 1")
    except Exception:
        return False
    return True


async def users(
    store: Store, query: str | None, before: str | None, limit: int = PAGE
) -> tuple[list[UserRow], str | None]:
    """Users newest first, optionally matching ``query`` (email, name or id); keyset on id."""
    sql = f"SELECT {_USER_COLS} {_USER_FROM} WHERE 1 = 1"
    params: list[Any] = []
    if query:
        like = "%" + query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        sql += (
            " AND (LOWER(e.email_address) LIKE ? ESCAPE '\\' OR LOWER(u.first_name) LIKE ? ESCAPE '\\' "
            "OR LOWER(u.last_name) LIKE ? ESCAPE '\\' OR u.id = ?)"
        )
        params.extend([like, like, like, query.strip()])
    if before:
        sql += " AND u.id < ?"
        params.append(before)
    async with store.db.reader() as c:
        rows = await c.fetchall(sql + " ORDER BY u.id DESC LIMIT ?", (*params, limit + 1))
    found = [_user(r) for r in rows[:limit]]
    return found, (found[-1].id if len(rows) > limit else None)


async def user(store: Store, user_id: str) -> UserRow | None:
    """One user with its primary email address."""
    async with store.db.reader() as c:
        row = await c.fetchone(f"SELECT {_USER_COLS} {_USER_FROM} WHERE u.id = ?", (user_id,))
    return _user(row) if row else None


async def password_changed_at(store: Store, user_id: str) -> int:
    """When the user's password last changed (epoch milliseconds; 0 when never)."""
    async with store.db.reader() as c:
        row = await c.fetchone("SELECT password_last_updated_at FROM identity_users WHERE id = ?", (user_id,))
    return int(row[0] or 0) if row else 0


async def _user_by_email(store: Store, email: str) -> tuple[UserRow, str | None] | None:
    """A user by email address, with its password hash (which never leaves this module)."""
    async with store.db.reader() as c:
        row = await c.fetchone(
            f"SELECT {_USER_COLS}, u.password_hash FROM identity_users u JOIN identity_email_addresses e "
            "ON e.user_id = u.id WHERE LOWER(e.email_address) = ?",
            (email.strip().lower(),),
        )
    return (_user(row), row[9]) if row else None


async def password_sign_in(
    store: Store, checks: PasswordChecks, attempt: Attempt, email: str, password: str
) -> UserRow | None:
    """The user with this email address when ``password`` is its password (throttled like every
    password check; an unknown address costs the same time), or None."""
    found = await _user_by_email(store, email)
    user, pw_hash = found if found else (None, None)
    ok = await checks.check(attempt, pw_hash, password)
    return user if ok else None
