"""Administrator actions across applications: find by id, create an application, open a customer's portal."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from hookline.dashboard import lookup, queries
from hookline.dashboard.auth import Forbidden, Viewer, check_csrf, require_admin
from hookline.dashboard.render import form_data, render
from hookline.services import applications, portal
from hookline.services.models import ApplicationIn
from hookline.services.runtime import Runtime
from hookline.store.errors import ConflictError

router = APIRouter()
ADMIN = Depends(require_admin)
PORTAL_AS_CUSTOMER_SECONDS = 3600


def _rt(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


@router.get("/find", response_class=HTMLResponse)
async def find(request: Request, viewer: Viewer = ADMIN) -> Response:
    """Land on what a pasted id names: ``msg_…``, an event id, ``ep_…``, ``app_…``, ``atmpt_…``, ``user_…``."""
    raw = request.query_params.get("id", "")
    target = await lookup.page_of(_rt(request).store, raw)
    if target is not None:
        return RedirectResponse(target, status_code=303)
    status = 404 if raw.strip() else 200
    return render(request, "find.html", status, viewer=viewer, q=raw.strip()[: lookup.MAX_ID])


async def apps_view(request: Request, viewer: Viewer, status: int = 200, **extra: Any) -> HTMLResponse:
    return render(request, "apps.html", status, viewer=viewer, apps=await queries.app_summaries(_rt(request).store),
                  **extra)  # fmt: skip


@router.post("/apps", response_class=HTMLResponse)
async def create_app(request: Request, viewer: Viewer = ADMIN) -> Response:
    """Create an application from the form on the applications page (a name, an optional uid)."""
    form = await form_data(request)
    await check_csrf(request, viewer, form)
    fields = {"name": form.get("name", "").strip(), "uid": form.get("uid", "").strip() or None}
    try:
        app, _ = await applications.create(_rt(request), ApplicationIn.model_validate(fields))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return await apps_view(request, viewer, 422, error=f"{where}: {first['msg']}", form=form)
    except ConflictError:
        return await apps_view(request, viewer, 409, error=f"An application with the uid {fields['uid']!r} exists.",
                               form=form)  # fmt: skip
    return RedirectResponse(f"/dashboard/app/{app.id}?done=created", status_code=303)


@router.post("/app/{app_id}/open-portal")
async def open_portal(request: Request, app_id: str, viewer: Viewer = ADMIN) -> Response:
    """Open the application's portal as its customer sees it, with a one-hour link."""
    await check_csrf(request, viewer, await form_data(request))
    rt = _rt(request)
    app = await rt.store.get_app(app_id)
    if app is None:
        raise Forbidden("No such application. Pick one from the list of applications.", 404)
    token = await portal.open_portal(rt, app.id, PORTAL_AS_CUSTOMER_SECONDS)
    # the token rides in the fragment, as in every portal link, so no log records it
    return RedirectResponse(f"/dashboard/portal/access#token={token}", status_code=303)
