"""User queries, run on a caller's connection or transaction: load, store, filter, order, count.

Every filter of Clerk's ``GET /v1/users`` is a condition here (identity parses and checks the
request). Sorting is the same on SQLite and PostgreSQL: text compares case-insensitively byte by byte
(``COLLATE "C"``), and users without the value come last.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hookline.store import identity_emails, identity_images, identity_mfa
from hookline.store.conn import Conn, Row
from hookline.store.identity_records import USER_COLS, USER_FIELDS, User, insert_sql

_PRIMARY_EMAIL = "(SELECT e.email_address FROM identity_email_addresses e WHERE e.id = identity_users.primary_email_address_id)"
# order_by names and (column, compared as text)
ORDER_COLUMNS = {
    "created_at": ("created_at", False),
    "updated_at": ("updated_at", False),
    "last_active_at": ("last_active_at", False),
    "last_sign_in_at": ("last_sign_in_at", False),
    "first_name": ("first_name", True),
    "last_name": ("last_name", True),
    "username": ("username", True),
    "email_address": (_PRIMARY_EMAIL, True),
}


def like_pattern(text: str) -> str:
    """A case-insensitive ``LIKE … ESCAPE '\\'`` pattern matching ``text`` anywhere (its wildcards taken literally)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class UserQuery:
    """The filters of ``GET /v1/users`` and ``GET /v1/users/count`` (all of them must hold)."""

    email_address: tuple[str, ...] = ()
    user_id: tuple[str, ...] = ()
    external_id: tuple[str, ...] = ()
    username: tuple[str, ...] = ()
    query: str | None = None
    banned: bool | None = None
    created_at_before: int | None = None
    created_at_after: int | None = None
    email_address_query: str | None = None
    username_query: str | None = None
    name_query: str | None = None
    last_active_at_before: int | None = None
    last_active_at_after: int | None = None
    last_sign_in_at_before: int | None = None
    last_sign_in_at_after: int | None = None
    organization_in: tuple[str, ...] = ()  # members of any of these organizations
    organization_not_in: tuple[str, ...] = ()  # members of none of these
    match_nothing: bool = False  # a filter on phone numbers or external accounts, which no user has

    def where(self) -> tuple[str, list[Any]]:
        """A ``WHERE`` clause (empty when nothing filters) and its parameters."""
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
            params.extend(e.strip().lower() for e in self.email_address)  # stored trimmed and lower-cased
        if self.user_id:
            any_of("id", self.user_id)
        if self.external_id:
            any_of("external_id", self.external_id)
        for values, negate in ((self.organization_in, ""), (self.organization_not_in, "NOT ")):
            if values:
                conds.append(
                    f"id {negate}IN (SELECT user_id FROM identity_organization_memberships WHERE organization_id IN "
                    f"({','.join('?' * len(values))}))"
                )
                params.extend(values)
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
        if self.match_nothing:
            conds.append("1 = 0")
        if self.email_address_query:
            conds.append(
                "id IN (SELECT user_id FROM identity_email_addresses WHERE email_address LIKE ? ESCAPE '\\')"
            )
            params.append(like_pattern(self.email_address_query))
        if self.username_query:
            conds.append("LOWER(COALESCE(username, '')) LIKE ? ESCAPE '\\'")
            params.append(like_pattern(self.username_query))
        if self.name_query:
            conds.append("(LOWER(COALESCE(first_name, '')) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(last_name, '')) "
                         "LIKE ? ESCAPE '\\' OR LOWER(COALESCE(first_name, '') || ' ' || COALESCE(last_name, '')) "
                         "LIKE ? ESCAPE '\\')")  # fmt: skip
            params.extend([like_pattern(self.name_query)] * 3)
        for column, op, value in (
            ("created_at", "<", self.created_at_before),
            ("created_at", ">", self.created_at_after),
            ("last_active_at", "<", self.last_active_at_before),
            ("last_active_at", ">", self.last_active_at_after),
            ("last_sign_in_at", "<", self.last_sign_in_at_before),
            ("last_sign_in_at", ">", self.last_sign_in_at_after),
        ):
            if value is not None:
                conds.append(f"{column} {op} ?")
                params.append(value)
        return (" WHERE " + " AND ".join(conds)) if conds else "", params


