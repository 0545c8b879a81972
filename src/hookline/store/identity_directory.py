"""The operator's view of users: a page of them, one of them, and the password hash of an
administrator's sign-in. Queries run on a caller's connection."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from hookline.store.conn import Conn, Row
from hookline.store.identity_users import like_pattern


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

    @classmethod
    def from_row(cls, r: Row) -> UserRow:
        """The user a row of ``_USER_COLS`` holds."""
        return cls(r["id"], r["email_address"], r["first_name"], r["last_name"], int(r["created_at"]),
                   r["last_sign_in_at"], bool(r["banned"]), bool(r["locked"]),
                   json.loads(r["public_metadata"] or "{}"))  # fmt: skip


_USER_COLS = (
    "u.id, e.email_address, u.first_name, u.last_name, u.created_at, u.last_sign_in_at, u.banned, u.locked, "
    "u.public_metadata"
)
_USER_FROM = "FROM identity_users u LEFT JOIN identity_email_addresses e ON e.id = u.primary_email_address_id"


async def installed(c: Conn) -> bool:
    """True when the identity tables exist."""
    try:
        await c.fetchone("SELECT 1 FROM identity_users LIMIT 1")
    except Exception:  # each driver names a missing table differently
        return False
    return True


@dataclass(frozen=True)
class UserPage:
    """A page of users newest first, with the cursors to the pages beside it and how many match in all."""

    users: list[UserRow]
    older: str | None  # pass as ``before`` for the next (older) page
    newer: str | None  # pass as ``after`` for the previous (newer) page
    total: int


def _matching(query: str | None) -> tuple[str, dict[str, Any]]:
    if not query:
        return "", {}
    where = (
        " AND (LOWER(e.email_address) LIKE :like ESCAPE '\\' OR LOWER(u.first_name) LIKE :like ESCAPE '\\' "
        "OR LOWER(u.last_name) LIKE :like ESCAPE '\\' OR u.id = :id)"
    )
    return where, {"like": like_pattern(query), "id": query.strip()}


async def page(
    c: Conn, query: str | None, before: str | None, limit: int, after: str | None = None
) -> UserPage:
    """Users newest first, optionally matching ``query`` (email, name or id); keyset on id, either way."""
    where, params = _matching(query)
    sql = f"SELECT {_USER_COLS} {_USER_FROM} WHERE 1 = 1" + where
    total_row = await c.fetchone(f"SELECT COUNT(*) AS n {_USER_FROM} WHERE 1 = 1" + where, params)
    total = int(total_row["n"]) if total_row else 0
    params = {**params, "limit": limit + 1}
    if after and not before:  # a newer page: read upwards from the cursor, show newest first
        rows = await c.fetchall(
            sql + " AND u.id > :after ORDER BY u.id ASC LIMIT :limit", {**params, "after": after}
        )
        found = [UserRow.from_row(r) for r in rows[:limit]][::-1]
        newer = found[0].id if len(rows) > limit else None
        return UserPage(found, found[-1].id if found else None, newer, total)
    if before:
        sql += " AND u.id < :before"
        params["before"] = before
    rows = await c.fetchall(sql + " ORDER BY u.id DESC LIMIT :limit", params)
    found = [UserRow.from_row(r) for r in rows[:limit]]
    older = found[-1].id if len(rows) > limit else None
    return UserPage(found, older, found[0].id if before and found else None, total)


async def user(c: Conn, user_id: str) -> UserRow | None:
    """One user with its primary email address."""
    row = await c.fetchone(f"SELECT {_USER_COLS} {_USER_FROM} WHERE u.id = ?", (user_id,))
    return UserRow.from_row(row) if row else None


async def password_changed_at(c: Conn, user_id: str) -> int:
    """When the user's password last changed (epoch milliseconds; 0 when never)."""
    row = await c.fetchone("SELECT password_last_updated_at FROM identity_users WHERE id = ?", (user_id,))
    return int(row["password_last_updated_at"] or 0) if row else 0


async def user_with_password(c: Conn, email: str) -> tuple[UserRow, str | None, bool] | None:
    """A user by (normalized) email address, with its password hash and whether that password is marked
    compromised, for a password check."""
    row = await c.fetchone(
        f"SELECT {_USER_COLS}, u.password_hash, u.password_compromised_at FROM identity_users u "
        "JOIN identity_email_addresses e "
        "ON e.user_id = u.id WHERE LOWER(e.email_address) = ?",
        (email,),
    )
    if row is None:
        return None
    return UserRow.from_row(row), row["password_hash"], row["password_compromised_at"] is not None
