"""Organizations' part in changes to users: Clerk's automatic invitations for a newly verified address at a
verified ``automatic_invitation`` domain, and ``organizationMembership.deleted`` for each membership of a
deleted user; both in the transaction of the user's change."""

from __future__ import annotations

from hookline.identity.events import Outbox
from hookline.identity.organization_invitations import NewInvitation, OrganizationInvitations
from hookline.identity.organizations import DEFAULT_ROLE, Organizations
from hookline.identity.resources import now_ms
from hookline.identity.service import Identity
from hookline.store import organization_domains as domains
from hookline.store import organization_members as members
from hookline.store import organizations as orgs
from hookline.store.db import Conn
from hookline.store.organization_domains import DomainRow

INVITATION_DAYS = 30


async def invite_on_domain(
    organizations: Organizations, tx: Conn, out: Outbox, d: DomainRow, user_id: str, address: str
) -> bool:
    """Invite one verified address at ``d`` (with the default role, no email) unless the domain makes no
    automatic invitations or its user is a member or invited already; True if an invitation was made."""
    if not d.verified or d.enrollment_mode != "automatic_invitation":
        return False
    if await members.get_membership(tx, d.organization_id, user_id) or await members.pending_for_email(
        tx, d.organization_id, address, now_ms()
    ):
        return False
    o = await organizations.require(tx, d.organization_id)
    await OrganizationInvitations(organizations).make_in(
        tx, out, o, NewInvitation(address, DEFAULT_ROLE, None, {}, {}, None, INVITATION_DAYS, False)
    )
    return True


class OrganizationHooks:
    """The ``UserHooks`` of organizations."""

    def __init__(self, ident: Identity) -> None:
        self.ident = ident

    @property
    def orgs(self) -> Organizations:
        """The organizations service as the identity service is now (its ``base_url`` is set after start)."""
        return Organizations(self.ident)

    async def email_verified(self, tx: Conn, out: Outbox, user_id: str, address: str) -> None:
        """Invite the address to the organization whose verified domain it is at, when that domain invites."""
        domain = address.rpartition("@")[2].lower()
        d = await domains.by_name(tx, domain) if domain else None
        if d is not None:
            await invite_on_domain(self.orgs, tx, out, d, user_id, address)

    async def user_deleting(self, tx: Conn, out: Outbox, user_id: str) -> None:
        """Remove the user's memberships, each with ``organizationMembership.deleted`` (as Clerk does)."""
        found, _ = await members.memberships_of_user(tx, user_id, 10_000, 0)
        organizations = self.orgs
        gone = await organizations.memberships_json(tx, found)
        for m, data in zip(found, gone, strict=True):
            await members.delete_membership(tx, m.id)
            await orgs.clear_active_for_member(tx, m.organization_id, user_id)
            out.add("organizationMembership.deleted", data)
