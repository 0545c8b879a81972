"""Hosted pages for second factors: ``/two-factor`` (set up, new backup codes, turn off) and
``/sign-in/factor-two`` (the code step of a sign-in held by ``pages.ask_second_factor``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from hookline.identity import account, mfa, second_factor
from hookline.identity.errors import IdentityError
from hookline.identity.frontend_api import set_cookies
from hookline.identity.http import request_info, service
from hookline.identity.pages import SIGN_IN_COOKIE, _message, _redirect, signed_in
from hookline.identity.pages import csrf_ok as _csrf_ok
from hookline.identity.pages import read_form as _form
from hookline.identity.pages import render as _render
from hookline.websafety import cross_site

router = APIRouter(tags=["identity pages"], include_in_schema=False)
PAGE = "identity_two_factor.html"
EXPIRED = "The form expired; please try again."


@router.get("/two-factor", response_class=HTMLResponse)
async def two_factor_page(request: Request) -> Response:
    """Whether two-step verification is on, and the forms to change it."""
    current = await signed_in(request)
    if current is None:
        return _redirect("/sign-in")
    return _render(request, PAGE, user=current[1])


@router.post("/two-factor/{action}", response_class=HTMLResponse)
@router.post("/two-factor/totp/verify", response_class=HTMLResponse)
async def two_factor_action(request: Request, action: str = "verify") -> Response:
    """``totp`` (start), ``verify`` (turn on), ``backup-codes`` (new ones) or ``disable``."""
    current = await signed_in(request)
    if current is None:
        return _redirect("/sign-in")
    session, user = current
    form = await _form(request)
    ident, info = service(request), request_info(request)
    if not _csrf_ok(request, form):
        return _render(request, PAGE, 403, user=user, error=EXPIRED)
    try:
        if action == "totp":
            made = await mfa.start_totp(ident, info, user)
            return _render(request, PAGE, user=user, secret=made["secret"], uri=made["uri"])
        if action == "verify":
            done = await mfa.verify_totp_enrolment(ident, info, user, form.get("code", ""))
            if done["backup_codes"]:
                return _render(request, PAGE, user=user, backup_codes=done["backup_codes"],
                               notice="Two-step verification is on.")  # fmt: skip
            return _redirect("/two-factor")
        if action == "backup-codes":
            await account.confirm_identity(ident, info, session, user, form.get("current_password"))
            made = await mfa.regenerate_backup_codes(ident, info, user.id)
            return _render(request, PAGE, user=user, backup_codes=made["codes"])
        if action == "disable":
            await account.confirm_identity(ident, info, session, user, form.get("current_password"))
            await mfa.remove(ident, info, user.id, totp=True, backup_codes=True)
            return _redirect("/account")
    except IdentityError as exc:
        return _render(request, PAGE, exc.status, user=user, error=_message(exc))
    return HTMLResponse("Not found", status_code=404)


@router.get("/sign-in/factor-two", response_class=HTMLResponse)
async def factor_two_page(request: Request) -> Response:
    """The code form of a held sign-in (back to ``/sign-in`` without one)."""
    if not request.cookies.get(SIGN_IN_COOKIE):
        return _redirect("/sign-in")
    return _render(request, "identity_factor_two.html")


@router.post("/sign-in/factor-two", response_class=HTMLResponse)
async def factor_two_submit(request: Request) -> Response:
    """Complete the held sign-in with a TOTP or backup code, then go to ``/account``."""
    held = request.cookies.get(SIGN_IN_COOKIE)
    if not held:
        return _redirect("/sign-in")
    form = await _form(request)
    if not _csrf_ok(request, form) or cross_site(request):
        return _render(request, "identity_factor_two.html", 403, error=EXPIRED)
    try:
        signed = await second_factor.attempt(
            service(request), request_info(request), held, form.get("strategy", "totp"), form.get("code", "")
        )
    except IdentityError as exc:
        return _render(request, "identity_factor_two.html", exc.status, error=_message(exc))
    resp = _redirect("/account")
    set_cookies(request, resp, signed)
    resp.delete_cookie(SIGN_IN_COOKIE, path="/sign-in")
    return resp
