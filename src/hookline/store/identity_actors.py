"""Actor tokens (impersonation) and the actor of each session they opened, as stored.

Queries run on a caller's connection or transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from hookline.store.db import Conn, Row

_COLS = "id, user_id, actor, token_sha256, status, expire_at, session_max_seconds, created_at, updated_at"


@dataclass(frozen=True)
class ActorTokenRow:
    """A one-time link that signs an actor in as ``user_id``."""

    id: str
    user_id: str
    token_sha256: str
    status: str
    expire_at: int
    session_max_seconds: int
    created_at: int
    updated_at: int
    actor: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, r: Row) -> ActorTokenRow:
        return cls(r[0], r[1], r[3], r[4], int(r[5]), int(r[6]), int(r[7]), int(r[8]), json.loads(r[2]))


async def add(c: Conn, t: ActorTokenRow) -> None:
    """Store an actor token."""
    await c.execute(f"INSERT INTO identity_actor_tokens ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (t.id, t.user_id, json.dumps(t.actor), t.token_sha256, t.status, t.expire_at,
                     t.session_max_seconds, t.created_at, t.updated_at))  # fmt: skip


async def get(c: Conn, key: str) -> ActorTokenRow | None:
    """One actor token by id or by its digest."""
    row = await c.fetchone(
        f"SELECT {_COLS} FROM identity_actor_tokens WHERE id = ? OR token_sha256 = ?", (key, key)
    )
    return ActorTokenRow.from_row(row) if row else None


async def set_status(c: Conn, token_id: str, status: str, at_ms: int) -> bool:
    """Move a pending actor token to ``accepted`` or ``revoked``; False if it was no longer pending."""
    return await c.execute("UPDATE identity_actor_tokens SET status = ?, updated_at = ? WHERE id = ? "
                           "AND status = 'pending'", (status, at_ms, token_id)) > 0  # fmt: skip


async def set_session_actor(c: Conn, session_id: str, actor: dict[str, Any]) -> None:
    """Record who acts in a session."""
    await c.execute("INSERT INTO identity_session_actors (session_id, actor) VALUES (?, ?)",
                    (session_id, json.dumps(actor)))  # fmt: skip


async def session_actors(c: Conn, session_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The actors of those of these sessions that have one."""
    if not session_ids:
        return {}
    marks = ",".join("?" * len(session_ids))
    rows = await c.fetchall(
        f"SELECT session_id, actor FROM identity_session_actors WHERE session_id IN ({marks})", session_ids
    )
    return {r[0]: json.loads(r[1]) for r in rows}
