"""Clerk's Backend API ``organizations`` and ``organization_memberships`` at ``/v1``, and the logos' URLs."""

from __future__ import annotations

import hmac
from email import policy
from email.parser import BytesParser
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from hookline.identity import organization_params as q
from hookline.identity.errors import IdentityError, invalid
from hookline.identity.http import request_info, require_secret_key, service
from hookline.identity.organizations import Organizations
from hookline.store import organization_members as members
from hookline.store import organizations as orgs
from hookline.store.organization_members import MemberFilter
from hookline.store.organizations import OrganizationFilter

router = APIRouter(
    prefix="/v1", dependencies=[Depends(require_secret_key), Depends(q.no_nul)], tags=["identity"]
)
public = APIRouter(dependencies=[Depends(q.no_nul)], tags=["identity"])
_DEFAULT_LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
    '<rect width="64" height="64" rx="12" fill="#6b7280"/><rect x="18" y="16" width="28" height="34" rx="2" '
    'fill="#e5e7eb"/><rect x="24" y="22" width="6" height="6" fill="#6b7280"/><rect x="34" y="22" width="6" '
    'height="6" fill="#6b7280"/><rect x="24" y="32" width="6" height="6" fill="#6b7280"/><rect x="34" y="32" '
    'width="6" height="6" fill="#6b7280"/></svg>'
)


def organizations(request: Request) -> Organizations:
    """The organizations service over the running identity service."""
    return Organizations(service(request))


def paged(data: list[dict[str, Any]], total: int) -> JSONResponse:
    """Clerk's paginated list: ``{"data": [...], "total_count": n}``."""
    return JSONResponse({"data": data, "total_count": total})


# -- organizations ------------------------------------------------------------------------------------------
@router.get("/organizations")
async def list_organizations(request: Request) -> JSONResponse:
    """Organizations matching ``query``, ``user_id`` and ``organization_id`` (each ``±``), in ``order_by``."""
    q.known(request, {"include_members_count", "include_missing_member_with_elevated_permissions", "query",
                      "user_id", "organization_id", "order_by", "limit", "offset"})  # fmt: skip
    limit, offset = q.page(request)
    with_users, without_users = q.signed(request, "user_id")
    ids, not_ids = q.signed(request, "organization_id")
    f = OrganizationFilter(q.text(request, "query"), with_users, without_users, ids, not_ids)
    order = q.order(request, set(orgs.ORDER_COLUMNS), "-created_at")
    counts = bool(q.flag(request, "include_members_count"))
    elevated = bool(q.flag(request, "include_missing_member_with_elevated_permissions"))
    o = organizations(request)
    async with o.ident.store.db.reader() as c:
        found, total = await orgs.search(c, f, order, limit, offset)
        return paged([await o.org_json(c, x, counts, elevated) for x in found], total)


@router.post("/organizations")
async def create_organization(request: Request) -> dict[str, Any]:
    """Create an organization (``organization.created``; its creator's membership if ``created_by``)."""
    return await organizations(request).create(request_info(request), await q.body(request))


@router.get("/organizations/{organization_id}")
async def get_organization(request: Request, organization_id: str) -> dict[str, Any]:
    """One organization, by id or slug."""
    q.known(request, {"include_members_count", "include_missing_member_with_elevated_permissions"})
    o = organizations(request)
    async with o.ident.store.db.reader() as c:
        found = await o.require(c, organization_id)
        return await o.org_json(c, found, bool(q.flag(request, "include_members_count")),
                                bool(q.flag(request, "include_missing_member_with_elevated_permissions")))  # fmt: skip


@router.patch("/organizations/{organization_id}")
async def update_organization(request: Request, organization_id: str) -> dict[str, Any]:
    """Change an organization (``organization.updated``)."""
    return await organizations(request).update(request_info(request), organization_id, await q.body(request))


@router.delete("/organizations/{organization_id}")
async def delete_organization(request: Request, organization_id: str) -> dict[str, Any]:
    """Delete an organization (``organization.deleted``)."""
    return await organizations(request).delete(request_info(request), organization_id)


