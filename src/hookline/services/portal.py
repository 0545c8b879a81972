"""App-portal access: tokens that open one application's pages, their scope, and their end (as Svix's).

A token is a random value whose SHA-256 is stored (``store.auth_sessions``), so logout and
expire-all end it at once in every server process of one database.
"""

from __future__ import annotations

from collections.abc import Sequence

from hookline.services.errors import OperationError
from hookline.services.runtime import Runtime
from hookline.store.auth_sessions import PORTAL_PREFIX, AuthSessions, PortalSession

PORTAL_SECONDS = 7 * 24 * 3600  # a link's life when the caller names none
MIN_EXPIRY = 60
MAX_EXPIRY = 30 * 24 * 3600
MAX_EXPIRE_ALL_GRACE = 24 * 3600

__all__ = ["MAX_EXPIRE_ALL_GRACE", "MAX_EXPIRY", "PORTAL_PREFIX", "PORTAL_SECONDS"]


def portal_url(base_url: str, token: str) -> str:
    """The link that opens the portal: the token rides in the fragment, so no access log ever sees it."""
    return f"{base_url.rstrip('/')}/dashboard/portal/access#token={token}"


async def open_portal(
    rt: Runtime,
    app_id: str,
    seconds: float = PORTAL_SECONDS,
    read_only: bool = False,
    session_id: str | None = None,
) -> str:
    """Issue a token for the portal of ``app_id`` (an id, not a uid), living ``seconds`` (clamped to
    one minute .. 30 days); return it (shown once)."""
    life = min(max(MIN_EXPIRY, seconds), MAX_EXPIRY)
    return await AuthSessions(rt.store.db).open_portal(app_id, life, read_only, session_id)


async def expire_all(rt: Runtime, app_id: str, grace: float, session_ids: Sequence[str] | None) -> None:
    """End every token issued so far for the application after ``grace`` seconds (at most a day),
    or only those issued with one of ``session_ids``."""
    if grace > MAX_EXPIRE_ALL_GRACE:
        raise OperationError(422, "validation", f"expiry must be at most {MAX_EXPIRE_ALL_GRACE} seconds")
    await AuthSessions(rt.store.db).expire_portal(app_id, float(grace), session_ids)


async def logout(rt: Runtime, token: str) -> None:
    """End the caller's own app-portal token; an API token is refused (403), anything else is a 401."""
    if not token.startswith(PORTAL_PREFIX):
        if rt.token_ok(token):
            raise OperationError(403, "forbidden", "only an app-portal token can log out; API tokens are "
                                 "revoked with `hookline token revoke`")  # fmt: skip
        raise OperationError(401, "authentication_failed", "invalid token")
    if not await AuthSessions(rt.store.db).end_portal(token):
        raise OperationError(401, "authentication_failed", "invalid or expired token")


async def session(rt: Runtime, token: str | None) -> PortalSession | None:
    """The live session of an app-portal token, or None."""
    return await AuthSessions(rt.store.db).portal(token)


async def scoped(rt: Runtime, token: str | None, app_id: str) -> PortalSession:
    """The session of a token that opens ``app_id``'s portal; a 403 for any other token."""
    found = await session(rt, token)
    if found is None:
        raise OperationError(
            403, "forbidden", "This portal link has expired or is not valid. Ask for a new link."
        )
    if found.app_id != app_id:
        raise OperationError(403, "forbidden", "This portal link does not open that application.")
    return found
