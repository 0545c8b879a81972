"""Invitations to organizations: made (one or in bulk), revoked and accepted, each with Clerk's event.

An invitation with ``notify`` (the default) is sent as an ``email.created`` event with slug
``organization_invitation`` (and by SMTP when configured); its link opens ``/organizations/accept`` on
hookline, where the invited user, once signed in with that address, joins the organization.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import quote

from hookline.identity import codes, emails
from hookline.identity.errors import IdentityError, invalid, not_found
from hookline.identity.events import Outbox, RequestInfo
from hookline.identity.invitations import allowed_redirect
from hookline.identity.mail import Mail
from hookline.identity.organization_json import invitation_json
from hookline.identity.organizations import Organizations, check_metadata
from hookline.identity.resources import now_ms
from hookline.ids import new_id
from hookline.store import organization_members as members
from hookline.store import organization_roles as roles
from hookline.store.db import Conn
from hookline.store.organization_members import InvitationRow
from hookline.store.organizations import OrganizationRow

DAY_MS = 86_400_000
MANAGE = "org:sys_memberships:manage"


@dataclass(frozen=True)
class NewInvitation:
    """One invitation as the Backend API's body gives it, checked."""

    email_address: str
    role: str
    inviter_user_id: str | None
    public_metadata: dict[str, Any]
    private_metadata: dict[str, Any]
    redirect_url: str | None
    expires_in_days: int
    notify: bool


def parse_new(body: Any, prefix: str = "") -> NewInvitation:
    """Check one invitation's fields; 422 naming the first one that is wrong."""
    if not isinstance(body, dict):
        raise invalid(prefix or "body", "each invitation must be an object")
    address = body.get("email_address")
    if not isinstance(address, str) or not address:
        raise invalid(prefix + "email_address", "email_address must be included", "form_param_missing")
    address = emails.normalize(address)
    if not emails.looks_valid(address):
        raise invalid(prefix + "email_address", f"{address!r} is not a valid email address")
    role = body.get("role")
    if not isinstance(role, str) or not role:
        raise invalid(prefix + "role", "role must be included", "form_param_missing")
    inviter = body.get("inviter_user_id")
    if inviter is not None and not isinstance(inviter, str):
        raise invalid(prefix + "inviter_user_id", "inviter_user_id must be a user id")
    days = body.get("expires_in_days")
    if days is not None and (type(days) is not int or not 1 <= days <= 365):
        raise invalid(prefix + "expires_in_days", "expires_in_days must be a whole number from 1 to 365",
                      "form_param_value_invalid")  # fmt: skip
    notify = body.get("notify")
    if notify is not None and not isinstance(notify, bool):
        raise invalid(prefix + "notify", "notify must be true or false")
    redirect = body.get("redirect_url")
    if redirect is not None and not isinstance(redirect, str):
        raise invalid(prefix + "redirect_url", "redirect_url must be a string")
    return NewInvitation(address, role, inviter or None, check_metadata(body, "public_metadata") or {},
                         check_metadata(body, "private_metadata") or {}, redirect or None, days or 30,
                         notify is not False)  # fmt: skip


