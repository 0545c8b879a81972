"""User queries, run on a caller's connection or transaction: load, store, filter, count."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hookline.identity import emails
from hookline.identity.errors import invalid
from hookline.identity.resources import USER_COLS, User
from hookline.store import identity_mfa
from hookline.store.db import Conn

_ORDER_COLUMNS = {
    "created_at": "created_at",
    "updated_at": "updated_at",
    "last_sign_in_at": "last_sign_in_at",
    "last_active_at": "last_active_at",
    "first_name": "first_name",
    "last_name": "last_name",
    "username": "username",
}


@dataclass(frozen=True)
class UserFilter:
    """The filters of ``GET /v1/users`` and ``GET /v1/users/count``."""

    email_address: tuple[str, ...] = ()
    user_id: tuple[str, ...] = ()
    external_id: tuple[str, ...] = ()
    username: tuple[str, ...] = ()
    query: str | None = None
    banned: bool | None = None
    created_at_before: int | None = None
    created_at_after: int | None = None

    def where(self) -> tuple[str, list[Any]]:
        """SQL conditions (joined with AND) and their parameters."""
        conds: list[str] = []
        params: list[Any] = []

        def any_of(column: str, values: tuple[str, ...]) -> None:
            conds.append(f"{column} IN ({','.join('?' * len(values))})")
            params.extend(values)

        if self.email_address:
            conds.append(
                "id IN (SELECT user_id FROM identity_email_addresses WHERE email_address IN "
                f"({','.join('?' * len(self.email_address))}))"
            )
            params.extend(emails.normalize(e) for e in self.email_address)
        if self.user_id:
            any_of("id", self.user_id)
        if self.external_id:
            any_of("external_id", self.external_id)
        if self.username:
            any_of("username", self.username)
        if self.query:
            like = "%" + self.query.lower().replace("%", "").replace("_", "") + "%"
            conds.append(
                "(LOWER(COALESCE(first_name, '')) LIKE ? OR LOWER(COALESCE(last_name, '')) LIKE ? "
                "OR LOWER(COALESCE(username, '')) LIKE ? OR id = ? OR LOWER(COALESCE(external_id, '')) LIKE ? "
                "OR id IN (SELECT user_id FROM identity_email_addresses WHERE email_address LIKE ?))"
            )
            params.extend([like, like, like, self.query, like, like])
        if self.banned is not None:
            conds.append("banned = ?")
            params.append(int(self.banned))
        if self.created_at_before is not None:
            conds.append("created_at < ?")
            params.append(self.created_at_before)
        if self.created_at_after is not None:
            conds.append("created_at > ?")
            params.append(self.created_at_after)
        return (" WHERE " + " AND ".join(conds)) if conds else "", params


def order_clause(order_by: str | None) -> str:
    """``-created_at`` (the default, newest first), ``+first_name`` … as an ORDER BY clause."""
    text = (order_by or "-created_at").strip()
    desc = text.startswith("-")
    name = text.lstrip("+-")
    column = _ORDER_COLUMNS.get(name)
    if column is None:
        raise invalid("order_by", f"order_by must be one of {', '.join(sorted(_ORDER_COLUMNS))}, optionally "
                      "prefixed with + or -")  # fmt: skip
    direction = "DESC" if desc else "ASC"
    return f" ORDER BY {column} {direction}, id {direction}"


async def _with_emails(c: Conn, rows: list[Any]) -> list[User]:
    ids = [r[0] for r in rows]
    by_user = await emails.for_users(c, ids)
    factors = await identity_mfa.for_users(c, ids)
    return [User.from_row(r, tuple(by_user.get(r[0], ())), factors.get(r[0])) for r in rows]


async def get(c: Conn, user_id: str) -> User | None:
    """One user with its email addresses."""
    row = await c.fetchone(f"SELECT {USER_COLS} FROM identity_users WHERE id = ?", (user_id,))
    if row is None:
        return None
    return (await _with_emails(c, [row]))[0]


async def find_by_email(c: Conn, address: str) -> User | None:
    """The user owning an email address, or None."""
    email = await emails.find(c, address)
    return await get(c, email.user_id) if email else None


async def search(c: Conn, f: UserFilter, order_by: str | None, limit: int, offset: int) -> list[User]:
    """Users matching a filter, in the requested order, one page."""
    where, params = f.where()
    sql = f"SELECT {USER_COLS} FROM identity_users{where}{order_clause(order_by)} LIMIT ? OFFSET ?"
    rows = await c.fetchall(sql, [*params, limit, offset])
    return await _with_emails(c, list(rows))


async def count(c: Conn, f: UserFilter) -> int:
    """How many users match a filter."""
    where, params = f.where()
    row = await c.fetchone(f"SELECT COUNT(*) FROM identity_users{where}", params)
    return int(row[0]) if row else 0


async def insert(c: Conn, user: User) -> None:
    """Store a new user (its email addresses separately)."""
    await c.execute(f"INSERT INTO identity_users ({USER_COLS}) VALUES ({','.join('?' * 23)})", user.params())


async def save(c: Conn, user: User) -> None:
    """Write every column of an existing user."""
    cols = [c_.strip() for c_ in USER_COLS.split(",")][1:]
    assignments = ", ".join(f"{col} = ?" for col in cols)
    await c.execute(f"UPDATE identity_users SET {assignments} WHERE id = ?", (*user.params()[1:], user.id))


async def delete(c: Conn, user_id: str) -> None:
    """Remove a user with its email addresses and sessions."""
    await c.execute("DELETE FROM identity_sessions WHERE user_id = ?", (user_id,))
    await c.execute("DELETE FROM identity_email_addresses WHERE user_id = ?", (user_id,))
    await c.execute("DELETE FROM identity_users WHERE id = ?", (user_id,))
