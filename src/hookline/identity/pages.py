"""Hosted pages: ``/sign-up``, ``/sign-in`` and ``/account``, plain HTML forms over the same service.

Forms carry a double-submit CSRF token (a cookie and a hidden field that must match); cookies are SameSite=Lax.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from hookline.identity import account, second_factor
from hookline.identity.errors import IdentityError, SecondFactorRequired
from hookline.identity.frontend_api import clear_cookies, set_cookies
from hookline.identity.http import CLIENT_COOKIE, request_info, service
from hookline.identity.redirects import (
    allowed_redirect,
    authorize_client_id,
    normalized_origin,
    target_origins,
)
from hookline.identity.resources import Session, User
from hookline.identity.service import SignedIn
from hookline.store import oauth as oauth_db
from hookline.websafety import cross_site, html_headers

router = APIRouter(tags=["identity pages"], include_in_schema=False)
CSRF_COOKIE = "__csrf"
SIGN_IN_COOKIE = "__sign_in"  # a sign-in waiting for its second factor
TEMPLATES = Path(__file__).resolve().parent.parent / "dashboard" / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


async def read_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as a dict (first value of each field)."""
    raw = (await request.body()).decode("utf-8", "replace")
    return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}


def render(
    request: Request, name: str, status: int = 200, form_targets: tuple[str, ...] = (), **context: Any
) -> HTMLResponse:
    """A hosted page with its CSRF cookie; ``form_targets`` are origins its forms may end at after redirects."""
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    html = _env.get_template(name).render(csrf=token, form=context.pop("form", {}), **context)
    resp = HTMLResponse(html, status_code=status)
    if form_targets:
        for key, value in html_headers(request.url.path, form_targets=form_targets):
            resp.headers[key.decode()] = value.decode()
    resp.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="lax", secure=request.url.scheme == "https", path="/"
    )
    return resp


def csrf_ok(request: Request, form: dict[str, str]) -> bool:
    """True when the form's CSRF field matches its cookie (double submit)."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie, form.get("csrf", ""))


def _message(exc: IdentityError) -> str:
    return exc.long_message or exc.message


async def signed_in(request: Request) -> tuple[Session, User] | None:
    """The session and user of the browser's ``__client`` cookie, or None when it signs no one in."""
    client = request.cookies.get(CLIENT_COOKIE)
    if not client:
        return None
    try:
        return await service(request).verify_client_token(client)
    except IdentityError:
        return None


def _redirect(to: str) -> RedirectResponse:
    return RedirectResponse(to, status_code=303)


class RedirectRefused(Exception):
    """A ``redirect_url`` that is not on the allow-list."""


async def next_url(request: Request, raw: str | None) -> str | None:
    """The page to go to after signing in: ``raw`` if the allow-list takes it, None when none was given;
    RedirectRefused otherwise (a page answers 400, never an open redirect)."""
    if not raw:
        return None
    ident = service(request)

    async def registered(url: str) -> bool:
        async with ident.store.db.reader() as c:
            return await oauth_db.redirect_uri_registered(c, url)

    found = await allowed_redirect(raw, ident.redirect_origins, registered)
    if found is None:
        raise RedirectRefused(raw)
    return found


async def form_targets(request: Request, url: str | None) -> tuple[str, ...]:
    """Origins a sign-in form continuing to ``url`` may end at: the URL's own, and for an authorization
    in progress, its application's redirect origins."""
    ident = service(request)
    own = normalized_origin(ident.signer.issuer) or ""
    targets = list(target_origins(url, own))
    client_id = authorize_client_id(url)
    if client_id:
        async with ident.store.db.reader() as c:
            app = await oauth_db.app_by_client_id(c, client_id)
        for uri in app.redirect_uris if app else ():
            origin = normalized_origin(uri)
            if origin and origin != own:
                targets.append(origin)
    return tuple(dict.fromkeys(targets))


async def _entry_page(request: Request, template: str) -> Response:
    """GET of the sign-in or sign-up page: straight on to ``redirect_url`` when already signed in
    (unless ``prompt=login`` asks for a fresh sign-in), else the form carrying it."""
    raw = request.query_params.get("redirect_url") or request.query_params.get("redirect_uri")
    try:
        target = await next_url(request, raw)
    except RedirectRefused:
        return render(request, template, 400, error="That redirect_url is not allowed: it is not this site, "
                      "an origin in HOOKLINE_ALLOWED_REDIRECT_ORIGINS or an OAuth application's redirect URI.")  # fmt: skip
    if target and request.query_params.get("prompt") != "login" and await signed_in(request) is not None:
        return _redirect(target)
    return render(
        request, template, form_targets=await form_targets(request, target), redirect_url=target or ""
    )


def _entered(request: Request, target: str | None, signed: SignedIn) -> Response:
    resp = _redirect(target or "/account")
    set_cookies(request, resp, signed)
    return resp


async def _form_again(
    request: Request, template: str, status: int, form: dict[str, str], error: str
) -> Response:
    raw = form.get("redirect_url") or None
    try:
        targets = await form_targets(request, await next_url(request, raw))
    except RedirectRefused:
        raw, targets = None, ()
    return render(
        request, template, status, form_targets=targets, form=form, error=error, redirect_url=raw or ""
    )


