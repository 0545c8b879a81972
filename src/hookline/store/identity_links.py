"""Invitations and sign-in tokens: links that sign a person up or in, stored as their SHA-256.

Queries run on a caller's connection or transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from hookline.store.db import Conn, Row

_INV_COLS = "id, email_address, public_metadata, redirect_url, status, token_sha256, expires_at, created_at, updated_at"
_TOK_COLS = "id, user_id, token_sha256, status, expire_at, created_at, updated_at"


@dataclass(frozen=True)
class InvitationRow:
    """An invitation to sign up with one email address."""

    id: str
    email_address: str
    redirect_url: str | None
    status: str
    token_sha256: str
    expires_at: int | None
    created_at: int
    updated_at: int
    public_metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, r: Row) -> InvitationRow:
        return cls(r[0], r[1], r[3], r[4], r[5], r[6], int(r[7]), int(r[8]), json.loads(r[2] or "{}"))


@dataclass(frozen=True)
class SignInTokenRow:
    """A one-time sign-in link for a user."""

    id: str
    user_id: str
    token_sha256: str
    status: str
    expire_at: int
    created_at: int
    updated_at: int


async def add_invitation(c: Conn, i: InvitationRow) -> None:
    """Store an invitation."""
    await c.execute(f"INSERT INTO identity_invitations ({_INV_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (i.id, i.email_address, json.dumps(i.public_metadata), i.redirect_url, i.status, i.token_sha256,
                     i.expires_at, i.created_at, i.updated_at))  # fmt: skip


async def invitation(c: Conn, key: str) -> InvitationRow | None:
    """One invitation by id or by its token's digest."""
    row = await c.fetchone(f"SELECT {_INV_COLS} FROM identity_invitations WHERE id = ? OR token_sha256 = ?",
                           (key, key))  # fmt: skip
    return InvitationRow.from_row(row) if row else None


async def pending_for(c: Conn, email_address: str, at_ms: int) -> list[InvitationRow]:
    """The pending, unexpired invitations of an address."""
    rows = await c.fetchall(
        f"SELECT {_INV_COLS} FROM identity_invitations WHERE email_address = ? AND status = 'pending' "
        "AND (expires_at IS NULL OR expires_at > ?)",
        (email_address, at_ms),
    )
    return [InvitationRow.from_row(r) for r in rows]


async def invitations(
    c: Conn, *, status: str | None, query: str | None, descending: bool, limit: int, offset: int, at_ms: int
) -> tuple[list[InvitationRow], int]:
    """One page of invitations (``expired`` is a pending one past its time) and how many match."""
    conds: list[str] = []
    params: list[object] = []
    if status == "expired":
        conds.append("status = 'pending' AND expires_at IS NOT NULL AND expires_at <= ?")
        params.append(at_ms)
    elif status == "pending":
        conds.append("status = 'pending' AND (expires_at IS NULL OR expires_at > ?)")
        params.append(at_ms)
    elif status:
        conds.append("status = ?")
        params.append(status)
    if query:
        conds.append("email_address LIKE ? ESCAPE '\\'")
        params.append("%" + query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    where = (" WHERE " + " AND ".join(conds)) if conds else ""
    order = "DESC" if descending else "ASC"
    rows = await c.fetchall(f"SELECT {_INV_COLS} FROM identity_invitations{where} ORDER BY created_at {order}, "
                            f"id {order} LIMIT ? OFFSET ?", [*params, limit, offset])  # fmt: skip
    total = await c.fetchone(f"SELECT COUNT(*) FROM identity_invitations{where}", params)
    return [InvitationRow.from_row(r) for r in rows], int(total[0]) if total else 0


async def set_invitation_status(
    c: Conn, invitation_id: str, status: str, at_ms: int, was: str = "pending"
) -> bool:
    """Move an invitation from ``was`` to ``status``; False if it was not in ``was`` (a concurrent change won)."""
    return await c.execute("UPDATE identity_invitations SET status = ?, updated_at = ? WHERE id = ? AND status = ?",
                           (status, at_ms, invitation_id, was)) > 0  # fmt: skip


async def add_sign_in_token(c: Conn, t: SignInTokenRow) -> None:
    """Store a sign-in token."""
    await c.execute(f"INSERT INTO identity_sign_in_tokens ({_TOK_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (t.id, t.user_id, t.token_sha256, t.status, t.expire_at, t.created_at, t.updated_at))  # fmt: skip


async def sign_in_token(c: Conn, key: str) -> SignInTokenRow | None:
    """One sign-in token by id or by its digest."""
    row = await c.fetchone(f"SELECT {_TOK_COLS} FROM identity_sign_in_tokens WHERE id = ? OR token_sha256 = ?",
                           (key, key))  # fmt: skip
    return SignInTokenRow(*row) if row else None


async def set_sign_in_token_status(c: Conn, token_id: str, status: str, at_ms: int) -> bool:
    """Move a pending sign-in token to ``accepted`` or ``revoked``; False if it was no longer pending."""
    return await c.execute("UPDATE identity_sign_in_tokens SET status = ?, updated_at = ? WHERE id = ? "
                           "AND status = 'pending'", (status, at_ms, token_id)) > 0  # fmt: skip
