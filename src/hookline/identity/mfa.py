"""Second factors as Clerk models them: an authenticator app (TOTP) and backup codes.

Enrolment: ``start_totp`` makes a secret (sealed at rest), ``verify_totp_enrolment`` turns it on once
a code from the app matches, and hands out backup codes the first time. A TOTP code is accepted once
(the time step used is remembered) and a backup code is spent when used. Every change of a user's
factors emits ``user.updated`` with ``totp_enabled``, ``backup_code_enabled`` and ``two_factor_enabled``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import replace
from typing import Any

import pyotp

from hookline.identity import users
from hookline.identity.errors import IdentityError, not_found
from hookline.identity.events import Outbox, RequestInfo
from hookline.identity.resources import User, now_ms
from hookline.identity.service import Identity
from hookline.store import identity_mfa
from hookline.store.db import Conn
from hookline.store.identity_mfa import MfaRow

BACKUP_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
ISSUER = "hookline"


def _backup_digest(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace("-", "").replace(" ", "").encode()).hexdigest()


def new_backup_codes() -> list[str]:
    """Ten fresh backup codes of ten characters (about 50 bits each)."""
    return ["".join(secrets.choice(_ALPHABET) for _ in range(10)) for _ in range(BACKUP_CODES)]


def code_incorrect() -> IdentityError:
    """422 ``form_code_incorrect`` naming ``code``."""
    return IdentityError(422, "form_code_incorrect", "Incorrect code", "The code is incorrect.",
                         {"param_name": "code"})  # fmt: skip


def totp_json(m: MfaRow, secret: str | None = None, uri: str | None = None, codes: list[str] | None = None
              ) -> dict[str, Any]:  # fmt: skip
    """The ``totp`` object of Clerk's Frontend API (the secret and URI only right after it is made)."""
    return {"object": "totp", "id": "totp_" + hashlib.sha256(m.user_id.encode()).hexdigest()[:27],
            "secret": secret, "uri": uri, "verified": m.totp_verified, "backup_codes": codes,
            "created_at": m.updated_at, "updated_at": m.updated_at}  # fmt: skip


def backup_codes_json(m: MfaRow, codes: list[str]) -> dict[str, Any]:
    """The ``backup_code`` object, with the codes in the clear (shown once)."""
    return {"object": "backup_code", "id": "bcode_" + hashlib.sha256(m.user_id.encode()).hexdigest()[:27],
            "codes": codes, "created_at": m.updated_at, "updated_at": m.updated_at}  # fmt: skip


async def _factors(tx: Conn, user_id: str) -> MfaRow:
    return await identity_mfa.get(tx, user_id) or MfaRow(user_id=user_id)


async def _save(ident: Identity, tx: Conn, out: Outbox, before: MfaRow, after: MfaRow) -> User:
    """Store a user's factors, note when two-step verification went on or off, emit ``user.updated``."""
    at = now_ms()
    was = before.totp_enabled or before.backup_code_enabled
    now_on = after.totp_enabled or after.backup_code_enabled
    after = replace(after, updated_at=at, enabled_at=at if now_on and not was else after.enabled_at,
                    disabled_at=at if was and not now_on else after.disabled_at)  # fmt: skip
    await identity_mfa.save(tx, after)
    user = await users.get(tx, after.user_id)
    if user is None:
        raise not_found("user")
    user = replace(user, updated_at=at)
    await users.save(tx, user)
    out.add("user.updated", ident.user_json(user))
    return user


async def start_totp(ident: Identity, request: RequestInfo, user: User) -> dict[str, Any]:
    """Make a new TOTP secret for the user (not yet in force); answers it with its ``otpauth://`` URI."""
    if user.totp_enabled:
        raise IdentityError(422, "totp_already_enabled", "An authenticator app is already set up.",
                            "Remove the authenticator app before setting up another.")  # fmt: skip
    secret = pyotp.random_base32()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.primary_email or user.id, issuer_name=ISSUER)

    async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
        m = replace(await _factors(tx, user.id), totp_secret=ident.store.box.seal(secret), totp_verified=False,
                    totp_last_step=None, updated_at=now_ms())  # fmt: skip
        await identity_mfa.save(tx, m)  # not in force yet: the user is unchanged, so no event
        return totp_json(m, secret, uri)

    return await ident.change(request, run)


