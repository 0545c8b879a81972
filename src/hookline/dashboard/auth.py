"""Who is looking: the dashboard session and app-portal tokens, both kept server-side.

A dashboard session's cookie and a portal token are random values whose SHA-256 is stored
(``store.auth_sessions``): each page looks its session up, so signing out, ``/api/v1/auth/logout``
and ``expire-all`` end them at once, in every server process of one database.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from hookline.identity import directory
from hookline.services import portal, portal_theme
from hookline.services.errors import OperationError
from hookline.services.portal_theme import PortalTheme
from hookline.services.runtime import Runtime
from hookline.store.auth_sessions import AuthSessions, PortalSession

SESSION_COOKIE = "hookline_dashboard"
PORTAL_COOKIE = "hookline_portal"
SESSION_SECONDS = 12 * 3600
PAGE_PREFIX = "/dashboard/p"  # portal pages under a page key: /dashboard/p/{key}/{app_id}


class NeedsSignIn(Exception):
    """Raised by a page that needs a signed-in viewer; answered with a redirect to the sign-in page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class Forbidden(Exception):
    """Raised when the viewer may not see what it asked for (a portal link for another application)."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Viewer:
    """The signed-in viewer: an administrator, or a portal holder locked to one application."""

    who: str
    csrf: str
    app_id: str | None = None  # set for a portal viewer: the only application it may see
    read_only: bool = False  # a portal link made with ``readOnly``: pages to look at, no actions
    # a portal link's Svix capabilities and feature flags; an administrator may do and see everything
    capabilities: frozenset[str] = frozenset(portal.ALL_CAPABILITIES)
    feature_flags: tuple[str, ...] | None = None  # None: every event type
    # where a portal viewer's pages live: under its page key (no cookie needed), or the cookie's pages
    portal_prefix: str = "/dashboard/portal"
    theme: PortalTheme | None = None  # a portal viewer's look (the link's over the application's)

    @property
    def admin(self) -> bool:
        return self.app_id is None

    def may(self, needed: frozenset[str]) -> bool:
        """Whether the viewer holds one of the capabilities that allow an action."""
        return not self.read_only and bool(self.capabilities & needed)

    @property
    def can_edit(self) -> bool:
        return self.may(portal.EDIT_ENDPOINT)

    @property
    def can_see_secret(self) -> bool:
        return self.may(portal.SEE_SECRET)

    @property
    def can_rotate(self) -> bool:
        return self.may(portal.ROTATE_SECRET)

    @property
    def can_send(self) -> bool:
        return self.may(portal.SEND)

    def require(self, needed: frozenset[str], what: str) -> None:
        """Refuse (403) an action none of the viewer's capabilities allows."""
        if self.read_only:
            raise Forbidden(
                "This portal link is read-only: it shows endpoints and messages but changes nothing."
            )
        if not self.may(needed):
            raise Forbidden(f"This portal link does not allow {what}.")

    def sees(self, feature_flags: list[str] | None) -> bool:
        """Whether the viewer sees an event type gated by ``feature_flags``."""
        return self.feature_flags is None or portal.sees_event_type(feature_flags, self.feature_flags)

    def base(self, app_id: str) -> str:
        """The URL prefix of an application's pages for this viewer."""
        if self.app_id is None:
            return f"/dashboard/app/{app_id}"
        return f"{self.portal_prefix}/{app_id}"


def _rt(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def sessions(request: Request) -> AuthSessions:
    """The session table of the running server."""
    return AuthSessions(request.app.state.runtime.store.db)


def csrf_for(cookie: str) -> str:
    """The form token that goes with a session cookie (a page from another site cannot know it)."""
    return hashlib.sha256(b"hookline-csrf:" + cookie.encode()).hexdigest()[:32]


def token_who(token_digest: str) -> str:
    """The ``who`` of a session opened with an API token: it remembers which token, so changing the
    token ends such sessions."""
    return "token:" + token_digest[:16]


async def portal_session(request: Request, token: str | None) -> PortalSession | None:
    """The live session of an app-portal token, or None."""
    return await portal.session(_rt(request), token)


async def current_admin(request: Request) -> Viewer | None:
    """The administrator signed in through the session cookie, or None."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    session = await sessions(request).dashboard(cookie)
    if session is None:
        return None
    who = session.who
    if who.startswith("token:"):
        rt = request.app.state.runtime
        digests = {d[:16] for d in (*rt.token_digests, *rt.issued_digests)}
        if who[6:] not in digests:
            return None
    elif who.startswith("user:"):
        store = _rt(request).store
        user = await directory.user(store, who[5:])
        if user is None or not is_admin(user.public_metadata) or user.banned or user.locked:
            return None
        changed = await directory.password_changed_at(store, user.id)
        if changed > session.created_at * 1000:  # a password change ends the sessions opened before it
            return None
    else:
        return None
    return Viewer(who, csrf_for(cookie))


def is_admin(public_metadata: dict[str, Any]) -> bool:
    """A user may use the dashboard when its public metadata says ``"role": "admin"`` (Clerk's usual way)."""
    return public_metadata.get("role") == "admin"


async def require_admin(request: Request) -> Viewer:
    """A FastAPI dependency: the signed-in administrator, or a redirect to the sign-in page."""
    viewer = await current_admin(request)
    if viewer is None:
        raise NeedsSignIn(str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""))
    return viewer


async def require_portal(request: Request, app_id: str) -> Viewer:
    """A FastAPI dependency: a portal viewer whose link is for ``app_id``; 403 otherwise."""
    cookie = request.cookies.get(PORTAL_COOKIE, "")
    try:
        session = await portal.scoped(_rt(request), cookie, app_id)
    except OperationError as exc:
        raise Forbidden(exc.detail, exc.status) from None
    return Viewer(
        "portal", csrf_for(cookie), app_id=app_id, read_only=session.read_only,
        capabilities=portal.session_capabilities(session), feature_flags=session.feature_flags,
        theme=await portal_theme.app_theme(_rt(request), app_id),
    )  # fmt: skip


async def require_portal_key(request: Request, key: str, app_id: str) -> Viewer:
    """A FastAPI dependency: a portal viewer whose page key (in the URL) is for ``app_id``; 403 otherwise.

    Portal pages carry a page key in their path rather than a cookie, so they work in a cross-site
    iframe, where browsers send no cookie. The key is not the portal token: it lapses after an hour
    unused and ends with its token (logout, expire-all).
    """
    try:
        session, theme = await portal.page_scoped(_rt(request), key, app_id)
    except OperationError as exc:
        raise Forbidden(exc.detail, exc.status) from None
    return Viewer(
        "portal", csrf_for(key), app_id=app_id, read_only=session.read_only,
        capabilities=portal.session_capabilities(session), feature_flags=session.feature_flags,
        portal_prefix=f"{PAGE_PREFIX}/{key}", theme=theme,
    )  # fmt: skip


async def check_csrf(request: Request, viewer: Viewer, form: dict[str, str]) -> None:
    """Refuse a state-changing request whose form or ``x-csrf`` header lacks the viewer's token."""
    if viewer.read_only:
        raise Forbidden("This portal link is read-only: it shows endpoints and messages but changes nothing.")
    sent = form.get("csrf") or request.headers.get("x-csrf", "")
    if not hmac.compare_digest(sent, viewer.csrf):
        raise Forbidden("The form expired; reload the page and try again.")
