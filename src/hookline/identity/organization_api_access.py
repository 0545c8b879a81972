"""Clerk's Backend API ``organization_invitations``, ``organization_roles``, ``organization_permissions`` and
``organization_domains`` at ``/v1``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from hookline.identity import organization_params as q
from hookline.identity.errors import IdentityError, invalid
from hookline.identity.http import parse_json, request_info, require_secret_key, service
from hookline.identity.organization_access import OrganizationAccess
from hookline.identity.organization_api import organizations, paged
from hookline.identity.organization_invitations import OrganizationInvitations, parse_new
from hookline.identity.organization_json import permission_json, role_json
from hookline.identity.resources import now_ms
from hookline.store import organization_domains as domains
from hookline.store import organization_members as members
from hookline.store import organization_roles as roles
from hookline.store.organization_domains import DomainFilter

router = APIRouter(
    prefix="/v1", dependencies=[Depends(require_secret_key), Depends(q.no_nul)], tags=["identity"]
)
STATUSES = ("pending", "accepted", "revoked", "expired")


def invitations(request: Request) -> OrganizationInvitations:
    """The invitations service over the running identity service."""
    return OrganizationInvitations(organizations(request))


def access(request: Request) -> OrganizationAccess:
    """The roles, permissions and domains service."""
    return OrganizationAccess(organizations(request))


# -- invitations --------------------------------------------------------------------------------------------
@router.post("/organizations/{organization_id}/invitations")
async def create_invitation(request: Request, organization_id: str) -> dict[str, Any]:
    """Invite an address with a role (``organizationInvitation.created``; ``email.created`` with ``notify``)."""
    new = parse_new(await q.body(request))
    return (await invitations(request).create(request_info(request), organization_id, [new]))[0]


@router.post("/organizations/{organization_id}/invitations/bulk")
async def create_invitations(request: Request, organization_id: str) -> JSONResponse:
    """Invite several addresses at once, all or none (at most 10, as Clerk)."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise IdentityError(415, "unsupported_media_type", "Unsupported media type", "Send a JSON array.")
    body = parse_json(await request.body())
    if not isinstance(body, list) or not 1 <= len(body) <= 10:
        raise invalid("body", "send a JSON array of 1 to 10 invitations", "form_param_value_invalid")
    for i, b in enumerate(body):
        if isinstance(b, dict):
            for key, value in b.items():
                q.refuse_nul(value, f"[{i}].{key}")
    batch = [parse_new(b, f"[{i}].") for i, b in enumerate(body)]
    made = await invitations(request).create(request_info(request), organization_id, batch)
    return paged(made, len(made))


async def _list_invitations(
    request: Request, organization_id: str | None, fixed_status: tuple[str, ...] = (),
    emails: tuple[str, ...] = (),
) -> JSONResponse:  # fmt: skip
    limit, offset = q.page(request)
    order = q.order(request, set(members.INVITATION_ORDER), "-created_at")
    status = fixed_status or q.statuses(request, STATUSES)
    inv = invitations(request)
    async with inv.ident.store.db.reader() as c:
        org_id = (await inv.orgs.require(c, organization_id)).id if organization_id else None
        page, total = await members.search_invitations(
            c, org_id=org_id, statuses=status, email=q.text(request, "email_address"), query=q.text(request, "query"),
            emails=emails, order=order, limit=limit, offset=offset, at_ms=now_ms(),
        )  # fmt: skip
        return paged(await inv.to_json(c, page), total)


@router.get("/organizations/{organization_id}/invitations")
async def list_invitations(request: Request, organization_id: str) -> JSONResponse:
    """An organization's invitations by ``status`` and ``email_address``, in ``order_by``."""
    q.known(request, {"status", "email_address", "order_by", "limit", "offset"})
    return await _list_invitations(request, organization_id)


@router.get("/organizations/{organization_id}/invitations/pending")
async def list_pending_invitations(request: Request, organization_id: str) -> JSONResponse:
    """An organization's pending invitations (Clerk's older operation)."""
    q.known(request, {"limit", "offset"})
    return await _list_invitations(request, organization_id, ("pending",))


@router.get("/organization_invitations")
async def list_instance_invitations(request: Request) -> JSONResponse:
    """Every organization's invitations by ``status`` and ``query`` (on the address), in ``order_by``."""
    q.known(request, {"status", "query", "order_by", "limit", "offset"})
    return await _list_invitations(request, None)


