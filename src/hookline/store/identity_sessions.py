"""Session queries, run on a caller's connection or transaction."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hookline.store import identity_actors
from hookline.store.conn import Conn
from hookline.store.identity_records import SESSION_COLS, SESSION_FIELDS, Session, insert_sql


async def _active_organizations(c: Conn, session_ids: list[str]) -> dict[str, str]:
    if not session_ids:
        return {}
    rows = await c.fetchall(
        "SELECT session_id, organization_id FROM identity_session_organizations WHERE session_id IN "
        f"({','.join('?' * len(session_ids))})",
        session_ids,
    )
    return {str(r["session_id"]): str(r["organization_id"]) for r in rows}


async def _with_actors(c: Conn, found: list[Session]) -> list[Session]:
    """Sessions with their actor (impersonation) and their active organization where they have them."""
    ids = [s.id for s in found]
    actors = await identity_actors.session_actors(c, ids)
    orgs = await _active_organizations(c, ids)
    return [
        replace(s, actor=actors.get(s.id, s.actor), last_active_organization_id=orgs.get(s.id)) for s in found
    ]


async def get(c: Conn, session_id: str) -> Session | None:
    """One session by id."""
    row = await c.fetchone(f"SELECT {SESSION_COLS} FROM identity_sessions WHERE id = ?", (session_id,))
    return (await _with_actors(c, [Session.from_row(row)]))[0] if row else None


async def insert(c: Conn, s: Session) -> None:
    """Store a new session."""
    await c.execute(insert_sql("identity_sessions", SESSION_FIELDS), s.params())


async def set_status(c: Conn, session_id: str, status: str, at_ms: int) -> None:
    """Change a session's status."""
    await c.execute(
        "UPDATE identity_sessions SET status = ?, updated_at = ? WHERE id = ?", (status, at_ms, session_id)
    )


async def touch(c: Conn, session_id: str, at_ms: int) -> None:
    """Record activity on a session."""
    await c.execute("UPDATE identity_sessions SET last_active_at = ? WHERE id = ?", (at_ms, session_id))


async def active_for_user(c: Conn, user_id: str, at_ms: int) -> list[Session]:
    """A user's sessions that are active and unexpired."""
    rows = await c.fetchall(
        f"SELECT {SESSION_COLS} FROM identity_sessions WHERE user_id = ? AND status = 'active' AND expire_at > ? "
        "ORDER BY created_at, id",
        (user_id, at_ms),
    )
    return await _with_actors(c, [Session.from_row(r) for r in rows])


def _where(
    user_id: str | None, client_id: str | None, status: str | None, at_ms: int
) -> tuple[str, list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if user_id:
        where.append("user_id = ?")
        params.append(user_id)
    if client_id:
        where.append("client_id = ?")
        params.append(client_id)
    if status == "active":
        where.append("status = 'active' AND expire_at > ?")
        params.append(at_ms)
    elif status == "expired":
        where.append("(status = 'expired' OR (status = 'active' AND expire_at <= ?))")
        params.append(at_ms)
    elif status:
        where.append("status = ?")
        params.append(status)
    return (" WHERE " + " AND ".join(where)) if where else "", params


async def list_sessions(
    c: Conn,
    *,
    user_id: str | None,
    client_id: str | None,
    status: str | None,
    limit: int,
    offset: int,
    at_ms: int,
) -> tuple[list[Session], int]:
    """One page of sessions, newest first, and how many match in all (an expired active session reads as expired)."""
    where, params = _where(user_id, client_id, status, at_ms)
    sql = f"SELECT {SESSION_COLS} FROM identity_sessions{where} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
    rows = await c.fetchall(sql, [*params, limit, offset])
    total = await c.fetchone(f"SELECT COUNT(*) AS n FROM identity_sessions{where}", params)
    return await _with_actors(c, [Session.from_row(r) for r in rows]), int(total["n"]) if total else 0