async def ask_second_factor(request: Request, pending: SecondFactorRequired) -> Response:
    """Hold the sign-in for its second factor (in an HttpOnly cookie) and go to the code form."""
    held = await second_factor.hold(service(request), request_info(request), pending)
    resp = _redirect("/sign-in/factor-two")
    resp.set_cookie(SIGN_IN_COOKIE, held.id, max_age=600, httponly=True, samesite="lax",
                    secure=request.url.scheme == "https", path="/sign-in")  # fmt: skip
    return resp


@router.get("/sign-up", response_class=HTMLResponse)
async def sign_up_page(request: Request) -> Response:
    """The sign-up form."""
    return await _entry_page(request, "identity_sign_up.html")


@router.post("/sign-up", response_class=HTMLResponse)
async def sign_up_submit(request: Request) -> Response:
    """Create the account, sign in and go to ``redirect_url`` (or ``/account``); the form again with the
    reason on failure."""
    form = await read_form(request)
    page = "identity_sign_up.html"
    if not csrf_ok(request, form) or cross_site(request):
        return await _form_again(request, page, 403, form, "The form expired; please try again.")
    try:  # checked before signing in, so a refused redirect leaves no session behind
        target = await next_url(request, form.get("redirect_url"))
    except RedirectRefused:
        return render(request, page, 400, form=form, error="That redirect_url is not allowed.")
    try:
        signed = await service(request).sign_up(
            request_info(request), form.get("email_address", ""), form.get("password", ""),
            form.get("first_name") or None, form.get("last_name") or None,
        )  # fmt: skip
    except IdentityError as exc:
        return await _form_again(request, page, exc.status, form, _message(exc))
    return _entered(request, target, signed)


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request) -> Response:
    """The sign-in form."""
    return await _entry_page(request, "identity_sign_in.html")


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in_submit(request: Request) -> Response:
    """Sign in and go to ``redirect_url`` (or ``/account``); the form again with the (uniform) reason on failure."""
    form = await read_form(request)
    page = "identity_sign_in.html"
    if not csrf_ok(request, form) or cross_site(request):
        return await _form_again(request, page, 403, form, "The form expired; please try again.")
    try:  # checked before signing in, so a refused redirect leaves no session behind
        target = await next_url(request, form.get("redirect_url"))
    except RedirectRefused:
        return render(request, page, 400, form=form, error="That redirect_url is not allowed.")
    try:
        signed = await service(request).sign_in(
            request_info(request), form.get("email_address", ""), form.get("password", "")
        )
    except SecondFactorRequired as pending:
        return await ask_second_factor(request, pending)
    except IdentityError as exc:
        return await _form_again(request, page, exc.status, form, _message(exc))
    return _entered(request, target, signed)


@router.get("/account", response_class=HTMLResponse)
async def account_page(request: Request) -> Response:
    """The signed-in user's profile, email, password, sign-out and deletion forms."""
    current = await signed_in(request)
    if current is None:
        return _redirect("/sign-in")
    _, user = current
    notice = {"profile": "Profile saved.", "email": "Email address changed.", "password": "Password changed."}
    return render(request, "identity_account.html", user=user, email=user.primary_email,
                   notice=notice.get(request.query_params.get("saved", "")))  # fmt: skip


@router.post("/account/{action}", response_class=HTMLResponse)
async def account_action(request: Request, action: str) -> Response:
    """Apply one account form: ``profile``, ``email``, ``password``, ``sign-out`` or ``delete``."""
    current = await signed_in(request)
    if current is None:
        return _redirect("/sign-in")
    session, user = current
    form = await read_form(request)
    ident = service(request)
    info = request_info(request)
    if not csrf_ok(request, form):
        return render(request, "identity_account.html", 403, user=user, email=user.primary_email,
                       error="The form expired; please try again.")  # fmt: skip
    try:
        if action == "profile":
            await ident.update_user(info, user.id, {"first_name": form.get("first_name") or None,
                                                    "last_name": form.get("last_name") or None})  # fmt: skip
        elif action == "email":
            await account.change_email(
                ident, info, session, user, form.get("current_password"), form.get("email_address", "")
            )
        elif action == "password":
            await account.change_password(
                ident, info, session, user, form.get("current_password"), form.get("password", "")
            )
        elif action == "sign-out":
            await ident.end_session(info, session.id, "ended")
            resp = _redirect("/sign-in")
            clear_cookies(resp)
            return resp
        elif action == "delete":
            if not user.delete_self_enabled:
                raise IdentityError(403, "delete_self_disabled", "Deleting your account is not allowed.")
            if form.get("confirm") != "yes":
                raise IdentityError(
                    422, "form_param_missing", "Confirm the deletion.", "Tick the box to confirm."
                )
            await ident.delete_user(info, user.id)
            resp = _redirect("/sign-up")
            clear_cookies(resp)
            return resp
        else:
            return HTMLResponse("Not found", status_code=404)
    except IdentityError as exc:
        return render(request, "identity_account.html", exc.status, user=user, email=user.primary_email,
                       error=_message(exc))  # fmt: skip
    return _redirect(f"/account?saved={action}")
