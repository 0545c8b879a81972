"""Email verification and password reset: codes sent as ``email.created`` events (and by SMTP when set).

Verifying proves a person reads the address: its ``verification.status`` becomes ``verified`` and
``user.updated`` is emitted. A password reset proves the same, so it also verifies the address; it
sets the new password, ends every session of the user (``session.revoked``) and clears a lockout
left by wrong passwords (not a lock set by an administrator).
"""

from __future__ import annotations

from dataclasses import replace
from html import escape
from urllib.parse import quote

from hookline.identity import codes, emails, field_limits, passwords, users
from hookline.identity.errors import IdentityError, not_found
from hookline.identity.events import Outbox, RequestInfo
from hookline.identity.mail import Mail
from hookline.identity.resources import EmailAddress, User, now_ms
from hookline.identity.service import Identity
from hookline.identity.throttle import Attempt
from hookline.store import identity_codes
from hookline.store.db import Conn
from hookline.store.identity_codes import CodeRow

VERIFY = emails.VERIFY_PURPOSE
RESET = "reset_password"


def _mail_for(ident: Identity, out: Outbox, purpose: str, email: EmailAddress, issued: codes.Issued) -> Mail:
    base = ident.base_url
    if purpose == VERIFY:
        link = f"{base}/verify-email?token={quote(issued.token)}"
        slug, subject = "verification_code", "Your verification code"
        lead = "Use this code to verify your email address"
    else:
        link = f"{base}/reset-password?token={quote(issued.token)}"
        slug, subject = "reset_password_code", "Reset your password"
        lead = "Use this code to reset your password"
    text = f"{lead}: {issued.code}\n\nOr open this link: {link}\n\nThe code expires in 10 minutes."
    html = (f"<p>{escape(lead)}:</p><p><strong>{issued.code}</strong></p>"
            f'<p>Or open <a href="{escape(link)}">this link</a>.</p><p>The code expires in 10 minutes.</p>')  # fmt: skip
    data = {"otp_code": issued.code, "action_url": link, "requested_at": issued.row.created_at,
            "expires_in_minutes": 10, "app": {"name": "hookline", "url": base}}  # fmt: skip
    return codes.email_event(out, slug=slug, to=email.email_address, email_address_id=email.id,
                             user_id=email.user_id, subject=subject, text=text, html=html, data=data)  # fmt: skip


def _attempt(request: RequestInfo, account: str) -> Attempt:
    return Attempt(f"code:{emails.normalize(account)}", request.client_ip)


async def prepare_email_verification(
    ident: Identity, request: RequestInfo, email_id: str
) -> tuple[EmailAddress, CodeRow]:
    """Send a code (and link) that verifies an email address; 422 if it is verified already."""

    async def run(tx: Conn, out: Outbox) -> tuple[EmailAddress, CodeRow, Mail]:
        email = await emails.get(tx, email_id)
        if email is None:
            raise not_found("email address")
        if email.verification_status == "verified":
            raise IdentityError(422, "verification_already_verified", "This email address is already verified.",
                                "This email address is already verified.", {"param_name": "email_address_id"})  # fmt: skip
        issued = await codes.issue(tx, VERIFY, email.user_id, email.id)
        mail = _mail_for(ident, out, VERIFY, email, issued)
        return await emails.get(tx, email_id) or email, issued.row, mail

    email, row, mail = await ident.change(request, run)
    ident.postman.post(mail)
    return email, row


async def _mark_verified(ident: Identity, tx: Conn, out: Outbox, user: User, email_id: str) -> User:
    at = now_ms()
    await emails.set_verification(tx, email_id, "verified", at)
    fresh = await users.get(tx, user.id)
    assert fresh is not None
    updated = replace(fresh, updated_at=at)
    await users.save(tx, updated)
    out.add("user.updated", ident.user_json(updated))
    email = await emails.get(tx, email_id)
    if email is not None:
        await ident.email_verified(tx, out, user.id, email.email_address)
    return updated