def order_clause(name: str, descending: bool, dialect: str) -> str:
    """An ORDER BY clause for one of ``ORDER_COLUMNS`` (a KeyError for another name)."""
    column, is_text = ORDER_COLUMNS[name]
    direction = "DESC" if descending else "ASC"
    key = f"LOWER({column})" + (' COLLATE "C"' if dialect == "postgres" else "") if is_text else column
    # users without the value come last either way, on both databases
    return f" ORDER BY CASE WHEN {column} IS NULL THEN 1 ELSE 0 END, {key} {direction}, id {direction}"


async def _with_emails(c: Conn, rows: list[Row]) -> list[User]:
    ids = [r["id"] for r in rows]
    by_user = await identity_emails.for_users(c, ids)
    factors = await identity_mfa.for_users(c, ids)
    images = await identity_images.ids_for_users(c, ids)
    return [
        User.from_row(r, tuple(by_user.get(r["id"], ())), factors.get(r["id"]), images.get(r["id"]))
        for r in rows
    ]


async def get(c: Conn, user_id: str) -> User | None:
    """One user with its email addresses and second factors."""
    row = await c.fetchone(f"SELECT {USER_COLS} FROM identity_users WHERE id = ?", (user_id,))
    if row is None:
        return None
    return (await _with_emails(c, [row]))[0]


async def exists(c: Conn, user_id: str) -> bool:
    """True if the user exists."""
    return await c.fetchone("SELECT 1 FROM identity_users WHERE id = ?", (user_id,)) is not None


async def search(
    c: Conn, q: UserQuery, limit: int, offset: int, order: tuple[str, bool] = ("created_at", True)
) -> list[User]:
    """One page of users matching ``q``, ordered by ``order`` (a name of ``ORDER_COLUMNS``, descending)."""
    where, params = q.where()
    sql = f"SELECT {USER_COLS} FROM identity_users{where}{order_clause(*order, c.dialect)} LIMIT ? OFFSET ?"
    return await _with_emails(c, list(await c.fetchall(sql, [*params, limit, offset])))


async def count(c: Conn, q: UserQuery) -> int:
    """How many users match ``q``."""
    where, params = q.where()
    row = await c.fetchone(f"SELECT COUNT(*) AS n FROM identity_users{where}", params)
    return int(row["n"]) if row else 0


async def insert(c: Conn, user: User) -> None:
    """Store a new user (its email addresses separately)."""
    await c.execute(insert_sql("identity_users", USER_FIELDS), user.params())


async def save(c: Conn, user: User) -> None:
    """Write every column of an existing user."""
    assignments = ", ".join(f"{f} = :{f}" for f in USER_FIELDS[1:])
    await c.execute(f"UPDATE identity_users SET {assignments} WHERE id = :id", user.params())


async def set_failures(
    c: Conn, user_id: str, failed_attempts: int, locked: bool, lockout_until: int | None
) -> None:
    """Write a user's count of failed sign-ins and its lock, leaving the rest (and ``updated_at``) alone."""
    await c.execute(
        "UPDATE identity_users SET failed_attempts = :n, locked = :locked, lockout_until = :until WHERE id = :id",
        {"n": failed_attempts, "locked": int(locked), "until": lockout_until, "id": user_id},
    )


async def delete(c: Conn, user_id: str) -> None:
    """Remove a user with its email addresses and sessions."""
    await c.execute("DELETE FROM identity_sessions WHERE user_id = ?", (user_id,))
    await c.execute("DELETE FROM identity_email_addresses WHERE user_id = ?", (user_id,))
    await identity_images.delete(c, user_id)
    await c.execute("DELETE FROM identity_users WHERE id = ?", (user_id,))
