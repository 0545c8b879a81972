"""Who is looking: signed cookies for the dashboard session and for app-portal links.

Both are HMAC-SHA256-signed JSON with an expiry, keyed by a random key stored once in the database
(``Store.setting_or_default``), so every server process of one database accepts the same cookies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from hookline.store.store import Store

KEY_SETTING = "dashboard_session_key"
SESSION_COOKIE = "hookline_dashboard"
PORTAL_COOKIE = "hookline_portal"
SESSION_SECONDS = 12 * 3600
PORTAL_SECONDS = 7 * 24 * 3600
PORTAL_PREFIX = "hlportal_"


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

    @property
    def admin(self) -> bool:
        return self.app_id is None

    def base(self, app_id: str) -> str:
        """The URL prefix of an application's pages for this viewer."""
        return f"/dashboard/portal/{app_id}" if self.app_id else f"/dashboard/app/{app_id}"


async def signing_key(request: Request) -> bytes:
    """The dashboard's signing key, created on first use and cached on the app."""
    key = getattr(request.app.state, "dashboard_key", None)
    if key is None:
        store: Store = request.app.state.runtime.store
        stored, _ = await store.setting_or_default(KEY_SETTING, secrets.token_hex(32))
        key = bytes.fromhex(stored)
        request.app.state.dashboard_key = key
    return key


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(key: bytes, claims: dict[str, Any]) -> str:
    """``payload.signature``, both base64url."""
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    mac = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def unsign(key: bytes, value: str | None) -> dict[str, Any] | None:
    """The claims of a value made by ``sign`` that has not expired, or None."""
    if not value or "." not in value:
        return None
    payload, _, mac = value.partition(".")
    want = _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(want, mac):
        return None
    try:
        claims = json.loads(_unb64(payload))
    except ValueError:
        return None
    if not isinstance(claims, dict) or float(claims.get("exp", 0)) < time.time():
        return None
    return claims


def csrf_for(key: bytes, cookie: str) -> str:
    """The form token that goes with a session cookie (a page from another site cannot know it)."""
    return _b64(hmac.new(key, b"csrf:" + cookie.encode(), hashlib.sha256).digest())[:32]


def session_cookie(key: bytes, who: str, token_digest: str = "") -> str:
    """A dashboard session for ``token`` or ``user:<id>``.

    A token session remembers which API token opened it, so changing the token ends such sessions.
    """
    claims = {"sub": who, "exp": time.time() + SESSION_SECONDS, "n": secrets.token_hex(4)}
    if token_digest:
        claims["tok"] = token_digest[:16]
    return sign(key, claims)


def portal_token(key: bytes, app_id: str, seconds: float = PORTAL_SECONDS, read_only: bool = False) -> str:
    """An app-portal token: it opens one application's pages and nothing else."""
    claims: dict[str, Any] = {"app": app_id, "exp": time.time() + seconds}
    if read_only:
        claims["ro"] = True
    return PORTAL_PREFIX + sign(key, claims)


def portal_claims(key: bytes, token: str | None) -> dict[str, Any] | None:
    """The claims of a valid app-portal token, or None."""
    if not token or not token.startswith(PORTAL_PREFIX):
        return None
    claims = unsign(key, token[len(PORTAL_PREFIX) :])
    return claims if claims and isinstance(claims.get("app"), str) else None


async def current_admin(request: Request) -> Viewer | None:
    """The administrator signed in through the session cookie, or None."""
    key = await signing_key(request)
    cookie = request.cookies.get(SESSION_COOKIE, "")
    claims = unsign(key, cookie)
    if claims is None:
        return None
    who = str(claims.get("sub", ""))
    if who == "token":
        digests = {d[:16] for d in request.app.state.runtime.token_digests}
        if claims.get("tok") not in digests:
            return None
    elif who.startswith("user:"):
        from hookline.dashboard import queries

        user = await queries.user(request.app.state.runtime.store, who[5:])
        if user is None or not is_admin(user.public_metadata) or user.banned or user.locked:
            return None
    return Viewer(who, csrf_for(key, cookie))


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
    key = await signing_key(request)
    cookie = request.cookies.get(PORTAL_COOKIE, "")
    claims = portal_claims(key, cookie)
    if claims is None:
        raise Forbidden("This portal link has expired or is not valid. Ask for a new link.")
    if claims["app"] != app_id:
        raise Forbidden("This portal link does not open that application.")
    return Viewer("portal", csrf_for(key, cookie), app_id=app_id, read_only=bool(claims.get("ro")))


async def check_csrf(request: Request, viewer: Viewer, form: dict[str, str]) -> None:
    """Refuse a state-changing request whose form or ``x-csrf`` header lacks the viewer's token."""
    if viewer.read_only:
        raise Forbidden("This portal link is read-only: it shows endpoints and messages but changes nothing.")
    sent = form.get("csrf") or request.headers.get("x-csrf", "")
    if not hmac.compare_digest(sent, viewer.csrf):
        raise Forbidden("The form expired; reload the page and try again.")