async def attempt_email_verification(
    ident: Identity, request: RequestInfo, email_id: str | None = None, code: str | None = None,
    token: str | None = None, verification_id: str | None = None,
) -> EmailAddress:  # fmt: skip
    """Verify an email address with the code sent to it (the newest, or the one ``verification_id`` names),
    or with the token of its link; emits ``user.updated``."""
    if token is None and (email_id is None or code is None):
        raise IdentityError(422, "form_param_missing", "code must be included.", "code must be included.",
                            {"param_name": "code"})  # fmt: skip
    attempt = _attempt(request, email_id or "link")
    await ident.throttle.check(attempt)

    async def run(tx: Conn, out: Outbox) -> EmailAddress | IdentityError:
        if token is not None:
            row = await identity_codes.by_token(tx, codes.token_digest(token))
            if row is not None and row.purpose != VERIFY:
                row = None
        else:
            email = await emails.get(tx, email_id or "")
            if email is None:
                raise not_found("email address")
            if verification_id is not None:
                row = await identity_codes.get(tx, verification_id)
                if row is None or row.purpose != VERIFY or row.email_address_id != email.id:
                    raise not_found("verification")
            else:
                row = await identity_codes.latest(tx, email.user_id, VERIFY, email.id)
        refused = await codes.check(tx, row, code if token is None else None)
        if refused is not None:
            return refused
        assert row is not None and row.email_address_id is not None
        user = await users.get(tx, row.user_id)
        if user is None:
            raise not_found("user")
        await _mark_verified(ident, tx, out, user, row.email_address_id)
        verified = await emails.get(tx, row.email_address_id)
        if verified is None:
            raise not_found("email address")
        return verified

    result = await ident.change(request, run)
    if isinstance(result, IdentityError):
        if result.code == "form_code_incorrect":
            await ident.throttle.failed(attempt)
        raise result
    return result


async def prepare_password_reset(ident: Identity, request: RequestInfo, address: str) -> None:
    """Send a reset code to the address if an account has it; the same answer whether or not one does."""
    address = emails.normalize(address)
    field_limits.check_email(address)

    async def run(tx: Conn, out: Outbox) -> Mail | None:
        email = await emails.find(tx, address)
        if email is None:
            return None
        user = await users.get(tx, email.user_id)
        if user is None or user.banned:
            return None
        try:
            issued = await codes.issue(tx, RESET, user.id, email.id)
        except IdentityError:
            return None  # past the hourly limit: answered like any other address, so it tells nothing
        return _mail_for(ident, out, RESET, email, issued)

    mail = await ident.change(request, run)
    if mail is not None:
        ident.postman.post(mail)


async def reset_password(
    ident: Identity, request: RequestInfo, password: str, *, email_address: str | None = None,
    code: str | None = None, token: str | None = None,
) -> User:  # fmt: skip
    """Set a new password with a reset code (and the address it was sent to) or the token of its link.

    Verifies that address, ends every session of the user and clears a lockout by wrong passwords.
    """
    if token is None and (email_address is None or code is None):
        raise IdentityError(422, "form_param_missing", "code must be included.",
                            "Send email_address and code, or the token of the link.", {"param_name": "code"})  # fmt: skip
    attempt = _attempt(request, email_address or "link")
    await ident.throttle.check(attempt)
    passwords.check_password(password, user_inputs=[email_address] if email_address else [])
    password_hash = await ident.hashing.hash(password)

    async def run(tx: Conn, out: Outbox) -> User | IdentityError:
        if token is not None:
            row = await identity_codes.by_token(tx, codes.token_digest(token))
            if row is not None and row.purpose != RESET:
                row = None
        else:
            email = await emails.find(tx, email_address or "")
            row = await identity_codes.latest(tx, email.user_id, RESET, email.id) if email else None
        refused = await codes.check(tx, row, code if token is None else None)
        if refused is not None:
            return refused
        assert row is not None
        user = await users.get(tx, row.user_id)
        if user is None:
            return codes.expired()
        at = now_ms()
        proven = await emails.get(tx, row.email_address_id) if row.email_address_id else None
        if proven is not None:
            await emails.set_verification(tx, proven.id, "verified", at)
        fresh = await users.get(tx, user.id)
        assert fresh is not None
        admin_lock = fresh.locked and fresh.lockout_until is None
        updated = replace(fresh, password_hash=password_hash, password_last_updated_at=at, failed_attempts=0,
                          lockout_until=None, locked=admin_lock, password_compromised_at=None, updated_at=at)  # fmt: skip
        await users.save(tx, updated)
        if proven is not None and proven.verification_status != "verified":
            await ident.email_verified(tx, out, user.id, proven.email_address)
        await ident.revoke_sessions(tx, out, updated, at)
        out.add("user.updated", ident.user_json(updated))
        return updated

    result = await ident.change(request, run)
    if isinstance(result, IdentityError):
        if result.code == "form_code_incorrect":
            await ident.throttle.failed(attempt)
        raise result
    return result
