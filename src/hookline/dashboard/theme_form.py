"""The operator's form for the look of an application's portal (name, logo, colour, light or dark, font)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hookline.dashboard.auth import Forbidden, Viewer, check_csrf, require_admin
from hookline.dashboard.render import form_data, render
from hookline.services import portal_theme
from hookline.services.errors import OperationError
from hookline.services.runtime import Runtime
from hookline.store.records import Application

router = APIRouter()
ADMIN = Depends(require_admin)


def _rt(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


async def _app(request: Request, app_id: str) -> Application:
    app = await _rt(request).store.get_app(app_id)
    if app is None:
        raise Forbidden("No such application. Pick one from the list of applications.", 404)
    return app


def _values(theme: portal_theme.PortalTheme | None) -> dict[str, Any]:
    t = theme or portal_theme.PortalTheme()
    return {"name": t.name or "", "logo_url": t.logo_url or "", "primary_color": t.primary_color or "",
            "mode": t.mode or "", "font_family": t.font_family or ""}  # fmt: skip


@router.get("/app/{app_id}/portal-theme", response_class=HTMLResponse)
async def theme_page(request: Request, app_id: str, viewer: Viewer = ADMIN) -> Response:
    """The form, with what is stored now."""
    app = await _app(request, app_id)
    saved = "Saved." if request.query_params.get("done") == "saved" else None
    values = _values(await portal_theme.app_theme(_rt(request), app.id))
    return render(request, "portal_theme_form.html", viewer=viewer, app=app, values=values, notice=saved)


@router.post("/app/{app_id}/portal-theme", response_class=HTMLResponse)
async def theme_save(request: Request, app_id: str, viewer: Viewer = ADMIN) -> Response:
    """Store the look (a bad value re-renders the form with a 422 naming the field)."""
    app = await _app(request, app_id)
    form = await form_data(request)
    await check_csrf(request, viewer, form)
    try:
        theme = portal_theme.build(
            name=form.get("name"), logo_url=form.get("logo_url"), primary_color=form.get("primary_color"),
            mode=form.get("mode") or None, font_family=form.get("font_family"),
            names={"name": "Name", "logo_url": "Logo URL", "primary_color": "Primary colour",
                   "mode": "Mode", "font_family": "Font"},
        )  # fmt: skip
    except OperationError as exc:
        values = {k: form.get(k, "") for k in ("name", "logo_url", "primary_color", "mode", "font_family")}
        return render(request, "portal_theme_form.html", 422, viewer=viewer, app=app, values=values,
                      error=exc.detail + ".")  # fmt: skip
    await portal_theme.set_app_theme(_rt(request), app.id, theme)
    return RedirectResponse(f"/dashboard/app/{app.id}/portal-theme?done=saved", status_code=303)
