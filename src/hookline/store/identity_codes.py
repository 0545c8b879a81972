"""One-time codes of identity: email verification, password reset and sign-ins waiting for a second factor.

A code row holds the SHA-256 of a short code typed by a person and of a long token carried by a link;
neither is stored in the clear. Queries run on a caller's connection or transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from hookline.store.db import Conn, Row

_COLS = (
    "id, purpose, user_id, email_address_id, code_sha256, token_sha256, attempts, data, expire_at, "
    "created_at, consumed_at"
)


@dataclass(frozen=True)
class CodeRow:
    """One issued code (``purpose`` says what it proves); ``data`` carries what the purpose needs."""

    id: str
    purpose: str
    user_id: str
    email_address_id: str | None
    code_sha256: str
    token_sha256: str
    attempts: int
    expire_at: int
    created_at: int
    consumed_at: int | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Row) -> CodeRow:
        r = list(row)
        return cls(id=r[0], purpose=r[1], user_id=r[2], email_address_id=r[3], code_sha256=r[4],
                   token_sha256=r[5], attempts=int(r[6]), data=json.loads(r[7] or "{}"), expire_at=int(r[8]),
                   created_at=int(r[9]), consumed_at=r[10])  # fmt: skip


async def insert(c: Conn, row: CodeRow) -> None:
    """Store a new code, first retiring the unused codes of the same purpose and target, and forgetting
    the user's codes that expired over two hours ago (past the hourly count of codes sent)."""
    await c.execute(
        "DELETE FROM identity_codes WHERE user_id = ? AND expire_at < ?",
        (row.user_id, row.created_at - 7_200_000),
    )
    await c.execute(
        "UPDATE identity_codes SET consumed_at = ? WHERE user_id = ? AND purpose = ? AND consumed_at IS NULL "
        "AND COALESCE(email_address_id, '') = ?",
        (row.created_at, row.user_id, row.purpose, row.email_address_id or ""),
    )
    await c.execute(
        f"INSERT INTO identity_codes ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (row.id, row.purpose, row.user_id, row.email_address_id, row.code_sha256, row.token_sha256,
         row.attempts, json.dumps(row.data), row.expire_at, row.created_at, row.consumed_at),
    )  # fmt: skip


async def get(c: Conn, code_id: str) -> CodeRow | None:
    """One code by id."""
    row = await c.fetchone(f"SELECT {_COLS} FROM identity_codes WHERE id = ?", (code_id,))
    return CodeRow.from_row(row) if row else None


async def by_token(c: Conn, token_sha256: str) -> CodeRow | None:
    """The code a link token belongs to."""
    row = await c.fetchone(f"SELECT {_COLS} FROM identity_codes WHERE token_sha256 = ?", (token_sha256,))
    return CodeRow.from_row(row) if row else None


async def latest(c: Conn, user_id: str, purpose: str, email_address_id: str | None = None) -> CodeRow | None:
    """The newest code of a purpose for a user (and email address), used or not."""
    row = await c.fetchone(
        f"SELECT {_COLS} FROM identity_codes WHERE user_id = ? AND purpose = ? "
        "AND COALESCE(email_address_id, '') = ? ORDER BY created_at DESC, id DESC LIMIT 1",
        (user_id, purpose, email_address_id or ""),
    )
    return CodeRow.from_row(row) if row else None


async def latest_for_emails(c: Conn, email_ids: list[str], purpose: str) -> dict[str, CodeRow]:
    """The newest code of a purpose for each of these email addresses."""
    if not email_ids:
        return {}
    marks = ",".join("?" * len(email_ids))
    rows = await c.fetchall(
        f"SELECT {_COLS} FROM identity_codes WHERE purpose = ? AND email_address_id IN ({marks}) "
        "ORDER BY created_at, id",
        [purpose, *email_ids],
    )
    return {r.email_address_id or "": r for r in map(CodeRow.from_row, rows)}


async def count_since(c: Conn, user_id: str, purpose: str, since_ms: int) -> int:
    """How many codes of a purpose a user was sent since a time (to limit how often codes are sent)."""
    row = await c.fetchone(
        "SELECT COUNT(*) FROM identity_codes WHERE user_id = ? AND purpose = ? AND created_at >= ?",
        (user_id, purpose, since_ms),
    )
    return int(row[0]) if row else 0


async def record_attempt(c: Conn, code_id: str) -> None:
    """Count one wrong try at a code."""
    await c.execute("UPDATE identity_codes SET attempts = attempts + 1 WHERE id = ?", (code_id,))


async def consume(c: Conn, code_id: str, at_ms: int) -> bool:
    """Mark a code used; False if it was already used (a concurrent try won)."""
    done = await c.execute(
        "UPDATE identity_codes SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL", (at_ms, code_id)
    )
    return done > 0


async def delete_for_user(c: Conn, user_id: str) -> None:
    """Forget every code of a user (the user is being deleted)."""
    await c.execute("DELETE FROM identity_codes WHERE user_id = ?", (user_id,))
