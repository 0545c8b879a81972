"""One-time codes and link tokens: issuing them, checking a try, and the email that carries them.

A code is six digits for a person to type; the token is a long random string for a link. Both
are stored as SHA-256 only. A code lives ten minutes and takes five wrong tries; every wrong try
also counts against the caller's address in the sign-in throttle, so guessing across many codes
is limited too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from hookline.identity.errors import IdentityError
from hookline.identity.events import Outbox
from hookline.identity.mail import Mail
from hookline.identity.resources import now_ms
from hookline.ids import new_id
from hookline.store import identity_codes
from hookline.store.db import Conn
from hookline.store.identity_codes import CodeRow

CODE_TTL_MS = 10 * 60 * 1000
MAX_ATTEMPTS = 5
CODES_PER_HOUR = 10  # codes of one purpose one user may be sent in an hour


def token_digest(token: str) -> str:
    """The stored form of a link token."""
    return hashlib.sha256(token.encode()).hexdigest()


def code_digest(code_id: str, code: str) -> str:
    """The stored form of a typed code (bound to its row, so equal codes differ when stored)."""
    return hashlib.sha256(f"{code_id}:{code.strip()}".encode()).hexdigest()


@dataclass(frozen=True)
class Issued:
    """A new code with its secrets in the clear (only for the email that carries them)."""

    row: CodeRow
    code: str
    token: str


async def issue(
    tx: Conn, purpose: str, user_id: str, email_address_id: str | None, data: dict[str, Any] | None = None,
    ttl_ms: int = CODE_TTL_MS,
) -> Issued:  # fmt: skip
    """Issue a code (retiring the earlier unused one of the same purpose and target); 429 past the hourly limit."""
    now = now_ms()
    if await identity_codes.count_since(tx, user_id, purpose, now - 3_600_000) >= CODES_PER_HOUR:
        raise IdentityError(429, "too_many_requests", "Too many requests. Please try again in a bit.",
                            "Too many codes were sent in the last hour. Try again later.",
                            headers={"Retry-After": "3600"})  # fmt: skip
    code_id = new_id("ver")
    code = f"{secrets.randbelow(10**6):06d}"
    token = secrets.token_urlsafe(32)
    row = CodeRow(id=code_id, purpose=purpose, user_id=user_id, email_address_id=email_address_id,
                  code_sha256=code_digest(code_id, code), token_sha256=token_digest(token), attempts=0,
                  expire_at=now + ttl_ms, created_at=now, data=data or {})  # fmt: skip
    await identity_codes.insert(tx, row)
    return Issued(row, code, token)


def incorrect() -> IdentityError:
    """422 ``form_code_incorrect`` (also for an unknown address, so a try tells nothing else)."""
    return IdentityError(422, "form_code_incorrect", "Incorrect code", "The code is incorrect.",
                         {"param_name": "code"})  # fmt: skip


def expired() -> IdentityError:
    """422 ``verification_expired``: ask for a new code."""
    return IdentityError(422, "verification_expired", "This verification has expired.",
                         "The code or link has expired or was already used. Ask for a new one.",
                         {"param_name": "code"})  # fmt: skip


def failed() -> IdentityError:
    """422 ``verification_failed``: too many wrong tries at this code."""
    return IdentityError(422, "verification_failed", "Too many failed attempts.",
                         "Too many wrong codes were tried. Ask for a new code.", {"param_name": "code"})  # fmt: skip


async def check(tx: Conn, row: CodeRow | None, code: str | None) -> IdentityError | None:
    """Try a code (or, with ``code`` None, a link whose token found ``row``); consume it when right.

    Returns the refusal instead of raising it, so that the caller commits the counted wrong try.
    """
    now = now_ms()
    if row is None:
        return incorrect() if code is not None else expired()
    if row.consumed_at is not None or row.expire_at <= now:
        return expired()
    if row.attempts >= MAX_ATTEMPTS:
        return failed()
    if code is not None and not hmac.compare_digest(row.code_sha256, code_digest(row.id, code)):
        await identity_codes.record_attempt(tx, row.id)
        return failed() if row.attempts + 1 >= MAX_ATTEMPTS else incorrect()
    if not await identity_codes.consume(tx, row.id, now):
        return expired()
    return None


def email_event(
    out: Outbox, *, slug: str, to: str, email_address_id: str | None, user_id: str | None, subject: str,
    text: str, html: str, data: dict[str, Any],
) -> Mail:  # fmt: skip
    """Queue Clerk's ``email.created`` event for an email, and return the email to send after commit."""
    out.add("email.created", {
        "object": "email", "id": new_id("ema"), "slug": slug, "from_email_name": "notifications",
        "reply_to_email_name": None, "to_email_address": to, "email_address_id": email_address_id,
        "user_id": user_id, "subject": subject, "body": html, "body_plain": text, "status": "queued",
        "data": data, "delivered_by_clerk": False,
    })  # fmt: skip
    return Mail(to, subject, text, html)
