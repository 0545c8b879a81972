"""Hosted organization pages (``/organizations``: create one, switch the active one, invite members, accept an
invitation) and the signed-in user's JSON endpoints for the same (``/identity/me/organizations…``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from hookline.identity import organization_params as q
from hookline.identity import organization_sessions as mine
from hookline.identity.errors import IdentityError, invalid
from hookline.identity.http import request_info, service
from hookline.identity.http import signed_in as api_signed_in
from hookline.identity.organization_invitations import OrganizationInvitations
from hookline.identity.organization_json import organization_json
from hookline.identity.organizations import Organizations
from hookline.identity.pages import _message, _redirect, csrf_ok, read_form, render, signed_in
from hookline.identity.resources import Session, User

router = APIRouter(dependencies=[Depends(q.no_nul)], tags=["identity pages"], include_in_schema=False)
api = APIRouter(prefix="/identity", dependencies=[Depends(q.no_nul)], tags=["identity end users"])
EXPIRED = "The form expired; please try again."


async def _form(request: Request) -> dict[str, str]:
    """A posted form; 422 for a NUL character in a field (no database keeps one in text)."""
    form = await read_form(request)
    q.refuse_nul(list(form.values()), "form")
    return form


async def _posted(
    request: Request, expired: Callable[[], Awaitable[Response]]
) -> tuple[Session, User, dict[str, str]] | Response:
    """The signed-in session, user and posted form; or what to answer instead: the sign-in page when no one
    is signed in, ``expired()`` when the form's CSRF token does not match."""
    current = await signed_in(request)
    if current is None:
        return _redirect("/sign-in")
    form = await _form(request)
    if not csrf_ok(request, form):
        return await expired()
    return current[0], current[1], form


async def _accept_expired(request: Request) -> Response:
    return render(request, "identity_organization_accept.html", 403, error=EXPIRED)


# -- JSON for the signed-in user ---------------------------------------------------------------------------
@api.get("/me/organizations")
async def my_organizations(request: Request) -> dict[str, Any]:
    """The user's organizations with their role in each, and the session's active one."""
    session, user = await api_signed_in(request)
    ident = service(request)
    found = await mine.belongings(ident, user.id)
    return {
        "active_organization_id": await mine.active_organization(ident, session.id),
        "data": [{"organization": organization_json(b.organization, ident.base_url), "role": b.role,
                  "permissions": list(b.permissions)} for b in found],
    }  # fmt: skip


@api.post("/me/active_organization")
async def set_active_organization(request: Request) -> dict[str, Any]:
    """Make ``organization_id`` (id or slug; ``null`` for none) the session's active organization; answers a
    fresh session token carrying it."""
    session, user = await api_signed_in(request)
    body = await q.body(request)
    key = body.get("organization_id")
    if key is not None and not isinstance(key, str):
        raise invalid("organization_id", "organization_id must be an organization id, slug or null")
    ident = service(request)
    org_id = await mine.set_active(ident, session.id, user.id, key or None)
    return {"active_organization_id": org_id, "jwt": await ident.refresh_token(session.id)}


# -- hosted pages ---------------------------------------------------------------------------------------------
async def _list_page(request: Request, status: int = 200, **context: Any) -> Response:
    current = await signed_in(request)
    if current is None:
        return _redirect("/sign-in?redirect_url=" + quote(service(request).base_url + "/organizations"))
    session, user = current
    ident = service(request)
    invitations = OrganizationInvitations(Organizations(ident))
    invited = []
    async with ident.store.db.reader() as c:
        for i in await invitations.for_user(user.id):
            invited.append((i, await invitations.orgs.require(c, i.organization_id)))
    return render(request, "identity_organizations.html", status, organizations=await mine.belongings(ident, user.id),
                  invited=invited,
                  active=await mine.active_organization(ident, session.id),
                  may_create=user.create_organization_enabled, **context)  # fmt: skip


@router.get("/organizations", response_class=HTMLResponse)
async def organizations_page(request: Request) -> Response:
    """The user's organizations: switch the active one, or create one."""
    notice = {"created": "Organization created.", "switched": "Active organization changed.",
              "deleted": "Organization deleted.", "left": "You left the organization."}  # fmt: skip
    return await _list_page(request, notice=notice.get(request.query_params.get("done", "")))


@router.post("/organizations", response_class=HTMLResponse)
async def create_organization(request: Request) -> Response:
    """Create an organization; the user becomes its admin and it becomes active."""
    posted = await _posted(request, lambda: _list_page(request, 403, error=EXPIRED))
    if isinstance(posted, Response):
        return posted
    session, user, form = posted
    ident = service(request)
    try:
        made = await mine.create_own(
            ident, request_info(request), user, form.get("name", ""), form.get("slug") or None
        )
    except IdentityError as exc:
        return await _list_page(request, exc.status, error=_message(exc), form=form)
    await mine.set_active(ident, session.id, user.id, made["id"])
    return _redirect(f"/organizations/{made['id']}?done=created")


@router.post("/organizations/active", response_class=HTMLResponse)
async def switch_organization(request: Request) -> Response:
    """Switch the session's active organization (empty: the personal account)."""
    posted = await _posted(request, lambda: _list_page(request, 403, error=EXPIRED))
    if isinstance(posted, Response):
        return posted
    session, user, form = posted
    try:
        await mine.set_active(service(request), session.id, user.id, form.get("organization_id") or None)
    except IdentityError as exc:
        return await _list_page(request, exc.status, error=_message(exc))
    return _redirect("/organizations?done=switched")


