"""The second step of a sign-in: a right password for a user with a second factor opens no session
yet; it opens a pending sign-in that a TOTP or backup code completes.

The pending sign-in is a random id (stored as SHA-256) that lives ten minutes and takes five wrong
codes; wrong codes also count in the sign-in throttle of the caller's address.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from hookline.identity import codes, mfa, users
from hookline.identity.errors import IdentityError, SecondFactorRequired, not_found
from hookline.identity.events import Outbox, RequestInfo
from hookline.identity.resources import now_ms
from hookline.identity.service import Identity, SignedIn
from hookline.identity.throttle import Attempt
from hookline.ids import new_id
from hookline.store import identity_codes
from hookline.store.db import Conn
from hookline.store.identity_codes import CodeRow

PURPOSE = "second_factor"
STRATEGIES = ("totp", "backup_code")


@dataclass(frozen=True)
class PendingSignIn:
    """A sign-in waiting for its second factor; ``id`` is the secret the client sends back with the code."""

    id: str
    user_id: str

    def to_api(self) -> dict[str, Any]:
        """The ``sign_in_attempt`` answer, as Clerk's sign-in object reads at this step."""
        return {"object": "sign_in_attempt", "id": self.id, "status": "needs_second_factor",
                "supported_second_factors": [{"strategy": s} for s in STRATEGIES]}  # fmt: skip


async def hold(ident: Identity, request: RequestInfo, pending: SecondFactorRequired) -> PendingSignIn:
    """Record a sign-in whose password was right and whose second factor is awaited (retiring the user's
    earlier pending one)."""
    token = "sia_" + secrets.token_urlsafe(32)

    async def run(tx: Conn, out: Outbox) -> None:
        now = now_ms()
        await identity_codes.insert(tx, CodeRow(
            id=new_id("sia"), purpose=PURPOSE, user_id=pending.user_id, email_address_id=None,
            code_sha256="", token_sha256=codes.token_digest(token), attempts=0, expire_at=now + codes.CODE_TTL_MS,
            created_at=now, data={"azp": pending.azp},
        ))  # fmt: skip

    await ident.change(request, run)
    return PendingSignIn(token, pending.user_id)


def _expired() -> IdentityError:
    return IdentityError(422, "sign_in_expired", "This sign-in has expired.",
                         "The sign-in expired or was already used. Sign in again.", {"param_name": "sign_in_id"})  # fmt: skip


async def attempt(
    ident: Identity, request: RequestInfo, sign_in_id: str, strategy: str, code: str
) -> SignedIn:
    """Complete a pending sign-in with a TOTP or backup code; opens the session (``session.created``)."""
    if strategy not in STRATEGIES:
        raise IdentityError(422, "strategy_for_user_invalid", "is invalid", "strategy must be totp or backup_code.",
                            {"param_name": "strategy"})  # fmt: skip
    async with ident.store.db.reader() as c:
        found = await identity_codes.by_token(c, codes.token_digest(sign_in_id))
    if found is None or found.purpose != PURPOSE:
        raise _expired()
    throttle_key = Attempt(f"second_factor:{found.user_id}", request.client_ip)
    await ident.throttle.check(throttle_key)

    async def run(tx: Conn, out: Outbox) -> CodeRow | IdentityError:
        row = await identity_codes.get(tx, found.id)
        if row is None or row.consumed_at is not None or row.expire_at <= now_ms():
            return _expired()
        if row.attempts >= codes.MAX_ATTEMPTS:
            return codes.failed()
        if not await mfa.check_factor(ident, tx, out, row.user_id, strategy, code):
            await identity_codes.record_attempt(tx, row.id)
            return codes.failed() if row.attempts + 1 >= codes.MAX_ATTEMPTS else mfa.code_incorrect()
        if not await identity_codes.consume(tx, row.id, now_ms()):
            return _expired()
        return row

    result = await ident.change(request, run)
    if isinstance(result, IdentityError):
        if result.code == "form_code_incorrect":
            await ident.throttle.failed(throttle_key)
        raise result
    return await ident.complete_sign_in(request, result.user_id, result.data.get("azp"))


async def verify_code(ident: Identity, request: RequestInfo, user_id: str, code: str) -> str:
    """The Backend API's ``verify_totp``: ``totp`` or ``backup_code`` (spent) for a right code, else 422."""
    throttle_key = Attempt(f"second_factor:{user_id}", request.client_ip)
    await ident.throttle.check(throttle_key)

    async def run(tx: Conn, out: Outbox) -> str | None:
        if not await _user_exists(tx, user_id):
            raise not_found("user")
        for strategy in STRATEGIES:
            if await mfa.check_factor(ident, tx, out, user_id, strategy, code):
                return strategy
        return None

    kind = await ident.change(request, run)
    if kind is None:
        await ident.throttle.failed(throttle_key)
        raise mfa.code_incorrect()
    return kind


async def _user_exists(tx: Conn, user_id: str) -> bool:
    return await users.exists(tx, user_id)
