"""Clients as hookline keeps them: the client id every session carries (one browser's sign-ins).

Queries run on a caller's connection or transaction.
"""

from __future__ import annotations

from hookline.store.db import Conn


async def client_ids(c: Conn, limit: int, offset: int) -> tuple[list[str], int]:
    """One page of client ids, newest first (by their first session), and how many there are."""
    rows = await c.fetchall(
        "SELECT client_id, MIN(created_at) AS first FROM identity_sessions GROUP BY client_id "
        "ORDER BY first DESC, client_id DESC LIMIT ? OFFSET ?",
        (limit, offset),
    )
    total = await c.fetchone("SELECT COUNT(DISTINCT client_id) FROM identity_sessions")
    return [r[0] for r in rows], int(total[0]) if total else 0
