"""Hosted pages for email verification, password reset and signed-in devices: ``/verify-email``,
``/forgot-password``, ``/reset-password``, ``/account/sessions``. Plain forms with the same CSRF
protection as the other hosted pages."""

from __future__ import annotations

import time
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from hookline.identity import devices, verification
from hookline.identity.errors import IdentityError
from hookline.identity.frontend_api import clear_cookies
from hookline.identity.http import request_info, service
from hookline.identity.pages import _message, _redirect, signed_in
from hookline.identity.pages import csrf_ok as _csrf_ok
from hookline.identity.pages import read_form as _form
from hookline.identity.pages import render as _render
from hookline.websafety import cross_site

router = APIRouter(tags=["identity pages"], include_in_schema=False)
EXPIRED = "The form expired; please try again."


@router.get("/verify-email", response_class=HTMLResponse)
async def verify_email_page(request: Request) -> Response:
    """The code form for the signed-in user; with ``?token=`` (the email's link) it verifies at once."""
    token = request.query_params.get("token")
    if token:
        try:
            email = await verification.attempt_email_verification(
                service(request), request_info(request), token=token
            )
        except IdentityError as exc:
            return _render(request, "identity_verify_email.html", exc.status, error=_message(exc))
        return _render(request, "identity_verify_email.html", done=email.email_address)
    current = await signed_in(request)
    if current is None:
        return _redirect("/sign-in")
    return _render(request, "identity_verify_email.html", email=current[1].primary_email)


@router.post("/verify-email/send", response_class=HTMLResponse)
async def send_code(request: Request) -> Response:
    """Send a code to the signed-in user's primary address, then show the code form."""
    current = await signed_in(request)
    if current is None:
        return _redirect("/sign-in")
    user = current[1]
    form = await _form(request)
    if not _csrf_ok(request, form) or user.primary_email_address_id is None:
        return _render(request, "identity_verify_email.html", 403, email=user.primary_email, error=EXPIRED)
    try:
        await verification.prepare_email_verification(
            service(request), request_info(request), user.primary_email_address_id
        )
    except IdentityError as exc:
        return _render(request, "identity_verify_email.html", exc.status, email=user.primary_email,
                       error=_message(exc))  # fmt: skip
    return _render(request, "identity_verify_email.html", email=user.primary_email,
                   notice="We sent you a code.")  # fmt: skip


@router.post("/verify-email", response_class=HTMLResponse)
async def verify_email_submit(request: Request) -> Response:
    """Check the code typed by the signed-in user."""
    current = await signed_in(request)
    if current is None:
        return _redirect("/sign-in")
    user = current[1]
    form = await _form(request)
    if not _csrf_ok(request, form):
        return _render(request, "identity_verify_email.html", 403, email=user.primary_email, error=EXPIRED)
    try:
        email = await verification.attempt_email_verification(
            service(request), request_info(request), user.primary_email_address_id, form.get("code", "")
        )
    except IdentityError as exc:
        return _render(request, "identity_verify_email.html", exc.status, email=user.primary_email,
                       error=_message(exc))  # fmt: skip
    return _render(request, "identity_verify_email.html", done=email.email_address)


@router.get("/account/sessions", response_class=HTMLResponse)
async def sessions_page(request: Request) -> Response:
    """The user's signed-in devices, each with a button that ends it."""
    current = await signed_in(request)
    if current is None:
        return _redirect("/sign-in")
    session, user = current
    found = [{"id": s.id, "user_agent": s.user_agent, "client_ip": s.client_ip,
              "last_active": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(s.last_active_at / 1000))}
             for s in await devices.active_sessions(service(request), user)]  # fmt: skip
    return _render(request, "identity_sessions.html", sessions=found, current_id=session.id,
                   notice="Session ended." if request.query_params.get("ended") else None)  # fmt: skip


@router.post("/account/sessions/{session_id}/revoke", response_class=HTMLResponse)
async def end_session(request: Request, session_id: str) -> Response:
    """End one session; ending this one signs this browser out."""
    current = await signed_in(request)
    if current is None:
        return _redirect("/sign-in")
    session, user = current
    form = await _form(request)
    if not _csrf_ok(request, form):
        return _redirect("/account/sessions")
    try:
        await devices.end_own_session(service(request), request_info(request), user, session_id)
    except IdentityError as exc:
        return _render(request, "identity_sessions.html", exc.status, sessions=[], current_id=session.id,
                       error=_message(exc))  # fmt: skip
    if session_id == session.id:
        resp = _redirect("/sign-in")
        clear_cookies(resp)
        return resp
    return _redirect("/account/sessions?ended=1")


@router.get("/forgot-password", response_class=HTMLResponse)
async def forgot_page(request: Request) -> Response:
    """Ask for the address to send a reset code to."""
    return _render(request, "identity_forgot_password.html")


@router.post("/forgot-password", response_class=HTMLResponse)
async def forgot_submit(request: Request) -> Response:
    """Send a reset code (if an account has the address) and go to the code form either way."""
    form = await _form(request)
    if not _csrf_ok(request, form) or cross_site(request):
        return _render(request, "identity_forgot_password.html", 403, form=form, error=EXPIRED)
    address = form.get("email_address", "")
    try:
        await verification.prepare_password_reset(service(request), request_info(request), address)
    except IdentityError as exc:
        return _render(request, "identity_forgot_password.html", exc.status, form=form, error=_message(exc))
    return _redirect(f"/reset-password?email_address={quote(address)}")


@router.get("/reset-password", response_class=HTMLResponse)
async def reset_page(request: Request) -> Response:
    """The new-password form: with the code for ``?email_address=``, or for the link's ``?token=``."""
    return _render(request, "identity_reset_password.html", token=request.query_params.get("token"),
                   form={"email_address": request.query_params.get("email_address", "")})  # fmt: skip


@router.post("/reset-password", response_class=HTMLResponse)
async def reset_submit(request: Request) -> Response:
    """Set the new password; then sign in with it."""
    form = await _form(request)
    token = form.get("token") or None
    if not _csrf_ok(request, form) or cross_site(request):
        return _render(request, "identity_reset_password.html", 403, form=form, token=token, error=EXPIRED)
    try:
        await verification.reset_password(
            service(request), request_info(request), form.get("password", ""),
            email_address=None if token else form.get("email_address", ""),
            code=None if token else form.get("code", ""), token=token,
        )  # fmt: skip
    except IdentityError as exc:
        return _render(request, "identity_reset_password.html", exc.status, form=form, token=token,
                       error=_message(exc))  # fmt: skip
    return _render(request, "identity_sign_in.html", form={"email_address": form.get("email_address", "")},
                   notice="Your password was changed. Sign in with it.")  # fmt: skip
