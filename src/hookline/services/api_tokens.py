"""API tokens for ``/api/v1``: issued by ``hookline token``, checked by every running server.

Only a token's SHA-256 is stored, so a leaked database leaks no token; servers re-read the issued
tokens every few seconds, so one issued or revoked elsewhere takes effect without a restart.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from hookline.ids import new_id
from hookline.store.store import Store


@dataclass(frozen=True)
class IssuedToken:
    """A token as ``hookline token list`` shows it: its start (``hint``), never the token itself."""

    id: str
    name: str
    hint: str
    created_at: float
    revoked_at: float | None


def token_digest(token: str) -> str:
    """The stored form of an API token (its SHA-256)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_api_token() -> str:
    """A new random bearer token for ``/api/v1``."""
    return "hl_" + secrets.token_urlsafe(32)


async def issue(store: Store, name: str, now: float | None = None) -> tuple[IssuedToken, str]:
    """Issue a token named ``name``; return it as listed, and the token itself (shown once)."""
    now = time.time() if now is None else now
    secret = new_api_token()
    token = IssuedToken(new_id("tok", now), name, secret[:7] + "…", now, None)
    async with store.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO api_tokens (id, name, token_sha256, hint, created_at) VALUES (?, ?, ?, ?, ?)",
            (token.id, token.name, token_digest(secret), token.hint, token.created_at),
        )
    return token, secret


async def listed(store: Store, include_revoked: bool = False) -> list[IssuedToken]:
    """The issued tokens, oldest first; revoked ones only with ``include_revoked``."""
    async with store.db.reader() as c:
        rows = await c.fetchall(
            "SELECT id, name, hint, created_at, revoked_at FROM api_tokens ORDER BY created_at, id"
        )
    tokens = [
        IssuedToken(str(r[0]), str(r[1]), str(r[2]), float(r[3]), None if r[4] is None else float(r[4]))
        for r in rows
    ]
    return [t for t in tokens if include_revoked or t.revoked_at is None]


async def revoke(store: Store, token_id: str, now: float | None = None) -> float | None:
    """Revoke a token; return when, or None when no active token has that id."""
    now = time.time() if now is None else now
    async with store.db.transaction() as tx:
        changed: int = await tx.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (now, token_id)
        )
    return now if changed else None


async def active_digests(store: Store) -> frozenset[str]:
    """The digests of the issued tokens that are not revoked."""
    async with store.db.reader() as c:
        rows = await c.fetchall("SELECT token_sha256 FROM api_tokens WHERE revoked_at IS NULL")
    return frozenset(str(row[0]) for row in rows)