@router.get("/users/{user_id}/organization_invitations")
async def user_invitations(request: Request, user_id: str) -> JSONResponse:
    """The invitations sent to a user's email addresses, by ``status``."""
    q.known(request, {"status", "limit", "offset"})
    async with service(request).store.db.reader() as c:
        found = await members.public_users(c, [user_id])
        addresses = await members.email_addresses(c, user_id)
    if not found:
        raise IdentityError(404, "resource_not_found", "not found", "user not found")
    q.page(request)
    q.statuses(request, STATUSES)
    if not addresses:  # no address, so no invitation
        return paged([], 0)
    return await _list_invitations(request, None, emails=tuple(addresses))


@router.get("/organizations/{organization_id}/invitations/{invitation_id}")
async def get_invitation(request: Request, organization_id: str, invitation_id: str) -> dict[str, Any]:
    """One invitation of an organization."""
    inv = invitations(request)
    async with inv.ident.store.db.reader() as c:
        return (await inv.to_json(c, [await inv.get(c, organization_id, invitation_id)]))[0]


@router.post("/organizations/{organization_id}/invitations/{invitation_id}/revoke")
async def revoke_invitation(request: Request, organization_id: str, invitation_id: str) -> dict[str, Any]:
    """Revoke a pending invitation (``organizationInvitation.revoked``)."""
    requesting = (await q.body(request)).get("requesting_user_id")
    if requesting is not None and not isinstance(requesting, str):
        raise invalid("requesting_user_id", "requesting_user_id must be a user id")
    return await invitations(request).revoke(
        request_info(request), organization_id, invitation_id, requesting
    )


# -- permissions -----------------------------------------------------------------------------------------------
@router.get("/organization_permissions")
async def list_permissions(request: Request) -> JSONResponse:
    """The instance's permissions matching ``query``, in ``order_by``."""
    q.known(request, {"query", "order_by", "limit", "offset"})
    limit, offset = q.page(request)
    order = q.order(request, set(roles.ORDER_COLUMNS), "-created_at")
    async with service(request).store.db.reader() as c:
        found, total = await roles.search_permissions(c, q.text(request, "query"), order, limit, offset)
    return paged([permission_json(p) for p in found], total)


@router.post("/organization_permissions")
async def create_permission(request: Request) -> dict[str, Any]:
    """A custom permission (``permission.created``)."""
    return await access(request).create_permission(request_info(request), await q.body(request))


@router.get("/organization_permissions/{permission_id}")
async def get_permission(request: Request, permission_id: str) -> dict[str, Any]:
    """One permission."""
    a = access(request)
    async with a.orgs.ident.store.db.reader() as c:
        return permission_json(await a.permission(c, permission_id))


@router.patch("/organization_permissions/{permission_id}")
async def update_permission(request: Request, permission_id: str) -> dict[str, Any]:
    """Change a custom permission (``permission.updated``)."""
    return await access(request).update_permission(
        request_info(request), permission_id, await q.body(request)
    )


@router.delete("/organization_permissions/{permission_id}")
async def delete_permission(request: Request, permission_id: str) -> dict[str, Any]:
    """Delete a custom permission (``permission.deleted``)."""
    return await access(request).delete_permission(request_info(request), permission_id)


# -- roles --------------------------------------------------------------------------------------------------------
@router.get("/organization_roles")
async def list_roles(request: Request) -> JSONResponse:
    """The instance's roles matching ``query``, in ``order_by``."""
    q.known(request, {"query", "order_by", "limit", "offset"})
    limit, offset = q.page(request)
    order = q.order(request, set(roles.ORDER_COLUMNS), "-created_at")
    async with service(request).store.db.reader() as c:
        found, total = await roles.search_roles(c, q.text(request, "query"), order, limit, offset)
    return paged([role_json(r) for r in found], total)


@router.post("/organization_roles")
async def create_role(request: Request) -> dict[str, Any]:
    """A custom role (``role.created``)."""
    return await access(request).create_role(request_info(request), await q.body(request))


@router.get("/organization_roles/{role_id}")
async def get_role(request: Request, role_id: str) -> dict[str, Any]:
    """One role with its permissions."""
    a = access(request)
    async with a.orgs.ident.store.db.reader() as c:
        return role_json(await a.role(c, role_id))


