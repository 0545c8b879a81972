"""Administrator pages for the identity service's organizations: the list, and one organization with its
members, invitations and the events that name it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from hookline.dashboard import queries
from hookline.dashboard.auth import Forbidden, Viewer, require_admin
from hookline.dashboard.render import render
from hookline.identity import directory, organization_directory
from hookline.store.store import Store

router = APIRouter()
ADMIN = Depends(require_admin)


def _store(request: Request) -> Store:
    store: Store = request.app.state.runtime.store
    return store


@router.get("/organizations", response_class=HTMLResponse)
async def organizations_page(request: Request, viewer: Viewer = ADMIN) -> Response:
    """Organizations, newest first, searchable by name, slug or id."""
    store = _store(request)
    if not await directory.identity_installed(store):
        return render(request, "organizations.html", viewer=viewer, installed=False, found=[], q="", total=0)
    q = request.query_params.get("q", "").strip()[:256]
    raw = request.query_params.get("offset", "0")
    offset = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 0
    found, total = await organization_directory.organizations(store, q or None, offset)
    more = offset + organization_directory.PAGE if offset + organization_directory.PAGE < total else None
    return render(request, "organizations.html", viewer=viewer, installed=True, found=found, q=q, total=total,
                  more=more)  # fmt: skip


@router.get("/organizations/{key}", response_class=HTMLResponse)
async def organization_page(request: Request, key: str, viewer: Viewer = ADMIN) -> Response:
    """One organization: members, invitations, and the identity events that name it."""
    store = _store(request)
    if not await directory.identity_installed(store):
        raise Forbidden("The identity service is not installed on this server.", 404)
    page = await organization_directory.organization(store, key)
    if page is None:
        raise Forbidden(
            "No such organization (it may have been deleted). Search the organizations list.", 404
        )
    rows = await queries.user_events(store, page.organization.id)  # the identity events that name its id
    return render(request, "organization.html", viewer=viewer, page=page, rows=rows)