@router.post("/organizations/invitations/{invitation_id}/accept", response_class=HTMLResponse)
async def accept_listed(request: Request, invitation_id: str) -> Response:
    """Join an organization whose invitation (to one of the user's verified addresses) the list shows."""
    posted = await _posted(request, lambda: _list_page(request, 403, error=EXPIRED))
    if isinstance(posted, Response):
        return posted
    session, user, _ = posted
    ident = service(request)
    try:
        joined = await OrganizationInvitations(Organizations(ident)).accept_by_id(request_info(request), invitation_id,
                                                                                user.id)  # fmt: skip
    except IdentityError as exc:
        return await _list_page(request, exc.status, error=_message(exc))
    await mine.set_active(ident, session.id, user.id, joined["organization_id"])
    return _redirect(f"/organizations/{joined['organization_id']}")


def _ticket(request: Request, form: dict[str, str] | None = None) -> str:
    return (form or {}).get("ticket") or request.query_params.get("__clerk_ticket") or ""


@router.get("/organizations/accept", response_class=HTMLResponse)
async def accept_page(request: Request) -> Response:
    """An invitation's link: sign in (with the invited address), then confirm joining."""
    ticket = _ticket(request)
    ident = service(request)
    invitations = OrganizationInvitations(Organizations(ident))
    try:
        found = await invitations.by_token(ticket)
    except IdentityError as exc:
        return render(request, "identity_organization_accept.html", exc.status, error=_message(exc))
    if await signed_in(request) is None:
        back = f"{ident.base_url}/organizations/accept?__clerk_ticket={quote(ticket)}"
        return _redirect("/sign-in?redirect_url=" + quote(back))
    async with ident.store.db.reader() as c:
        org = await invitations.orgs.require(c, found.organization_id)
    return render(request, "identity_organization_accept.html", ticket=ticket, organization=org,
                  email=found.email_address, role=found.role)  # fmt: skip


@router.post("/organizations/accept", response_class=HTMLResponse)
async def accept(request: Request) -> Response:
    """Join the organization of the invitation; it becomes the session's active one."""
    posted = await _posted(request, lambda: _accept_expired(request))
    if isinstance(posted, Response):
        return posted
    session, user, form = posted
    ident = service(request)
    try:
        joined = await OrganizationInvitations(Organizations(ident)).accept(request_info(request), _ticket(request, form),
                                                                          user.id)  # fmt: skip
    except IdentityError as exc:
        return render(request, "identity_organization_accept.html", exc.status, error=_message(exc))
    await mine.set_active(ident, session.id, user.id, joined["organization_id"])
    return _redirect(joined["redirect_url"] or f"/organizations/{joined['organization_id']}")


async def _org_page(request: Request, key: str, status: int = 200, **context: Any) -> Response:
    current = await signed_in(request)
    if current is None:
        return _redirect("/sign-in")
    session, user = current
    ident = service(request)
    try:
        page = await mine.view(ident, user.id, key)
    except IdentityError as exc:
        return render(request, "identity_organization.html", exc.status, error=_message(exc), page=None)
    return render(request, "identity_organization.html", status, page=page, me=user.id,
                  active=await mine.active_organization(ident, session.id) == page.organization.id, **context)  # fmt: skip


@router.get("/organizations/{key}", response_class=HTMLResponse)
async def organization_page(request: Request, key: str) -> Response:
    """An organization's members, and for those who manage members, its invitations and an invite form."""
    notice = {"created": "Organization created.", "invited": "Invitation sent.", "removed": "Member removed."}
    return await _org_page(request, key, notice=notice.get(request.query_params.get("done", "")))


@router.post("/organizations/{key}/invitations", response_class=HTMLResponse)
async def invite(request: Request, key: str) -> Response:
    """Invite an address with a role."""
    posted = await _posted(request, lambda: _org_page(request, key, 403, error=EXPIRED))
    if isinstance(posted, Response):
        return posted
    _, user, form = posted
    try:
        await mine.invite(service(request), request_info(request), user, key, form.get("email_address", ""),
                          form.get("role") or "org:member")  # fmt: skip
    except IdentityError as exc:
        return await _org_page(request, key, exc.status, error=_message(exc), form=form)
    return _redirect(f"/organizations/{key}?done=invited")


@router.post("/organizations/{key}/delete", response_class=HTMLResponse)
async def delete_organization(request: Request, key: str) -> Response:
    """Delete the organization (an admin, when the organization allows it)."""
    posted = await _posted(request, lambda: _org_page(request, key, 403, error=EXPIRED))
    if isinstance(posted, Response):
        return posted
    _, user, _ = posted
    try:
        await mine.delete_own(service(request), request_info(request), user, key)
    except IdentityError as exc:
        return await _org_page(request, key, exc.status, error=_message(exc))
    return _redirect("/organizations?done=deleted")


@router.post("/organizations/{key}/members/{user_id}/remove", response_class=HTMLResponse)
async def remove_member(request: Request, key: str, user_id: str) -> Response:
    """Leave the organization (one's own id), or remove a member (for those who manage members)."""
    posted = await _posted(request, lambda: _org_page(request, key, 403, error=EXPIRED))
    if isinstance(posted, Response):
        return posted
    _, user, _ = posted
    try:
        await mine.remove_member(service(request), request_info(request), user, key, user_id)
    except IdentityError as exc:
        return await _org_page(request, key, exc.status, error=_message(exc))
    return _redirect(
        "/organizations?done=left" if user_id == user.id else f"/organizations/{key}?done=removed"
    )
