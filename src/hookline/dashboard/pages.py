"""Administrator pages: sign-in, overview, applications, the message log across them, users; portal entry."""

from __future__ import annotations

import time
from collections.abc import Mapping
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from hookline.dashboard import charts, queries
from hookline.dashboard.auth import (
    PAGE_PREFIX,
    PORTAL_COOKIE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    Forbidden,
    Viewer,
    check_csrf,
    current_admin,
    is_admin,
    portal_session,
    require_admin,
    sessions,
    token_who,
)
from hookline.dashboard.log import log_page, log_stream
from hookline.dashboard.render import form_data, render
from hookline.identity import directory
from hookline.identity.errors import IdentityError
from hookline.identity.events import RequestInfo
from hookline.services import portal, portal_theme
from hookline.services.api_tokens import token_digest
from hookline.services.errors import OperationError
from hookline.services.portal_theme import PortalTheme
from hookline.store.store import Store
from hookline.websafety import cross_site

router = APIRouter()
ADMIN = Depends(require_admin)


def _store(request: Request) -> Store:
    store: Store = request.app.state.runtime.store
    return store


def _safe_next(value: str | None) -> str:
    """Only same-site dashboard paths are followed after sign-in."""
    if value and value.startswith("/dashboard") and not value.startswith("//"):
        return value
    return "/dashboard/"


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request) -> Response:
    """The sign-in form: the API token, or an administrator's email and password."""
    if await current_admin(request) is not None:
        return RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
    return render(request, "sign_in.html", next=_safe_next(request.query_params.get("next")),
                  users=await directory.identity_installed(_store(request)))  # fmt: skip


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in_submit(request: Request) -> Response:
    """Check the token (or email and password) and start a session.

    Both are password checks: they go through the identity service's throttle (per client address,
    and per account and address), and argon2 runs off the event loop.
    """
    form = await form_data(request)
    if cross_site(request):
        raise Forbidden("Sign-in forms must be sent from this site.")
    store = _store(request)
    rt = request.app.state.runtime
    ident = request.app.state.identity
    next_url = _safe_next(form.get("next"))
    has_users = await directory.identity_installed(store)
    who = None
    token = form.get("token", "").strip()
    email = form.get("email", "").strip()
    info = RequestInfo(request.client.host if request.client else "", request.headers.get("user-agent", ""))
    try:
        if token:
            attempt = ident.attempt(info, "api-token")
            await ident.throttle.check(attempt)
            if rt.token_ok(token):
                who = token_who(token_digest(token))
                await ident.throttle.succeeded(attempt)
            else:
                await ident.throttle.failed(attempt)
        elif email and has_users:
            user = await directory.password_sign_in(
                store, ident.passwords, ident.attempt(info, email), email, form.get("password", "")
            )
            if user is not None and is_admin(user.public_metadata) and not (user.banned or user.locked):
                who = f"user:{user.id}"
    except IdentityError as exc:
        return render(request, "sign_in.html", exc.status, next=next_url, users=has_users, email=email,
                      error=exc.long_message, headers=exc.headers)  # fmt: skip
    if who is None:
        error = (
            "That token is not valid. Use the API token the server printed on its first start "
            "(or HOOKLINE_API_TOKEN)."
            if token or not email
            else "Wrong email or password, or this user is not an administrator "
            '(public metadata {"role": "admin"}).'
        )
        return render(request, "sign_in.html", 401, next=next_url, users=has_users, error=error,
                      email=email)  # fmt: skip
    cookie = await sessions(request).open_dashboard(who, SESSION_SECONDS)
    resp = RedirectResponse(next_url, status_code=303)
    resp.set_cookie(SESSION_COOKIE, cookie, max_age=int(SESSION_SECONDS), httponly=True,
                    samesite="lax", secure=request.url.scheme == "https", path="/dashboard")  # fmt: skip
    return resp


