"""End-user JSON endpoints for email verification and password reset, under ``/identity``.

A signed-in user asks for a code for one of their addresses and sends it back; anyone may ask for
a password-reset code for an address (the answer is the same whether an account has it or not)
and set a new password with that code, or with the token of the link in the email.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from hookline.identity import devices, verification
from hookline.identity.errors import invalid
from hookline.identity.http import json_body, refuse_cross_site, request_info, service, signed_in, text
from hookline.identity.resources import User, email_api

router = APIRouter(prefix="/identity", tags=["identity end users"])


def _own_email(user: User, body: dict[str, Any]) -> str:
    """The id of the address a request names (``email_address_id``), or the primary one; 422 if not the user's."""
    email_id = text(body, "email_address_id") or user.primary_email_address_id
    if email_id is None or email_id not in {e.id for e in user.email_addresses}:
        raise invalid("email_address_id", "email_address_id must be one of your email addresses",
                      "form_param_value_invalid")  # fmt: skip
    return email_id


@router.post("/me/email/prepare_verification")
async def prepare_verification(request: Request) -> dict[str, Any]:
    """Send a verification code to the signed-in user's address (``email.created``)."""
    _, user = await signed_in(request)
    body = await json_body(request)
    email, _ = await verification.prepare_email_verification(
        service(request), request_info(request), _own_email(user, body)
    )
    return email_api(email)


@router.post("/me/email/attempt_verification")
async def attempt_verification(request: Request) -> dict[str, Any]:
    """Verify the address with the code sent to it (``user.updated``)."""
    _, user = await signed_in(request)
    body = await json_body(request)
    email = await verification.attempt_email_verification(
        service(request), request_info(request), _own_email(user, body), text(body, "code", required=True)
    )
    return email_api(email)


@router.get("/me/sessions")
async def my_sessions(request: Request) -> list[dict[str, Any]]:
    """The signed-in user's active sessions (devices), most recently active first; ``current`` marks this one."""
    session, user = await signed_in(request)
    ident = service(request)
    return [
        {**ident.session_json(s), "current": s.id == session.id}
        for s in await devices.active_sessions(ident, user)
    ]


@router.post("/me/sessions/{session_id}/revoke")
async def revoke_my_session(request: Request, session_id: str) -> dict[str, Any]:
    """End one of the user's sessions, this one or another device's (``session.revoked``)."""
    _, user = await signed_in(request)
    ident = service(request)
    return ident.session_json(await devices.end_own_session(ident, request_info(request), user, session_id))


@router.post("/verify_email")
async def verify_email_link(request: Request) -> dict[str, Any]:
    """Verify an address with the token of the link in the email (no sign-in needed: the token proves it)."""
    body = await json_body(request)
    email = await verification.attempt_email_verification(
        service(request), request_info(request), token=text(body, "token", required=True)
    )
    return email_api(email)


@router.post("/password_reset")
async def prepare_password_reset(request: Request) -> dict[str, Any]:
    """Send a reset code to an address if an account has it; the answer never says whether one does."""
    refuse_cross_site(request)
    body = await json_body(request)
    address = text(body, "email_address", required=True) or ""
    await verification.prepare_password_reset(service(request), request_info(request), address)
    return {"object": "password_reset", "status": "needs_code", "email_address": address}


@router.post("/password_reset/attempt")
async def reset_password(request: Request) -> dict[str, Any]:
    """Set a new password with ``email_address`` and ``code``, or ``token``; every session ends."""
    refuse_cross_site(request)
    body = await json_body(request)
    user = await verification.reset_password(
        service(request), request_info(request), text(body, "password", required=True) or "",
        email_address=text(body, "email_address"), code=text(body, "code"), token=text(body, "token"),
    )  # fmt: skip
    return {"object": "password_reset", "status": "complete", "user_id": user.id}
