"""What a signed-in user does with organizations: the active organization of their session, the
organizations they belong to, creating one, inviting to one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hookline.identity.errors import IdentityError, not_found
from hookline.identity.events import RequestInfo
from hookline.identity.organization_invitations import MANAGE, OrganizationInvitations, parse_new
from hookline.identity.organizations import Organizations
from hookline.identity.resources import User, now_ms
from hookline.identity.service import Identity
from hookline.store import organization_members as members
from hookline.store import organization_roles as roles
from hookline.store import organizations as orgs
from hookline.store.organization_members import InvitationRow, MemberFilter, MembershipRow, PublicUser
from hookline.store.organizations import OrganizationRow


@dataclass(frozen=True)
class Belonging:
    """One of a user's organizations, their role in it and what they may do."""

    organization: OrganizationRow
    role: str
    role_name: str
    permissions: tuple[str, ...]

    @property
    def manages_members(self) -> bool:
        """True if the role may invite and remove members."""
        return MANAGE in self.permissions


async def belongings(ident: Identity, user_id: str) -> list[Belonging]:
    """Every organization the user is a member of, newest membership first."""
    async with ident.store.db.reader() as c:
        found, _ = await members.memberships_of_user(c, user_id, 500, 0)
        role_map = await roles.role_keys_of(c, sorted({m.role for m in found}))
        out = []
        for m in found:
            o = await orgs.get(c, m.organization_id)
            role = role_map.get(m.role)
            if o is not None:
                out.append(Belonging(o, m.role, role.name if role else m.role,
                                     tuple(p.key for p in role.permissions) if role else ()))  # fmt: skip
    return out


async def active_organization(ident: Identity, session_id: str) -> str | None:
    """The id of the session's active organization."""
    async with ident.store.db.reader() as c:
        return await orgs.active_for_session(c, session_id)


async def set_active(ident: Identity, session_id: str, user_id: str, key: str | None) -> str | None:
    """Make an organization the user is a member of (by id or slug) active in the session, or none (``None``:
    the personal account); 404 for an organization they do not belong to."""
    async with ident.store.db.transaction() as tx:
        org_id = None
        if key:
            o = await orgs.get(tx, key)
            if o is None or await members.get_membership(tx, o.id, user_id) is None:
                raise not_found("organization membership")
            org_id = o.id
        await orgs.set_active(tx, session_id, org_id)
    return org_id


async def create_own(
    ident: Identity, request: RequestInfo, user: User, name: str, slug: str | None
) -> dict[str, Any]:
    """A signed-in user creates an organization and becomes its admin; 403 if they may not create one."""
    if not user.create_organization_enabled:
        raise IdentityError(403, "organization_creation_not_allowed", "not allowed",
                            "This account may not create organizations.")  # fmt: skip
    body: dict[str, Any] = {"name": name, "created_by": user.id}
    if slug:
        body["slug"] = slug
    return await Organizations(ident).create(request, body)


@dataclass(frozen=True)
class OrganizationView:
    """What an organization's page shows a member."""

    organization: OrganizationRow
    me: Belonging
    members: list[tuple[MembershipRow, PublicUser | None]]
    invitations: list[InvitationRow]


async def view(ident: Identity, user_id: str, key: str) -> OrganizationView:
    """An organization as one of its members sees it: members, and pending invitations for those who manage
    members; 404 for anyone else."""
    mine = next(
        (b for b in await belongings(ident, user_id) if key in (b.organization.id, b.organization.slug)), None
    )
    if mine is None:
        raise not_found("organization membership")
    async with ident.store.db.reader() as c:
        found, _ = await members.search_memberships(c, mine.organization.id, MemberFilter(), ("created_at", False),
                                                    500, 0)  # fmt: skip
        users = await members.public_users(c, [m.user_id for m in found])
        pending: list[InvitationRow] = []
        if mine.manages_members:
            pending, _ = await members.search_invitations(
                c, org_id=mine.organization.id, statuses=("pending",), email=None, query=None, emails=(),
                order=("created_at", True), limit=500, offset=0, at_ms=now_ms(),
            )  # fmt: skip
    return OrganizationView(mine.organization, mine, [(m, users.get(m.user_id)) for m in found], pending)


async def invite(ident: Identity, request: RequestInfo, user: User, key: str, email: str, role: str) -> None:
    """A member who manages members invites an address with a role (the invitation is emailed)."""
    page = await view(ident, user.id, key)
    new = parse_new({"email_address": email.strip(), "role": role, "inviter_user_id": user.id})
    await OrganizationInvitations(Organizations(ident)).create(request, page.organization.id, [new])


DELETE = "org:sys_profile:delete"


async def delete_own(ident: Identity, request: RequestInfo, user: User, key: str) -> None:
    """A member deletes an organization: their role must have ``org:sys_profile:delete`` and the organization
    must allow it (``admin_delete_enabled``), as Clerk's Frontend API requires."""
    page = await view(ident, user.id, key)
    if DELETE not in page.me.permissions or not page.organization.admin_delete_enabled:
        raise IdentityError(403, "organization_delete_not_allowed", "not allowed",
                            "Only an admin may delete this organization, and only when it allows admins to.")  # fmt: skip
    await Organizations(ident).delete(request, page.organization.id)


async def remove_member(ident: Identity, request: RequestInfo, user: User, key: str, member_id: str) -> None:
    """A member leaves (``member_id`` is their own id), or a member who manages members removes another."""
    page = await view(ident, user.id, key)
    if member_id != user.id and not page.me.manages_members:
        raise IdentityError(403, "not_an_admin_in_organization", "not allowed",
                            "Only a member who manages members may remove others.")  # fmt: skip
    await Organizations(ident).remove_member(request, page.organization.id, member_id)