@router.patch("/organizations/{organization_id}/metadata")
async def merge_metadata(request: Request, organization_id: str) -> dict[str, Any]:
    """Deep-merge metadata; a ``null`` value removes its key."""
    body = await q.body(request)
    return await organizations(request).set_metadata(request_info(request), organization_id, body, merge=True)


@router.put("/organizations/{organization_id}/metadata")
async def replace_metadata(request: Request, organization_id: str) -> dict[str, Any]:
    """Replace the metadata objects given."""
    body = await q.body(request)
    return await organizations(request).set_metadata(
        request_info(request), organization_id, body, merge=False
    )


async def _uploaded_file(request: Request) -> tuple[str, bytes, str | None]:
    """The ``file`` part of a ``multipart/form-data`` body (its type and bytes) and ``uploader_user_id``."""
    media = request.headers.get("content-type", "")
    if not media.lower().startswith("multipart/form-data"):
        raise IdentityError(415, "unsupported_media_type", "Unsupported media type",
                            "Send the logo as multipart/form-data with a part named file.")  # fmt: skip
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > 11 * 1024 * 1024:
        raise IdentityError(413, "request_body_too_large", "file too large", "The logo may be at most 10 MB.")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > 11 * 1024 * 1024:
            raise IdentityError(
                413, "request_body_too_large", "file too large", "The logo may be at most 10 MB."
            )
    message = BytesParser(policy=policy.HTTP).parsebytes(
        f"Content-Type: {media}\r\n\r\n".encode() + bytes(raw)
    )
    file: tuple[str, bytes] | None = None
    uploader = None
    for part in message.iter_parts() if message.is_multipart() else ():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        if name == "file":
            file = (part.get_content_type(), payload)
        elif name == "uploader_user_id":
            uploader = payload.decode(errors="replace").strip() or None
    if file is None:
        raise invalid("file", "a part named file must hold the image", "form_param_missing")
    return file[0], file[1], uploader


@router.put("/organizations/{organization_id}/logo")
async def upload_logo(request: Request, organization_id: str) -> dict[str, Any]:
    """Set the organization's logo from an uploaded PNG, JPEG, GIF or WebP image (``organization.updated``)."""
    content_type, body, uploader = await _uploaded_file(request)
    o = organizations(request)
    if uploader is not None:
        async with o.ident.store.db.reader() as c:
            if not await members.public_users(c, [uploader]):
                raise invalid(
                    "uploader_user_id",
                    "uploader_user_id is not a user of this instance",
                    "resource_not_found",
                )
    return await o.set_logo(request_info(request), organization_id, content_type, body)


@router.delete("/organizations/{organization_id}/logo")
async def delete_logo(request: Request, organization_id: str) -> dict[str, Any]:
    """Remove the organization's logo (``organization.updated``)."""
    return await organizations(request).delete_logo(request_info(request), organization_id)


@public.get("/identity/organization-logos/{organization_id}/{digest}")
async def logo(request: Request, organization_id: str, digest: str) -> Response:
    """An organization's logo (its ``image_url``), or the default picture when it has none."""
    ident = service(request)
    async with ident.store.db.reader() as c:
        found = await orgs.get(c, organization_id)
        stored = await orgs.logo(c, organization_id) if found and found.id == organization_id else None
    # the digest names the logo's content, not a secret, but every comparison of a URL token is timing-safe
    current = (found.logo_digest or "") if found else ""
    if found is None or (
        digest != "default" and (stored is None or not hmac.compare_digest(digest.encode(), current.encode()))
    ):
        raise IdentityError(404, "resource_not_found", "not found", "organization logo not found")
    headers = {"cache-control": "public, max-age=31536000, immutable", "x-content-type-options": "nosniff"}
    if digest == "default" or stored is None:
        return Response(_DEFAULT_LOGO, media_type="image/svg+xml", headers={**headers, "cache-control": "public, max-age=3600",
                        "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'"})  # fmt: skip
    return Response(stored[1], media_type=stored[0], headers=headers)


# -- memberships ----------------------------------------------------------------------------------------------
_MEMBER_PARAMS = {
    "order_by", "limit", "offset", "user_id", "email_address", "phone_number", "username", "web3_wallet", "role",
    "query", "email_address_query", "phone_number_query", "username_query", "name_query", "last_active_at_before",
    "last_active_at_after", "created_at_before", "created_at_after",
}  # fmt: skip