class OrganizationInvitations:
    """Making, revoking and accepting invitations."""

    def __init__(self, organizations: Organizations) -> None:
        self.orgs = organizations
        self.ident = organizations.ident

    async def to_json(
        self, c: Conn, found: list[InvitationRow], url: str | None = None
    ) -> list[dict[str, Any]]:
        """Invitations as the Backend API shows them."""
        role_map = await roles.role_keys_of(c, sorted({i.role for i in found}))
        inviters = await members.public_users(c, [i.inviter_id for i in found if i.inviter_id])
        cache: dict[str, OrganizationRow] = {}
        out = []
        at = now_ms()
        for i in found:
            if i.organization_id not in cache:
                cache[i.organization_id] = await self.orgs.require(c, i.organization_id)
            o, role, inviter = (
                cache[i.organization_id],
                role_map.get(i.role),
                inviters.get(i.inviter_id or ""),
            )
            out.append(invitation_json(i, o, role, self.orgs.base_url, at, url, inviter))
        return out

    async def _check_inviter(self, tx: Conn, o: OrganizationRow, inviter: str | None) -> None:
        """An inviter must be a member whose role may manage members (Clerk: an administrator)."""
        if inviter is None:
            return
        m = await members.get_membership(tx, o.id, inviter)
        role = await roles.get_role(tx, m.role) if m else None
        if role is None or MANAGE not in {p.key for p in role.permissions}:
            raise IdentityError(403, "not_an_admin_in_organization", "not an admin",
                                "inviter_user_id must be a member who may manage the organization's members.",
                                {"param_name": "inviter_user_id"})  # fmt: skip

    async def make_in(
        self, tx: Conn, out: Outbox, o: OrganizationRow, new: NewInvitation
    ) -> tuple[dict[str, Any], Mail | None]:
        """Make one invitation inside ``tx`` (``organizationInvitation.created``), and its email if ``notify``."""
        await self.orgs.require_role(tx, new.role)
        await self._check_inviter(tx, o, new.inviter_user_id)
        now = now_ms()
        user_id = await members.user_id_by_email(tx, new.email_address)
        if user_id and await members.get_membership(tx, o.id, user_id):
            raise IdentityError(400, "already_a_member_in_organization", "already a member",
                                f"{new.email_address} is already a member of the organization.",
                                {"param_name": "email_address"})  # fmt: skip
        if await members.pending_for_email(tx, o.id, new.email_address, now):
            raise IdentityError(400, "duplicate_record", "duplicate invitation",
                                f"There is already a pending invitation for {new.email_address}.",
                                {"param_name": "email_address"})  # fmt: skip
        redirect = None
        if new.redirect_url:
            redirect = await allowed_redirect(tx, new.redirect_url)
            if redirect is None:
                raise invalid("redirect_url", "redirect_url must start with one of the instance's redirect URLs",
                              "form_param_value_invalid")  # fmt: skip
        token = "orginv_" + secrets.token_urlsafe(32)
        url = f"{self.orgs.base_url}/organizations/accept?__clerk_ticket={quote(token)}"
        row = InvitationRow(new_id("orginv"), o.id, new.email_address, new.role, "pending", new.inviter_user_id, None,
                            redirect, now + new.expires_in_days * DAY_MS, now, now, new.public_metadata,
                            new.private_metadata)  # fmt: skip
        await members.insert_invitation(tx, row, codes.token_digest(token))
        made = (await self.to_json(tx, [row], url))[0]
        out.add("organizationInvitation.created", made)
        mail = None
        if new.notify:
            text = f"You have been invited to join {o.name}.\n\nAccept the invitation: {url}"
            html = (f"<p>You have been invited to join {escape(o.name)}.</p>"
                    f'<p><a href="{escape(url)}">Accept the invitation</a></p>')  # fmt: skip
            mail = codes.email_event(out, slug="organization_invitation", to=new.email_address, email_address_id=None,
                                     user_id=user_id, subject=f"You are invited to join {o.name}", text=text,
                                     html=html, data={"action_url": url, "org": {"name": o.name, "id": o.id},
                                                      "app": {"name": "hookline", "url": self.orgs.base_url}})  # fmt: skip
        return made, mail

    async def create(
        self, request: RequestInfo, key: str, batch: list[NewInvitation]
    ) -> list[dict[str, Any]]:
        """Invite each address (all or none): ``organizationInvitation.created`` for each."""
        if len({n.email_address for n in batch}) != len(batch):
            raise invalid("email_address", "an address is invited twice in one request", "duplicate_record")

        async def run(tx: Conn, out: Outbox) -> tuple[list[dict[str, Any]], list[Mail]]:
            o = await self.orgs.require(tx, key)
            made, mails = [], []
            for new in batch:
                one, mail = await self.make_in(tx, out, o, new)
                made.append(one)
                if mail is not None:
                    mails.append(mail)
            return made, mails

        made, mails = await self.orgs.change(request, run)
        for mail in mails:
            self.ident.postman.post(mail)
        return made

    async def get(self, c: Conn, key: str, invitation_id: str) -> InvitationRow:
        """An invitation of an organization, or 404."""
        o = await self.orgs.require(c, key)
        found = await members.get_invitation(c, invitation_id)
        if found is None or found.organization_id != o.id:
            raise not_found("organization invitation")
        return found

    async def revoke(
        self, request: RequestInfo, key: str, invitation_id: str, requesting: str | None
    ) -> dict[str, Any]:
        """Revoke a pending invitation (``organizationInvitation.revoked``); 400 unless it is pending."""

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            found = await self.get(tx, key, invitation_id)
            o = await self.orgs.require(tx, found.organization_id)
            await self._check_inviter(tx, o, requesting)
            now = now_ms()
            if found.status_at(now) != "pending":
                raise IdentityError(400, "organization_invitation_not_pending", "not pending",
                                    f"The invitation is {found.status_at(now)}; only a pending one can be revoked.")  # fmt: skip
            await members.set_invitation_status(tx, found.id, "revoked", None, now)
            revoked = await members.get_invitation(tx, found.id)
            assert revoked is not None
            made = (await self.to_json(tx, [revoked]))[0]
            out.add("organizationInvitation.revoked", made)
            return made

        return await self.orgs.change(request, run)

    async def by_token(self, token: str) -> InvitationRow:
        """The pending invitation a link's token opens; 422 ``ticket_invalid`` otherwise."""
        async with self.ident.store.db.reader() as c:
            found = await members.invitation_by_token(c, codes.token_digest(token))
        if found is None or found.status_at(now_ms()) != "pending":
            raise IdentityError(422, "ticket_invalid", "This link is no longer valid.",
                                "The invitation was accepted, revoked or has expired.")  # fmt: skip
        return found

    async def _accept(
        self, tx: Conn, out: Outbox, found: InvitationRow | None, user_id: str
    ) -> dict[str, Any]:
        now = now_ms()
        if found is None or found.status_at(now) != "pending":
            raise IdentityError(422, "ticket_invalid", "This link is no longer valid.",
                                "The invitation was accepted, revoked or has expired.")  # fmt: skip
        if found.email_address not in await members.verified_emails(tx, user_id):
            raise IdentityError(403, "organization_invitation_to_other_email", "invitation for another address",
                                f"This invitation was sent to {found.email_address}; sign in with that address "
                                "(verified) to accept it.")  # fmt: skip
        o = await self.orgs.require(tx, found.organization_id)
        role = await self.orgs.require_role(tx, found.role)
        await members.set_invitation_status(tx, found.id, "accepted", user_id, now)
        accepted = await members.get_invitation(tx, found.id)
        assert accepted is not None
        out.add("organizationInvitation.accepted", (await self.to_json(tx, [accepted]))[0])
        await self.orgs.join(tx, out, o, user_id, role, found.public_metadata, found.private_metadata)
        return {"organization_id": o.id, "redirect_url": found.redirect_url}

    async def accept(self, request: RequestInfo, token: str, user_id: str) -> dict[str, Any]:
        """The signed-in user accepts an invitation (by its link's token) sent to one of their verified addresses:
        they join with its role and metadata (``organizationInvitation.accepted``, ``organizationMembership.created``)."""

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            return await self._accept(
                tx, out, await members.invitation_by_token(tx, codes.token_digest(token)), user_id
            )

        return await self.orgs.change(request, run)

    async def accept_by_id(self, request: RequestInfo, invitation_id: str, user_id: str) -> dict[str, Any]:
        """As ``accept``, for an invitation the user sees on their organizations page."""

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            return await self._accept(tx, out, await members.get_invitation(tx, invitation_id), user_id)

        return await self.orgs.change(request, run)

    async def for_user(self, user_id: str) -> list[InvitationRow]:
        """The pending invitations sent to a user's verified addresses."""
        async with self.ident.store.db.reader() as c:
            addresses = await members.verified_emails(c, user_id)
            if not addresses:
                return []
            found, _ = await members.search_invitations(
                c, org_id=None, statuses=("pending",), email=None, query=None, emails=tuple(addresses),
                order=("created_at", True), limit=100, offset=0, at_ms=now_ms(),
            )  # fmt: skip
        return found
