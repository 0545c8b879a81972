"""The operator's view of organizations: a searchable list, and one organization with its members and
invitations (the dashboard reads them through here)."""

from __future__ import annotations

from dataclasses import dataclass

from hookline.identity.resources import now_ms
from hookline.store import organization_members as members
from hookline.store import organizations as orgs
from hookline.store.organization_members import InvitationRow, MemberFilter, MembershipRow, PublicUser
from hookline.store.organizations import OrganizationFilter, OrganizationRow
from hookline.store.store import Store

PAGE = 50


@dataclass(frozen=True)
class OrganizationPage:
    """One organization as the operator sees it."""

    organization: OrganizationRow
    members: list[tuple[MembershipRow, PublicUser | None]]
    members_total: int
    invitations: list[InvitationRow]
    at_ms: int


async def organizations(
    store: Store, query: str | None, offset: int
) -> tuple[list[tuple[OrganizationRow, int]], int]:
    """A page of organizations, newest first, matching ``query`` (id, name or slug), with member counts, and
    how many match."""
    async with store.db.reader() as c:
        found, total = await orgs.search(
            c, OrganizationFilter(query=query), ("created_at", True), PAGE, offset
        )
        return [(o, await orgs.count_members(c, o.id)) for o in found], total


async def organization(store: Store, key: str) -> OrganizationPage | None:
    """One organization (by id or slug) with its first 500 members and its latest 500 invitations."""
    async with store.db.reader() as c:
        o = await orgs.get(c, key)
        if o is None:
            return None
        found, total = await members.search_memberships(
            c, o.id, MemberFilter(), ("created_at", False), 500, 0
        )
        users = await members.public_users(c, [m.user_id for m in found])
        invited, _ = await members.search_invitations(
            c, org_id=o.id, statuses=(), email=None, query=None, emails=(), order=("created_at", True), limit=500,
            offset=0, at_ms=now_ms(),
        )  # fmt: skip
    return OrganizationPage(o, [(m, users.get(m.user_id)) for m in found], total, invited, now_ms())
