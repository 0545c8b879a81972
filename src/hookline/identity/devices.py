"""A signed-in user's own sessions (their devices): list them and end any of them."""

from __future__ import annotations

from hookline.identity import sessions
from hookline.identity.errors import not_found
from hookline.identity.events import RequestInfo
from hookline.identity.resources import Session, User, now_ms
from hookline.identity.service import Identity


async def active_sessions(ident: Identity, user: User) -> list[Session]:
    """The user's active sessions, most recently active first."""
    async with ident.store.db.reader() as c:
        found = await sessions.active_for_user(c, user.id, now_ms())
    return sorted(found, key=lambda s: (s.last_active_at, s.id), reverse=True)


async def end_own_session(ident: Identity, request: RequestInfo, user: User, session_id: str) -> Session:
    """Revoke one of the user's own sessions (``session.revoked``); 404 for anyone else's."""
    s = await ident.get_session(session_id)
    if s.user_id != user.id:
        raise not_found("session")
    return await ident.end_session(request, session_id, "revoked")
