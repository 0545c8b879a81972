"""Email address queries, run on a caller's connection or transaction.

An address is stored trimmed and lower-cased (identity normalizes it before it gets here), so it is
unique case-insensitively.
"""

from __future__ import annotations

from dataclasses import replace

from hookline.store import identity_codes
from hookline.store.conn import Conn
from hookline.store.identity_records import EMAIL_COLS, EMAIL_FIELDS, EmailAddress, insert_sql

VERIFY_PURPOSE = "verify_email"  # the purpose of the codes that verify an email address


async def for_users(c: Conn, user_ids: list[str]) -> dict[str, list[EmailAddress]]:
    """Every email address of these users, oldest first."""
    if not user_ids:
        return {}
    marks = ",".join("?" * len(user_ids))
    rows = await c.fetchall(
        f"SELECT {EMAIL_COLS} FROM identity_email_addresses WHERE user_id IN ({marks}) ORDER BY created_at, id",
        user_ids,
    )
    found = [EmailAddress.from_row(row) for row in rows]
    # an unverified address shows the attempts and expiry of the code sent to it, as Clerk's does
    pending = await identity_codes.latest_for_emails(
        c, [e.id for e in found if e.verification_status != "verified"], VERIFY_PURPOSE
    )
    out: dict[str, list[EmailAddress]] = {}
    for e in found:
        code = pending.get(e.id)
        if code is not None and code.consumed_at is None:
            e = replace(e, verification_attempts=code.attempts, verification_expire_at=code.expire_at)
        out.setdefault(e.user_id, []).append(e)
    return out


async def get(c: Conn, email_id: str) -> EmailAddress | None:
    """One email address by id (with its pending verification, if any)."""
    row = await c.fetchone(f"SELECT {EMAIL_COLS} FROM identity_email_addresses WHERE id = ?", (email_id,))
    if row is None:
        return None
    e = EmailAddress.from_row(row)
    return next(x for x in (await for_users(c, [e.user_id]))[e.user_id] if x.id == e.id)


async def find_normalized(c: Conn, address: str) -> EmailAddress | None:
    """One email address by its stored (normalized) text."""
    row = await c.fetchone(
        f"SELECT {EMAIL_COLS} FROM identity_email_addresses WHERE email_address = ?", (address,)
    )
    return EmailAddress.from_row(row) if row else None


async def insert(c: Conn, email: EmailAddress) -> None:
    """Store a new email address (ConflictError from the store if it is taken)."""
    await c.execute(insert_sql("identity_email_addresses", EMAIL_FIELDS), email.params())


async def delete(c: Conn, email_id: str) -> None:
    """Remove an email address."""
    await c.execute("DELETE FROM identity_email_addresses WHERE id = ?", (email_id,))


async def set_verification(
    c: Conn, email_id: str, status: str, at_ms: int, strategy: str | None = None
) -> None:
    """Set an address's verification status (and its strategy, when given)."""
    await c.execute(
        "UPDATE identity_email_addresses SET verification_status = :status, "
        "verification_strategy = COALESCE(:strategy, verification_strategy), updated_at = :at WHERE id = :id",
        {"status": status, "strategy": strategy, "at": at_ms, "id": email_id},
    )
