"""App portal access and its end: links that open one application's pages, logout, expire-all (as Svix's)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from hookline.api.errors import ApiError
from hookline.api.idempotency import NO_STORE_FLAG
from hookline.api.models import ApplicationTokenExpireIn, AppPortalAccessIn
from hookline.api.runtime import Runtime, runtime
from hookline.api.v1.common import app_or_404
from hookline.dashboard.auth import PORTAL_PREFIX, PORTAL_SECONDS
from hookline.store.auth_sessions import AuthSessions

router = APIRouter(tags=["Authentication"])
public = APIRouter(tags=["Authentication"])  # authenticates the caller's own app-portal token
MAX_EXPIRY = 30 * 24 * 3600
MAX_EXPIRE_ALL_GRACE = 24 * 3600


@router.post("/auth/app-portal-access/{app_id}")
async def app_portal_access(
    app_id: str, request: Request, body: AppPortalAccessIn | None = None, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    """A link (``url``) and its ``token`` for the application's portal; ``expiry`` in seconds, ``readOnly``,
    ``sessionId`` (for a later expire-all of that session's tokens).

    The link carries the token in its fragment, so it never reaches a server's access log.
    """
    app = await app_or_404(rt.store, app_id)
    seconds = body.expiry if body is not None and body.expiry else PORTAL_SECONDS
    read_only = bool(body is not None and body.read_only)
    session_id = body.session_id if body is not None else None
    return await portal_link(request, app.id, seconds, read_only, session_id)


async def portal_link(
    request: Request,
    app_id: str,
    seconds: float = PORTAL_SECONDS,
    read_only: bool = False,
    session_id: str | None = None,
) -> dict[str, str]:
    """A link (``url``) that opens the portal of the application ``app_id`` (an id, not a uid), and its ``token``."""
    rt: Runtime = request.app.state.runtime
    token = await AuthSessions(rt.store.db).open_portal(
        app_id, min(max(60, seconds), MAX_EXPIRY), read_only, session_id
    )
    request.scope[NO_STORE_FLAG] = True  # the answer is a credential: an idempotent retry gets a new one
    base = str(request.base_url).rstrip("/")
    return {"url": f"{base}/dashboard/portal/access#token={token}", "token": token}


@router.post("/auth/app/{app_id}/expire-all", status_code=204)
async def expire_all(
    app_id: str, body: ApplicationTokenExpireIn | None = None, rt: Runtime = Depends(runtime)
) -> Response:
    """End every portal token issued so far for the application, after ``expiry`` seconds (0 by default;
    at most a day), or only those issued with one of ``sessionIds``."""
    app = await app_or_404(rt.store, app_id)
    grace = body.expiry if body is not None and body.expiry else 0
    if grace > MAX_EXPIRE_ALL_GRACE:
        raise ApiError(422, "validation", f"expiry must be at most {MAX_EXPIRE_ALL_GRACE} seconds")
    ids = body.session_ids if body is not None else None
    await AuthSessions(rt.store.db).expire_portal(app.id, float(grace), ids)
    return Response(status_code=204)


@public.post("/auth/logout", status_code=204)
async def logout(request: Request, rt: Runtime = Depends(runtime)) -> Response:
    """Log the caller's own app-portal token out (``Authorization: Bearer hlportal_…``); no other token."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "authentication_failed", "missing bearer token (Authorization: Bearer <token>)")
    if not token.startswith(PORTAL_PREFIX):
        if rt.token_ok(token):
            raise ApiError(403, "forbidden", "only an app-portal token can log out; API tokens are revoked "
                           "with `hookline token revoke`")  # fmt: skip
        raise ApiError(401, "authentication_failed", "invalid token")
    if not await AuthSessions(rt.store.db).end_portal(token):
        raise ApiError(401, "authentication_failed", "invalid or expired token")
    return Response(status_code=204)