def _totp_step(ident: Identity, m: MfaRow, code: str) -> int | None:
    """The time step a TOTP code matches (the current one or its neighbours), or None."""
    if m.totp_secret is None or not (code.strip().isascii() and code.strip().isdigit()):
        return None
    totp = pyotp.TOTP(ident.store.box.open(m.totp_secret))
    now = time.time()
    for drift in (0, -1, 1):  # one step of clock drift either way, as authenticator apps need
        at = now + drift * totp.interval
        if hmac.compare_digest(totp.at(at), code.strip()):
            return int(at // totp.interval)
    return None


async def verify_totp_enrolment(
    ident: Identity, request: RequestInfo, user: User, code: str
) -> dict[str, Any]:
    """Turn the new TOTP on with a code from the app; the first time, backup codes come with it."""

    async def run(tx: Conn, out: Outbox) -> dict[str, Any] | IdentityError:
        before = await _factors(tx, user.id)
        if before.totp_secret is None or before.totp_verified:
            raise IdentityError(422, "totp_not_pending", "No authenticator app is waiting to be verified.",
                                "Start setting up an authenticator app first.")  # fmt: skip
        step = _totp_step(ident, before, code)
        if step is None:
            return code_incorrect()
        codes = None if before.backup_codes else new_backup_codes()
        after = replace(before, totp_verified=True, totp_last_step=step,
                        backup_codes=before.backup_codes or tuple(_backup_digest(c) for c in codes or ()))  # fmt: skip
        await _save(ident, tx, out, before, after)
        return totp_json(after, codes=codes)

    result = await ident.change(request, run)
    if isinstance(result, IdentityError):
        raise result
    return result


async def regenerate_backup_codes(ident: Identity, request: RequestInfo, user_id: str) -> dict[str, Any]:
    """Replace the user's backup codes with ten new ones (only while an authenticator app is on)."""
    codes = new_backup_codes()

    async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
        before = await _factors(tx, user_id)
        if not before.totp_enabled:
            raise IdentityError(422, "second_factor_missing", "Set up an authenticator app first.",
                                "Backup codes need two-step verification with an authenticator app.")  # fmt: skip
        after = replace(before, backup_codes=tuple(_backup_digest(c) for c in codes))
        await _save(ident, tx, out, before, after)
        return backup_codes_json(after, codes)

    return await ident.change(request, run)


async def remove(
    ident: Identity, request: RequestInfo, user_id: str, *, totp: bool, backup_codes: bool
) -> User:
    """Remove the TOTP and/or the backup codes (backup codes go with the last other factor, as in Clerk)."""

    async def run(tx: Conn, out: Outbox) -> User:
        if await users.get(tx, user_id) is None:
            raise not_found("user")
        before = await _factors(tx, user_id)
        after = before
        if totp:
            after = replace(
                after, totp_secret=None, totp_verified=False, totp_last_step=None, backup_codes=()
            )
        if backup_codes:
            after = replace(after, backup_codes=())
        return await _save(ident, tx, out, before, after)

    return await ident.change(request, run)


async def check_factor(
    ident: Identity, tx: Conn, out: Outbox, user_id: str, strategy: str, code: str
) -> bool:
    """Check a second factor inside ``tx``: a TOTP code (once per time step) or a backup code (spent;
    spending the last one emits ``user.updated``, as ``backup_code_enabled`` turns false)."""
    m = await identity_mfa.get(tx, user_id)
    if m is None:
        return False
    if strategy == "totp":
        if not m.totp_enabled:
            return False
        step = _totp_step(ident, m, code)
        return step is not None and await identity_mfa.use_totp_step(tx, user_id, step)
    if strategy == "backup_code":
        digest = _backup_digest(code)
        if not any(hmac.compare_digest(digest, d) for d in m.backup_codes):
            return False
        rest = tuple(d for d in m.backup_codes if not hmac.compare_digest(d, digest))
        if rest:
            await identity_mfa.save(tx, replace(m, backup_codes=rest, updated_at=now_ms()))
        else:
            await _save(ident, tx, out, m, replace(m, backup_codes=rest))
        return True
    raise IdentityError(422, "strategy_for_user_invalid", "is invalid", "strategy must be totp or backup_code.",
                        {"param_name": "strategy"})  # fmt: skip
