"""Second factors over JSON: the signed-in user's TOTP and backup codes (``/identity/me/…``), the second
step of a sign-in, and Clerk's Backend API operations on a user's factors (``/v1/users/{id}/…``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from hookline.identity import account, mfa, second_factor
from hookline.identity.frontend_api import signed_in_response
from hookline.identity.http import (
    json_body,
    refuse_cross_site,
    request_info,
    require_secret_key,
    service,
    signed_in,
    text,
)

router = APIRouter(prefix="/identity", tags=["identity end users"])
backend = APIRouter(prefix="/v1", dependencies=[Depends(require_secret_key)], tags=["identity"])


@router.post("/me/totp")
async def create_totp(request: Request) -> dict[str, Any]:
    """A new TOTP secret and its ``otpauth://`` URI, in force once a code from the app is sent back."""
    _, user = await signed_in(request)
    return await mfa.start_totp(service(request), request_info(request), user)


@router.post("/me/totp/attempt_verification")
async def verify_totp(request: Request) -> dict[str, Any]:
    """Turn the TOTP on with a code from the app (``user.updated``); the first time, backup codes come with it."""
    _, user = await signed_in(request)
    body = await json_body(request)
    code = text(body, "code", required=True) or ""
    return await mfa.verify_totp_enrolment(service(request), request_info(request), user, code)


@router.delete("/me/totp")
async def delete_totp(request: Request) -> dict[str, Any]:
    """Remove the authenticator app (and so the backup codes), given ``current_password`` (``user.updated``)."""
    ident = service(request)
    session, user = await signed_in(request)
    body = await json_body(request)
    await account.confirm_identity(
        ident, request_info(request), session, user, text(body, "current_password")
    )
    await mfa.remove(ident, request_info(request), user.id, totp=True, backup_codes=True)
    return {"object": "totp", "id": user.id, "deleted": True}


@router.post("/me/backup_codes")
async def create_backup_codes(request: Request) -> dict[str, Any]:
    """Ten new backup codes replacing the old ones, given ``current_password``; shown this once."""
    ident = service(request)
    session, user = await signed_in(request)
    body = await json_body(request)
    await account.confirm_identity(
        ident, request_info(request), session, user, text(body, "current_password")
    )
    return await mfa.regenerate_backup_codes(ident, request_info(request), user.id)


@router.post("/sign_in/attempt_second_factor")
async def attempt_second_factor(request: Request) -> JSONResponse:
    """Complete a ``needs_second_factor`` sign-in with ``strategy`` ``totp`` or ``backup_code`` and ``code``."""
    refuse_cross_site(request)
    body = await json_body(request)
    signed = await second_factor.attempt(
        service(request), request_info(request), text(body, "sign_in_id", required=True) or "",
        text(body, "strategy", required=True) or "", text(body, "code", required=True) or "",
    )  # fmt: skip
    return signed_in_response(request, signed)


@backend.post("/users/{user_id}/verify_totp")
async def backend_verify_totp(request: Request, user_id: str) -> dict[str, Any]:
    """Check a TOTP or backup code of a user (a backup code is spent): ``{"verified", "code_type"}``."""
    body = await json_body(request)
    kind = await second_factor.verify_code(
        service(request), request_info(request), user_id, text(body, "code", required=True) or ""
    )
    return {"verified": True, "code_type": kind}


@backend.delete("/users/{user_id}/mfa")
async def backend_disable_mfa(request: Request, user_id: str) -> dict[str, Any]:
    """Remove every second factor of a user (``user.updated``)."""
    await mfa.remove(service(request), request_info(request), user_id, totp=True, backup_codes=True)
    return {"user_id": user_id}


@backend.delete("/users/{user_id}/totp")
async def backend_delete_totp(request: Request, user_id: str) -> dict[str, Any]:
    """Remove a user's authenticator app; backup codes go with it as the last other factor (``user.updated``)."""
    await mfa.remove(service(request), request_info(request), user_id, totp=True, backup_codes=False)
    return {"user_id": user_id}


@backend.delete("/users/{user_id}/backup_code")
async def backend_delete_backup_codes(request: Request, user_id: str) -> dict[str, Any]:
    """Remove a user's backup codes (``user.updated``)."""
    await mfa.remove(service(request), request_info(request), user_id, totp=False, backup_codes=True)
    return {"user_id": user_id}
