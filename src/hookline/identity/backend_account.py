"""Clerk's Backend API for email verification (``/v1/email_addresses/{id}/…_verification``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from hookline.identity import verification
from hookline.identity.errors import IdentityError
from hookline.identity.http import json_body, request_info, require_secret_key, service, text
from hookline.store import identity_codes
from hookline.store.identity_codes import CodeRow

router = APIRouter(prefix="/v1", dependencies=[Depends(require_secret_key)], tags=["identity"])


def _as_400(exc: IdentityError) -> IdentityError:
    """The Backend API answers a refused code with 400 (its SDK reads 400, not 422, as ``ClerkErrors``)."""
    if exc.status == 422:
        return IdentityError(400, exc.code, exc.message, exc.long_message, exc.meta, exc.headers)
    return exc


def verification_json(row: CodeRow, status: str) -> dict[str, Any]:
    """A ``verification`` object as the Backend API returns it."""
    return {"object": "verification", "id": row.id, "status": status, "strategy": "email_code",
            "attempts": row.attempts, "expire_at": row.expire_at, "channel": None}  # fmt: skip


@router.post("/email_addresses/{email_address_id}/prepare_verification")
async def prepare_verification(request: Request, email_address_id: str) -> dict[str, Any]:
    """Send a one-time code to the address (``email.created``); answers the verification to attempt."""
    try:
        _, row = await verification.prepare_email_verification(
            service(request), request_info(request), email_address_id
        )
    except IdentityError as exc:
        raise _as_400(exc) from None
    return verification_json(row, "unverified")


@router.post("/email_addresses/{email_address_id}/attempt_verification")
async def attempt_verification(request: Request, email_address_id: str) -> dict[str, Any]:
    """Check the code of a verification; the address becomes verified (``user.updated``), else 422."""
    body = await json_body(request)
    ident = service(request)
    verification_id = text(body, "verification_id", required=True) or ""
    try:
        await verification.attempt_email_verification(
            ident, request_info(request), email_address_id, text(body, "code", required=True),
            verification_id=verification_id,
        )  # fmt: skip
    except IdentityError as exc:
        raise _as_400(exc) from None
    async with ident.store.db.reader() as c:
        row = await identity_codes.get(c, verification_id)
    assert row is not None
    return verification_json(row, "verified")
