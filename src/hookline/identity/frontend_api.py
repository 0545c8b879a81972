"""End-user JSON endpoints under ``/identity``: sign up, sign in, sign out, profile, email, account deletion."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from hookline.identity import account, second_factor
from hookline.identity.errors import IdentityError, SecondFactorRequired
from hookline.identity.http import (
    CLIENT_COOKIE,
    SESSION_COOKIE,
    json_body,
    refuse_cross_site,
    request_info,
    service,
    signed_in,
    text,
)
from hookline.identity.service import SignedIn

router = APIRouter(prefix="/identity", tags=["identity end users"])


def signed_in_response(request: Request, signed: SignedIn) -> JSONResponse:
    """The sign-in answer: user, session and token in the body; the client credential in an HttpOnly cookie."""
    ident = service(request)
    resp = JSONResponse({
        "user": ident.user_json(signed.user),
        "session": ident.session_json(signed.session),
        "token": signed.token,
        "client_token": signed.client_token,
    })  # fmt: skip
    set_cookies(request, resp, signed)
    return resp


def set_cookies(request: Request, resp: Any, signed: SignedIn) -> None:
    """Set the client cookie (HttpOnly, the long-lived credential) and the session-token cookie."""
    secure = request.url.scheme == "https"
    ident = service(request)
    resp.set_cookie(CLIENT_COOKIE, signed.client_token, max_age=ident.policy.session_seconds, httponly=True,
                    samesite="lax", secure=secure, path="/")  # fmt: skip
    resp.set_cookie(SESSION_COOKIE, signed.token, max_age=60, samesite="lax", secure=secure, path="/")


def clear_cookies(resp: Any) -> None:
    """Forget the sign-in on this client."""
    resp.delete_cookie(CLIENT_COOKIE, path="/")
    resp.delete_cookie(SESSION_COOKIE, path="/")


def _azp(request: Request) -> str | None:
    """The ``azp`` of tokens issued to this request: its Origin, when that is an authorized party."""
    origin = (request.headers.get("origin") or "").lower()
    return origin if origin in service(request).authorized_parties else None


@router.post("/sign_up")
async def sign_up(request: Request) -> JSONResponse:
    """Create an account with an email address and password, and sign in (``user.created``, ``session.created``)."""
    refuse_cross_site(request)
    body = await json_body(request)
    signed = await service(request).sign_up(
        request_info(request), text(body, "email_address", required=True) or "",
        text(body, "password", required=True) or "", text(body, "first_name"), text(body, "last_name"),
    )  # fmt: skip
    return signed_in_response(request, signed)


@router.post("/sign_in")
async def sign_in(request: Request) -> JSONResponse:
    """Sign in with an email address and password (``session.created``); for a user with a second
    factor, a ``sign_in_attempt`` that ``/identity/sign_in/attempt_second_factor`` completes."""
    refuse_cross_site(request)
    body = await json_body(request)
    identifier = text(body, "email_address") or text(body, "identifier", required=True) or ""
    try:
        signed = await service(request).sign_in(
            request_info(request),
            identifier,
            text(body, "password", required=True) or "",
            _azp(request),
        )
    except SecondFactorRequired as pending:  # answered with the sign-in to complete (identity/mfa_api.py)
        return JSONResponse(
            (await second_factor.hold(service(request), request_info(request), pending)).to_api()
        )
    return signed_in_response(request, signed)


@router.post("/sign_out")
async def sign_out(request: Request) -> JSONResponse:
    """End the current session (``session.ended``)."""
    ident = service(request)
    session, _ = await signed_in(request)
    ended = await ident.end_session(request_info(request), session.id, "ended")
    resp = JSONResponse({"session": ident.session_json(ended)})
    clear_cookies(resp)
    return resp


@router.post("/token")
async def token(request: Request) -> dict[str, Any]:
    """A fresh session token for the signed-in client (refused once the session is revoked or ended)."""
    session, _ = await signed_in(request)
    return {
        "object": "token",
        "jwt": await service(request).refresh_token(session.id, _azp(request)),
    }


@router.get("/me")
async def me(request: Request) -> dict[str, Any]:
    """The signed-in user."""
    _, user = await signed_in(request)
    return service(request).user_json(user)


@router.patch("/me")
async def update_me(request: Request) -> dict[str, Any]:
    """Change profile fields; a new ``password`` needs ``current_password`` and ends the other sessions
    (``user.updated``, ``session.revoked``)."""
    ident = service(request)
    session, user = await signed_in(request)
    body = await json_body(request)
    changes: dict[str, Any] = {k: text(body, k) for k in ("first_name", "last_name", "username") if k in body}
    new_password = text(body, "password")
    info = request_info(request)
    if new_password is not None:
        user = await account.change_password(
            ident, info, session, user, text(body, "current_password"), new_password
        )
    if changes:
        user = await ident.update_user(info, user.id, changes)
    return ident.user_json(user)


@router.post("/me/email")
async def change_email(request: Request) -> dict[str, Any]:
    """Replace the primary email address, given ``current_password`` (``user.updated``, and
    ``email.created`` to notify the old one)."""
    ident = service(request)
    session, user = await signed_in(request)
    body = await json_body(request)
    address = text(body, "email_address", required=True) or ""
    updated = await account.change_email(
        ident, request_info(request), session, user, text(body, "current_password"), address
    )
    return ident.user_json(updated)


@router.delete("/me")
async def delete_me(request: Request) -> JSONResponse:
    """Delete the signed-in user's account (``session.removed``, ``user.deleted``)."""
    ident = service(request)
    _, user = await signed_in(request)
    if not user.delete_self_enabled:
        raise IdentityError(403, "delete_self_disabled", "Deleting your account is not allowed.",
                            "This account can only be deleted by an administrator.")  # fmt: skip
    resp = JSONResponse(await ident.delete_user(request_info(request), user.id))
    clear_cookies(resp)
    return resp
