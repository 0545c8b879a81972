"""Organizations, memberships, invitations, roles, permissions and domains as Clerk's Backend API and
events show them."""

from __future__ import annotations

from typing import Any

from hookline.store.organization_domains import DomainRow
from hookline.store.organization_members import InvitationRow, MembershipRow, PublicUser
from hookline.store.organization_roles import PermissionRow, RoleRow
from hookline.store.organizations import OrganizationRow


def logo_url(base_url: str, o: OrganizationRow) -> str | None:
    """Where the organization's logo is served (its digest in the path, so a new logo is a new URL)."""
    return f"{base_url}/identity/organization-logos/{o.id}/{o.logo_digest}" if o.logo_digest else None


def organization_json(
    o: OrganizationRow, base_url: str, *, members_count: int | None = None, pending_invitations: int | None = None,
    missing_elevated: bool | None = None,
) -> dict[str, Any]:  # fmt: skip
    """An ``organization`` object; the counts only when asked for (as Clerk's ``include_*`` flags do)."""
    logo = logo_url(base_url, o)
    out: dict[str, Any] = {
        "object": "organization", "id": o.id, "name": o.name, "slug": o.slug,
        "image_url": logo or f"{base_url}/identity/organization-logos/{o.id}/default",
        "has_image": logo is not None, "max_allowed_memberships": o.max_allowed_memberships,
        "admin_delete_enabled": o.admin_delete_enabled, "public_metadata": o.public_metadata,
        "private_metadata": o.private_metadata, "created_by": o.created_by or "", "role_set_key": None,
        "created_at": o.created_at, "updated_at": o.updated_at,
    }  # fmt: skip
    if logo:
        out["logo_url"] = logo
    if members_count is not None:
        out["members_count"] = members_count
    if pending_invitations is not None:
        out["pending_invitations_count"] = pending_invitations
    if missing_elevated is not None:
        out["missing_member_with_elevated_permissions"] = missing_elevated
    return out


def public_organization_json(o: OrganizationRow, base_url: str) -> dict[str, Any]:
    """What invitations and domains show of their organization."""
    full = organization_json(o, base_url)
    return {k: full[k] for k in ("id", "name", "slug", "image_url", "has_image")}


def public_user_json(user_id: str, u: PublicUser | None) -> dict[str, Any]:
    """A membership's ``public_user_data``."""
    return {
        "user_id": user_id, "first_name": u.first_name if u else None, "last_name": u.last_name if u else None,
        "profile_image_url": "", "image_url": "", "has_image": False, "identifier": u.identifier if u else None,
        "username": u.username if u else None, "banned": u.banned if u else False,
    }  # fmt: skip


def membership_json(
    m: MembershipRow, o: OrganizationRow, role: RoleRow | None, user: PublicUser | None, base_url: str
) -> dict[str, Any]:
    """An ``organization_membership`` with its organization, role, permissions and user."""
    return {
        "object": "organization_membership", "id": m.id, "role": m.role, "role_name": role.name if role else m.role,
        "permissions": [p.key for p in role.permissions] if role else [],
        "public_metadata": m.public_metadata, "private_metadata": m.private_metadata,
        "organization": organization_json(o, base_url), "public_user_data": public_user_json(m.user_id, user),
        "created_at": m.created_at, "updated_at": m.updated_at,
    }  # fmt: skip


def inviter_json(u: PublicUser | None) -> dict[str, Any] | None:
    """An invitation's ``public_inviter_data`` (None without an inviter)."""
    if u is None:
        return None
    return {"user_id": u.user_id, "first_name": u.first_name, "last_name": u.last_name, "image_url": "",
            "has_image": False, "identifier": u.identifier or ""}  # fmt: skip


def invitation_json(
    i: InvitationRow,
    o: OrganizationRow,
    role: RoleRow | None,
    base_url: str,
    at_ms: int,
    url: str | None = None,
    inviter: PublicUser | None = None,
) -> dict[str, Any]:
    """An ``organization_invitation``; ``url`` only when it was just made (the link's token is kept hashed)."""
    return {
        "object": "organization_invitation", "id": i.id, "email_address": i.email_address, "role": i.role,
        "role_name": role.name if role else i.role, "organization_id": i.organization_id, "inviter_id": i.inviter_id,
        "public_inviter_data": inviter_json(inviter), "status": i.status_at(at_ms), "public_metadata": i.public_metadata,
        "private_metadata": i.private_metadata, "public_organization_data": public_organization_json(o, base_url),
        "url": url, "expires_at": i.expires_at, "created_at": i.created_at, "updated_at": i.updated_at,
    }  # fmt: skip


def permission_json(p: PermissionRow) -> dict[str, Any]:
    """A ``permission`` object."""
    return {"object": "permission", "id": p.id, "name": p.name, "key": p.key, "description": p.description,
            "type": p.type, "created_at": p.created_at, "updated_at": p.updated_at}  # fmt: skip


def role_json(r: RoleRow) -> dict[str, Any]:
    """A ``role`` object with its permissions."""
    return {"object": "role", "id": r.id, "name": r.name, "key": r.key, "description": r.description,
            "is_creator_eligible": r.is_creator_eligible, "permissions": [permission_json(p) for p in r.permissions],
            "created_at": r.created_at, "updated_at": r.updated_at}  # fmt: skip


def domain_json(
    d: DomainRow, o: OrganizationRow | None, base_url: str, pending_invitations: int = 0
) -> dict[str, Any]:
    """An ``organization_domain``; a domain added as verified shows Clerk's admin verification."""
    verification = (
        {"status": "verified", "strategy": "admin", "attempts": 0, "expire_at": None, "verified_at": d.updated_at}
        if d.verified else {"status": "unverified", "strategy": "email_code", "attempts": 0, "expire_at": None,
                            "verified_at": None}
    )  # fmt: skip
    return {
        "object": "organization_domain", "id": d.id, "organization_id": d.organization_id, "name": d.name,
        "enrollment_mode": d.enrollment_mode, "affiliation_email_address": d.affiliation_email_address,
        "verification": verification, "affiliation_verification": None, "ownership_verification": None,
        "total_pending_invitations": pending_invitations, "total_pending_suggestions": 0,
        "public_organization_data": public_organization_json(o, base_url) if o else None,
        "created_at": d.created_at, "updated_at": d.updated_at,
    }  # fmt: skip


def deleted_json(kind: str, object_id: str) -> dict[str, Any]:
    """Clerk's stub for a deleted object."""
    return {"object": kind, "id": object_id, "deleted": True}