def member_filter(request: Request) -> MemberFilter:
    """The membership filters of a request."""
    with_users, without_users = q.signed(request, "user_id")
    return MemberFilter(
        with_users, without_users, q.many(request, "email_address"), q.many(request, "username"),
        q.many(request, "role"), q.text(request, "query"), q.text(request, "email_address_query"),
        q.text(request, "username_query"), q.text(request, "name_query"), q.ms(request, "last_active_at_before"),
        q.ms(request, "last_active_at_after"), q.ms(request, "created_at_before"), q.ms(request, "created_at_after"),
        match_nothing=bool(q.many(request, "phone_number") or q.text(request, "phone_number_query")
                           or q.many(request, "web3_wallet")),
    )  # fmt: skip


def member_order(request: Request) -> tuple[str, bool]:
    """``order_by`` of a membership list; phone numbers are refused, as hookline's users have none."""
    if (request.query_params.get("order_by") or "").lstrip("+-") == "phone_number":
        raise invalid("order_by", "hookline has no phone numbers, so memberships cannot be ordered by them",
                      "form_param_value_invalid")  # fmt: skip
    return q.order(request, set(members.MEMBER_ORDER), "-created_at")


@router.get("/organizations/{organization_id}/memberships")
async def list_memberships(request: Request, organization_id: str) -> JSONResponse:
    """An organization's memberships, filtered and ordered as Clerk documents."""
    q.known(request, _MEMBER_PARAMS)
    limit, offset = q.page(request)
    f, order = member_filter(request), member_order(request)
    o = organizations(request)
    async with o.ident.store.db.reader() as c:
        found = await o.require(c, organization_id)
        page, total = await members.search_memberships(c, found.id, f, order, limit, offset)
        return paged(await o.memberships_json(c, page), total)


@router.get("/organization_memberships")
async def list_instance_memberships(request: Request) -> JSONResponse:
    """Every organization's memberships (``users.get_instance_organization_memberships``)."""
    q.known(request, {"order_by", "limit", "offset"})
    limit, offset = q.page(request)
    o = organizations(request)
    async with o.ident.store.db.reader() as c:
        page, total = await members.search_memberships(
            c, None, MemberFilter(), member_order(request), limit, offset
        )
        return paged(await o.memberships_json(c, page), total)


@router.get("/users/{user_id}/organization_memberships")
async def user_memberships(request: Request, user_id: str) -> JSONResponse:
    """A user's memberships, newest first."""
    q.known(request, {"limit", "offset"})
    limit, offset = q.page(request)
    o = organizations(request)
    async with o.ident.store.db.reader() as c:
        if not await members.public_users(c, [user_id]):
            raise IdentityError(404, "resource_not_found", "not found", "user not found")
        page, total = await members.memberships_of_user(c, user_id, limit, offset)
        return paged(await o.memberships_json(c, page), total)


@router.post("/organizations/{organization_id}/memberships")
async def create_membership(request: Request, organization_id: str) -> dict[str, Any]:
    """Add a user with a role (``organizationMembership.created``)."""
    body = await q.body(request)
    return await organizations(request).add_member(request_info(request), organization_id, body)


@router.patch("/organizations/{organization_id}/memberships/{user_id}")
async def update_membership(request: Request, organization_id: str, user_id: str) -> dict[str, Any]:
    """Change a member's role (``organizationMembership.updated``)."""
    body = await q.body(request)
    return await organizations(request).update_member(
        request_info(request), organization_id, user_id, body.get("role")
    )


@router.patch("/organizations/{organization_id}/memberships/{user_id}/metadata")
async def update_membership_metadata(request: Request, organization_id: str, user_id: str) -> dict[str, Any]:
    """Deep-merge a membership's metadata (``organizationMembership.updated``)."""
    body = await q.body(request)
    return await organizations(request).merge_member_metadata(
        request_info(request), organization_id, user_id, body
    )


@router.delete("/organizations/{organization_id}/memberships/{user_id}")
async def delete_membership(request: Request, organization_id: str, user_id: str) -> dict[str, Any]:
    """Remove a member (``organizationMembership.deleted``)."""
    return await organizations(request).remove_member(request_info(request), organization_id, user_id)