@router.post("/sign-out")
async def sign_out(request: Request, viewer: Viewer = ADMIN) -> Response:
    """End the dashboard session, here and for whoever holds a copy of its cookie."""
    await check_csrf(request, viewer, await form_data(request))
    await sessions(request).end_dashboard(request.cookies.get(SESSION_COOKIE, ""))
    resp = RedirectResponse("/dashboard/sign-in", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/dashboard")
    return resp


@router.get("/", response_class=HTMLResponse)
async def overview(request: Request, viewer: Viewer = ADMIN) -> Response:
    """Delivery volume and success rate over the last day; failing endpoints first."""
    store = _store(request)
    key = charts.pick_range(request.query_params.get("range"))
    data = await charts.buckets(store, key)
    total, rate = charts.totals(data)
    troubled = [
        (ep, await queries.endpoint_health(store, ep.id)) for ep in await queries.troubled_endpoints(store)
    ]
    return render(
        request, "overview.html", viewer=viewer, chart=charts.delivery_chart(data, key), chart_range=key,
        chart_total=total, chart_rate=rate, range_label=charts.RANGES[key][2], total=total, rate=rate,
        troubled=troubled, apps=await queries.app_summaries(store), app_names=await queries.app_names(store),
    )  # fmt: skip


@router.get("/apps", response_class=HTMLResponse)
async def apps_page(request: Request, viewer: Viewer = ADMIN) -> Response:
    """Every application with its endpoints' health."""
    return render(request, "apps.html", viewer=viewer, apps=await queries.app_summaries(_store(request)))


@router.get("/messages", response_class=HTMLResponse)
async def messages_page(request: Request, viewer: Viewer = ADMIN) -> Response:
    """The message log across applications."""
    return await log_page(request, _store(request), viewer, None, base=None)


@router.get("/messages/stream")
async def messages_stream(request: Request, viewer: Viewer = ADMIN) -> StreamingResponse:
    """Server-sent events with the rows of new messages (all applications)."""
    return await log_stream(request, _store(request), viewer, None)


@router.get("/users", response_class=HTMLResponse)
async def users_page(request: Request, viewer: Viewer = ADMIN) -> Response:
    """Users of the identity service, newest first, searchable."""
    store = _store(request)
    if not await directory.identity_installed(store):
        return render(request, "users.html", viewer=viewer, installed=False, found=[], q="", more=None)
    q = request.query_params.get("q", "").strip()
    params = request.query_params
    page = await directory.users(
        store, q or None, params.get("before") or None, after=params.get("after") or None
    )
    notice = "User deleted." if params.get("done") == "deleted" else None
    return render(
        request, "users.html", viewer=viewer, installed=True, found=page.users, q=q, more=page.older,
        newer=page.newer, total=page.total, notice=notice,
    )  # fmt: skip


def _link_theme(params: Mapping[str, str]) -> PortalTheme:
    """The look a portal link asks for (Svix's ``darkMode``, ``primaryColor``, ``icon``, ``fontFamily``)."""
    try:
        return portal_theme.from_link(params)
    except OperationError as exc:
        raise Forbidden(f"This portal link's look is not valid: {exc.detail}.", 422) from None


async def _open_portal(request: Request, token: str, theme: PortalTheme) -> Response:
    session = await portal_session(request, token)
    if session is None:
        raise Forbidden("This portal link has expired or is not valid. Ask for a new link.")
    # the pages carry a page key in their URLs, as a cross-site iframe sends no cookie; the cookie
    # below serves the older cookie-only pages (/dashboard/portal/{app}) in a top-level window
    key = await portal.open_page_key(request.app.state.runtime, token, None if theme.empty else theme)
    if key is None:
        raise Forbidden("This portal link has expired or is not valid. Ask for a new link.")
    resp = RedirectResponse(f"{PAGE_PREFIX}/{key}/{quote(session.app_id)}", status_code=303)
    max_age = max(1, int(session.expires_at - time.time()))
    resp.set_cookie(PORTAL_COOKIE, token, max_age=max_age, httponly=True, samesite="lax",
                    secure=request.url.scheme == "https", path="/dashboard/portal")  # fmt: skip
    return resp


@router.get("/portal/access")
async def portal_access(request: Request, token: str = "") -> Response:
    """Open an app-portal link. Links carry their token in the fragment (``#token=…``), which never
    reaches a server's logs: this page reads it and posts it back, with the link's theme parameters.
    ``?token=`` still works."""
    theme = _link_theme(request.query_params)
    if token:
        return await _open_portal(request, token, theme)
    given = {p: request.query_params[p] for p in portal_theme.LINK_PARAMS if p in request.query_params}
    return render(request, "portal_access.html", viewer=None, title="Opening the portal", link_params=given)


@router.post("/portal/access")
async def portal_access_submit(request: Request) -> Response:
    """Take an app-portal token posted by the access page; keep it in a cookie and go to the application."""
    if cross_site(request):
        raise Forbidden("Portal links must be opened on this site.")
    form = await form_data(request)
    return await _open_portal(request, form.get("token", ""), _link_theme(form))