@router.patch("/organization_roles/{role_id}")
async def update_role(request: Request, role_id: str) -> dict[str, Any]:
    """Change a role (``role.updated``)."""
    return await access(request).update_role(request_info(request), role_id, await q.body(request))


@router.delete("/organization_roles/{role_id}")
async def delete_role(request: Request, role_id: str) -> dict[str, Any]:
    """Delete a role no one has (``role.deleted``)."""
    return await access(request).delete_role(request_info(request), role_id)


@router.post("/organization_roles/{role_id}/permissions/{permission_id}")
async def assign_permission(request: Request, role_id: str, permission_id: str) -> dict[str, Any]:
    """Give a role a permission (``role.updated``)."""
    return await access(request).set_role_permission(request_info(request), role_id, permission_id, True)


@router.delete("/organization_roles/{role_id}/permissions/{permission_id}")
async def remove_permission(request: Request, role_id: str, permission_id: str) -> dict[str, Any]:
    """Take a permission from a role (``role.updated``)."""
    return await access(request).set_role_permission(request_info(request), role_id, permission_id, False)


# -- domains ------------------------------------------------------------------------------------------------------
def _modes(request: Request) -> tuple[tuple[str, ...], tuple[str, ...]]:
    values = q.many(request, "enrollment_mode")
    for v in values:
        if v.lstrip("-") not in (
            "manual_invitation",
            "automatic_invitation",
            "automatic_suggestion",
            "enterprise_sso",
        ):
            raise invalid("enrollment_mode", f"{v!r} is not an enrollment mode", "form_param_value_invalid")
    return tuple(v for v in values if not v.startswith("-")), tuple(
        v[1:] for v in values if v.startswith("-")
    )


async def _list_domains(request: Request, f: DomainFilter) -> JSONResponse:
    limit, offset = q.page(request)
    order = q.order(request, set(domains.ORDER_COLUMNS), "-created_at")
    a = access(request)
    async with a.orgs.ident.store.db.reader() as c:
        if f.organization_id:
            await a.orgs.require(c, f.organization_id)
        page, total = await domains.search(c, f, order, limit, offset)
        return paged([await a.domain_json(c, d) for d in page], total)


@router.get("/organizations/{organization_id}/domains")
async def list_domains(request: Request, organization_id: str) -> JSONResponse:
    """An organization's domains by ``verified`` and ``enrollment_mode``."""
    q.known(request, {"verified", "enrollment_mode", "limit", "offset"})
    a = access(request)
    async with a.orgs.ident.store.db.reader() as c:
        org_id = (await a.orgs.require(c, organization_id)).id
    modes, not_modes = _modes(request)
    return await _list_domains(request, DomainFilter(org_id, q.flag(request, "verified"), modes, not_modes))


@router.get("/organization_domains")
async def list_all_domains(request: Request) -> JSONResponse:
    """Every organization's domains, by organization, verification, mode, ``query`` or exact ``domains``."""
    q.known(request, {"organization_id", "verified", "enrollment_mode", "query", "domains", "order_by", "limit",
                      "offset"})  # fmt: skip
    query = request.query_params.get("query")
    if query is not None and not query.strip():
        raise invalid("query", "query may not be empty", "form_param_value_invalid")
    modes, not_modes = _modes(request)
    f = DomainFilter(q.text(request, "organization_id"), q.flag(request, "verified"), modes, not_modes,
                     q.text(request, "query"), q.many(request, "domains"))  # fmt: skip
    return await _list_domains(request, f)


@router.post("/organizations/{organization_id}/domains")
async def create_domain(request: Request, organization_id: str) -> dict[str, Any]:
    """Add a domain (``organizationDomain.created``)."""
    return await access(request).create_domain(request_info(request), organization_id, await q.body(request))


@router.patch("/organizations/{organization_id}/domains/{domain_id}")
async def update_domain(request: Request, organization_id: str, domain_id: str) -> dict[str, Any]:
    """Change a domain's enrollment mode or verification (``organizationDomain.updated``)."""
    body = await q.body(request)
    return await access(request).update_domain(request_info(request), organization_id, domain_id, body)


@router.delete("/organizations/{organization_id}/domains/{domain_id}")
async def delete_domain(request: Request, organization_id: str, domain_id: str) -> dict[str, Any]:
    """Remove a domain (``organizationDomain.deleted``)."""
    return await access(request).delete_domain(request_info(request), organization_id, domain_id)
