"""Invitations (Backend API ``invitations``) and sign-in tokens (``sign_in_tokens``): links that sign a
person up or in without typing an identifier.

An invitation is sent (``notify``, the default) as an ``email.created`` event with slug ``invitation``
and by SMTP when configured; its link opens ``/accept-invitation?__clerk_ticket=…``, where the person chooses a
password. The new user's address is verified, gets the invitation's ``public_metadata``, and the
invitation turns ``accepted``. A sign-in token's link (``/sign-in/ticket?__clerk_ticket=…``) signs its user in
once; a user with a second factor is still asked for it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import quote, urlsplit

from hookline.identity import codes, emails, field_limits, passwords, restrictions, users
from hookline.identity.errors import IdentityError, SecondFactorRequired, invalid, not_found
from hookline.identity.events import Outbox, RequestInfo
from hookline.identity.mail import Mail
from hookline.identity.resources import now_ms
from hookline.identity.service import Identity, SignedIn
from hookline.ids import new_id
from hookline.store import identity_links, identity_lists
from hookline.store.db import Conn
from hookline.store.identity_links import InvitationRow, SignInTokenRow

DAY_MS = 86_400_000


def invitation_json(i: InvitationRow, url: str | None = None, at_ms: int | None = None) -> dict[str, Any]:
    """An ``invitation`` object; ``url`` only when it was just made (the token is not kept)."""
    status = i.status
    if status == "pending" and i.expires_at is not None and i.expires_at <= (at_ms or now_ms()):
        status = "expired"
    return {"object": "invitation", "id": i.id, "email_address": i.email_address,
            "public_metadata": i.public_metadata, "revoked": i.status == "revoked", "status": status, "url": url,
            "expires_at": i.expires_at, "created_at": i.created_at, "updated_at": i.updated_at}  # fmt: skip


def sign_in_token_json(t: SignInTokenRow, token: str | None = None, url: str | None = None) -> dict[str, Any]:
    """A ``sign_in_token`` object; ``token`` and ``url`` only when it was just made."""
    return {"object": "sign_in_token", "id": t.id, "user_id": t.user_id, "token": token, "url": url,
            "status": t.status, "created_at": t.created_at, "updated_at": t.updated_at}  # fmt: skip


async def allowed_redirect(c: Conn, url: str | None) -> str | None:
    """``url`` if it starts with a registered redirect URL (same scheme, host and port), else None."""
    if not url:
        return None
    target = urlsplit(url)
    if target.scheme not in ("http", "https") or not target.netloc:
        return None
    page, _ = await identity_lists.redirect_urls(c, 1000, 0)
    for r in page:
        base = urlsplit(r.url)
        same_origin = (base.scheme, base.netloc.lower()) == (target.scheme, target.netloc.lower())
        if same_origin and target.path.startswith(base.path or "/"):
            return url
    return None


@dataclass(frozen=True)
class NewInvitation:
    """What ``create_invitation`` takes (the Backend API's body, checked)."""

    email_address: str
    public_metadata: dict[str, Any]
    redirect_url: str | None
    notify: bool
    ignore_existing: bool
    expires_in_days: int | None


async def create_invitation(ident: Identity, request: RequestInfo, new: NewInvitation) -> dict[str, Any]:
    """Invite an address; 422 if a user has it, 400 ``duplicate_record`` if it is invited already."""
    address = emails.normalize(new.email_address)
    field_limits.check_email(address)
    if not emails.looks_valid(address):
        raise invalid("email_address", f"{new.email_address!r} is not a valid email address")
    field_limits.check_fields({"public_metadata": new.public_metadata})
    token = "inv_" + secrets.token_urlsafe(32)
    url = f"{ident.base_url}/accept-invitation?__clerk_ticket={quote(token)}"

    async def run(tx: Conn, out: Outbox) -> tuple[dict[str, Any], Mail | None]:
        now = now_ms()
        if await emails.find(tx, address) is not None:
            raise IdentityError(422, "form_identifier_exists", "That email address is taken.",
                                "A user with this email address exists already.", {"param_name": "email_address"})  # fmt: skip
        if not new.ignore_existing and await identity_links.pending_for(tx, address, now):
            raise IdentityError(400, "duplicate_record", "duplicate invitation",
                                f"There is already a pending invitation for {address}.",
                                {"param_name": "email_address"})  # fmt: skip
        row = InvitationRow(new_id("inv"), address, new.redirect_url, "pending", codes.token_digest(token),
                            now + new.expires_in_days * DAY_MS if new.expires_in_days else now + 30 * DAY_MS,
                            now, now, new.public_metadata)  # fmt: skip
        await identity_links.add_invitation(tx, row)
        mail = None
        if new.notify:
            text = f"You have been invited to create an account.\n\nAccept the invitation: {url}"
            html = f'<p>You have been invited to create an account.</p><p><a href="{escape(url)}">Accept the invitation</a></p>'
            mail = codes.email_event(out, slug="invitation", to=address, email_address_id=None, user_id=None,
                                     subject="You are invited", text=text, html=html,
                                     data={"action_url": url, "inviter_name": None,
                                           "app": {"name": "hookline", "url": ident.base_url}})  # fmt: skip
        return invitation_json(row, url, now), mail

    made, mail = await ident.change(request, run)
    if mail is not None:
        ident.postman.post(mail)
    return made


async def revoke_invitation(ident: Identity, request: RequestInfo, invitation_id: str) -> dict[str, Any]:
    """Revoke a pending invitation; 400 if it was accepted or revoked already."""

    async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
        found = await identity_links.invitation(tx, invitation_id)
        if found is None or not found.id.startswith("inv_") or found.id != invitation_id:
            raise not_found("invitation")
        now = now_ms()
        if not await identity_links.set_invitation_status(tx, found.id, "revoked", now):
            raise IdentityError(400, "invitation_not_pending", "Only pending invitations can be revoked.",
                                f"The invitation is {found.status}.")  # fmt: skip
        revoked = await identity_links.invitation(tx, found.id)
        assert revoked is not None
        return invitation_json(revoked, at_ms=now)

    return await ident.change(request, run)


def _ticket_refused() -> IdentityError:
    return IdentityError(422, "ticket_invalid", "This link is no longer valid.",
                         "The link expired, was revoked or was used already.", {"param_name": "ticket"})  # fmt: skip


async def invitation_for(ident: Identity, token: str) -> InvitationRow:
    """The pending invitation a link's token names; 422 ``ticket_invalid`` otherwise."""
    async with ident.store.db.reader() as c:
        found = await identity_links.invitation(c, codes.token_digest(token))
    if found is None or found.status != "pending" or (found.expires_at or 2**62) <= now_ms():
        raise _ticket_refused()
    return found


async def accept_invitation(
    ident: Identity, request: RequestInfo, token: str, password: str, first_name: str | None = None,
    last_name: str | None = None,
) -> tuple[SignedIn, str | None]:  # fmt: skip
    """Sign up with an invitation: a verified address with the invitation's metadata, then signed in.

    Answers the session and the invitation's redirect URL when it is a registered one.
    """
    invitation = await invitation_for(ident, token)
    passwords.check_password(password, user_inputs=[invitation.email_address])
    async with ident.store.db.reader() as c:
        await restrictions.check_sign_up(c, invitation.email_address, invited=True)
        redirect = await allowed_redirect(c, invitation.redirect_url)
    await ident.throttle.sign_up(request.client_ip)

    async def claim(tx: Conn, out: Outbox) -> None:
        if not await identity_links.set_invitation_status(tx, invitation.id, "accepted", now_ms()):
            raise _ticket_refused()

    # the invitation is claimed first, so that two uses of one link cannot both make a user
    await ident.change(request, claim)
    try:
        user = await ident.create_user(
            request, email_addresses=[invitation.email_address], password=password, skip_password_checks=True,
            fields={"first_name": first_name or None, "last_name": last_name or None,
                    "public_metadata": invitation.public_metadata},
        )  # fmt: skip
    except IdentityError:
        async with (
            ident.store.db.transaction() as tx
        ):  # the address was taken meanwhile: the link stays usable
            await identity_links.set_invitation_status(tx, invitation.id, "pending", now_ms(), was="accepted")
        raise
    return await ident.create_session(request, user.id), redirect


async def create_sign_in_token(
    ident: Identity, request: RequestInfo, user_id: str, expires_in_seconds: int
) -> dict[str, Any]:
    """A one-time sign-in link for a user, valid ``expires_in_seconds``."""
    token = "sit_" + secrets.token_urlsafe(32)
    url = f"{ident.base_url}/sign-in/ticket?__clerk_ticket={quote(token)}"

    async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
        if not await users.exists(tx, user_id):
            raise not_found("user")
        now = now_ms()
        row = SignInTokenRow(new_id("sign"), user_id, codes.token_digest(token), "pending",
                             now + expires_in_seconds * 1000, now, now)  # fmt: skip
        await identity_links.add_sign_in_token(tx, row)
        return sign_in_token_json(row, token, url)

    return await ident.change(request, run)


async def revoke_sign_in_token(ident: Identity, request: RequestInfo, link_id: str) -> dict[str, Any]:
    """Revoke a pending sign-in token; 400 if it was used or revoked."""

    async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
        found = await identity_links.sign_in_token(tx, link_id)
        if found is None or found.id != link_id:
            raise not_found("sign in token")
        if not await identity_links.set_sign_in_token_status(tx, found.id, "revoked", now_ms()):
            raise IdentityError(400, "sign_in_token_not_pending", "Only pending sign-in tokens can be revoked.",
                                f"The sign-in token is {found.status}.")  # fmt: skip
        done = await identity_links.sign_in_token(tx, found.id)
        assert done is not None
        return sign_in_token_json(done)

    return await ident.change(request, run)


async def use_sign_in_token(ident: Identity, request: RequestInfo, token: str) -> SignedIn:
    """Sign in with a sign-in token's link (once); ``SecondFactorRequired`` for a user with a second factor."""

    async def run(tx: Conn, out: Outbox) -> str:
        found = await identity_links.sign_in_token(tx, codes.token_digest(token))
        if found is None or found.expire_at <= now_ms():
            raise _ticket_refused()
        if not await identity_links.set_sign_in_token_status(tx, found.id, "accepted", now_ms()):
            raise _ticket_refused()
        return found.user_id

    user_id = await ident.change(request, run)
    user = await ident.get_user(user_id)
    if user.two_factor_enabled:
        raise SecondFactorRequired(user.id, None)
    return await ident.complete_sign_in(request, user.id)
