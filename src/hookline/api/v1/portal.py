"""App portal access and its end: links that open one application's pages, logout, expire-all (as Svix's)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ConfigDict

from hookline.api import wire
from hookline.api.idempotency import NO_STORE_FLAG
from hookline.api.runtime import runtime
from hookline.api.v1.common import app_or_404
from hookline.services import applications, portal, portal_theme
from hookline.services.models import ApplicationTokenExpireIn, AppPortalAccessIn, In
from hookline.services.runtime import Runtime

router = APIRouter(tags=["Authentication"])
public = APIRouter(tags=["Authentication"])  # authenticates the caller's own app-portal token


@router.post("/auth/app-portal-access/{app_id}")
async def app_portal_access(
    app_id: str, request: Request, body: AppPortalAccessIn | None = None, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    """A link (``url``) and its ``token`` for the application's portal (the application created first
    when missing and the body has ``application``); ``expiry`` in seconds (an hour .. 7 days),
    ``capabilities`` (or the older ``readOnly``), ``featureFlags``, ``sessionId`` (for expire-all).

    The link carries the token in its fragment, so it never reaches a server's access log.
    """
    body = body or AppPortalAccessIn()
    if body.application is not None:
        app_key = await applications.ensure_app(rt, app_id, body.application)
    else:
        app_key = (await app_or_404(rt.store, app_id)).id
    seconds = body.expiry if body.expiry is not None else portal.PORTAL_SECONDS
    return await portal_link(
        request, app_key, seconds, bool(body.read_only), body.session_id,
        capabilities=body.capabilities, feature_flags=tuple(body.feature_flags or ()),
    )  # fmt: skip


async def portal_link(
    request: Request,
    app_id: str,
    seconds: float = portal.PORTAL_SECONDS,
    read_only: bool = False,
    session_id: str | None = None,
    *,
    capabilities: Sequence[str] | None = None,
    feature_flags: Sequence[str] = (),
) -> dict[str, str]:
    """A link (``url``) that opens the portal of the application ``app_id`` (an id, not a uid), and its ``token``."""
    token = await portal.open_portal(
        request.app.state.runtime, app_id, seconds, read_only, session_id, capabilities, feature_flags
    )
    request.scope[NO_STORE_FLAG] = True  # the answer is a credential: an idempotent retry gets a new one
    return {"url": portal.portal_url(str(request.base_url), token), "token": token}


@router.post("/auth/app/{app_id}/expire-all", status_code=204)
async def expire_all(
    app_id: str, body: ApplicationTokenExpireIn | None = None, rt: Runtime = Depends(runtime)
) -> Response:
    """End every portal token issued so far for the application, after ``expiry`` seconds (0 by default;
    at most 3 days), or only those issued with one of ``sessionIds``."""
    app = await app_or_404(rt.store, app_id)
    grace = body.expiry if body is not None and body.expiry else 0
    await portal.expire_all(rt, app.id, grace, body.session_ids if body is not None else None)
    return Response(status_code=204)


@public.post("/auth/logout", status_code=204)
async def logout(request: Request, rt: Runtime = Depends(runtime)) -> Response:
    """Log the caller's own app-portal token out (``Authorization: Bearer hlportal_…``); no other token."""
    token = wire.bearer_token(request.headers.get("authorization", ""))
    if token is None:
        raise wire.missing_token()
    await portal.logout(rt, token)
    return Response(status_code=204)


class PortalThemeIn(In):
    """The portal's look for one application (hookline's own; Svix keeps it per environment)."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 422, never silently dropped
    name: str | None = None
    logo_url: str | None = None
    primary_color: str | None = None
    dark_mode: bool | None = None
    font_family: str | None = None


def _theme_out(theme: portal_theme.PortalTheme | None) -> dict[str, Any]:
    t = theme or portal_theme.PortalTheme()
    return {"name": t.name, "logoUrl": t.logo_url, "primaryColor": t.primary_color,
            "darkMode": None if t.mode is None else t.mode == "dark", "fontFamily": t.font_family}  # fmt: skip


@router.get("/app/{app_id}/portal-theme", tags=["Application"])
async def get_portal_theme(app_id: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    """The look of the application's portal: name, logo, primary colour, dark mode, font (null: default)."""
    app = await app_or_404(rt.store, app_id)
    return _theme_out(await portal_theme.app_theme(rt, app.id))


@router.put("/app/{app_id}/portal-theme", tags=["Application"])
async def put_portal_theme(
    app_id: str, body: PortalThemeIn, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    """Set the look of the application's portal (fields left null take the default; a link's own
    ``darkMode``, ``primaryColor``, ``icon``, ``fontFamily`` and ``name`` win over these)."""
    app = await app_or_404(rt.store, app_id)
    theme = portal_theme.build(name=body.name, logo_url=body.logo_url, primary_color=body.primary_color,
                               mode=body.dark_mode, font_family=body.font_family,
                               names={"mode": "darkMode"})  # fmt: skip
    await portal_theme.set_app_theme(rt, app.id, theme)
    return _theme_out(theme)
