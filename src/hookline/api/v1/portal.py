"""App portal access: a link that opens one application's dashboard pages and nothing else (as Svix's)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from hookline.api.models import AppPortalAccessIn
from hookline.api.runtime import Runtime, runtime
from hookline.api.v1.common import app_or_404
from hookline.dashboard.auth import PORTAL_SECONDS, portal_token, signing_key

router = APIRouter(tags=["Authentication"])
MAX_EXPIRY = 30 * 24 * 3600


@router.post("/auth/app-portal-access/{app_id}")
async def app_portal_access(
    app_id: str, request: Request, body: AppPortalAccessIn | None = None, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    """A link (``url``) and its ``token`` for the application's portal; ``expiry`` in seconds, ``readOnly``."""
    app = await app_or_404(rt.store, app_id)
    seconds = body.expiry if body is not None and body.expiry else PORTAL_SECONDS
    read_only = bool(body is not None and body.read_only)
    return await portal_link(request, app.id, seconds, read_only)


async def portal_link(
    request: Request, app_id: str, seconds: float = PORTAL_SECONDS, read_only: bool = False
) -> dict[str, str]:
    """A link (``url``) that opens the portal of the application ``app_id`` (an id, not a uid), and its ``token``."""
    token = portal_token(await signing_key(request), app_id, min(max(60, seconds), MAX_EXPIRY), read_only)
    base = str(request.base_url).rstrip("/")
    return {"url": f"{base}/dashboard/portal/access?token={token}", "token": token}
