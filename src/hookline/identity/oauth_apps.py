"""Clerk's Backend API ``/v1/oauth_applications``: the clients that sign users in through hookline.

Create, list, get, update, delete, rotate the secret and revoke a token, answered with Clerk's fields
(``authorize_url``, ``token_fetch_url``, ``user_info_url``, ``discovery_url``, ``token_introspection_url``).
"""

from __future__ import annotations

import secrets
import string
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from hookline.identity.errors import IdentityError, invalid, not_found
from hookline.identity.http import json_body, require_secret_key, service, text
from hookline.identity.redirects import check_redirect_uri
from hookline.identity.resources import now_ms
from hookline.identity.service import Identity
from hookline.ids import new_id
from hookline.store import oauth as db
from hookline.store.oauth import OAuthApp

router = APIRouter(prefix="/v1", dependencies=[Depends(require_secret_key)], tags=["identity"])

# Clerk's scopes for OAuth applications; "openid" adds an ID token
SCOPES = ("openid", "profile", "email", "public_metadata", "private_metadata", "user:org:read")
DEFAULT_SCOPES = "profile email"
NAME_MAX = 256
PATHS = {
    "authorize_url": "/oauth/authorize",
    "token_fetch_url": "/oauth/token",
    "user_info_url": "/oauth/userinfo",
    "discovery_url": "/.well-known/openid-configuration",
    "token_introspection_url": "/oauth/token_info",
}
_ALNUM = string.ascii_letters + string.digits


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def issuer(ident: Identity) -> str:
    """The provider's issuer: this server's public URL, without a trailing slash."""
    return ident.signer.issuer.rstrip("/")


def app_json(ident: Identity, app: OAuthApp, client_secret: str | None = None) -> dict[str, Any]:
    """An application as Clerk's Backend API returns it (with ``client_secret`` only when just made)."""
    base = issuer(ident)
    out: dict[str, Any] = {
        "object": "oauth_application", "id": app.id, "instance_id": ident.instance_id, "name": app.name,
        "client_id": app.client_id, "client_uri": None, "client_image_url": None, "dynamically_registered": False,
        "consent_screen_enabled": app.consent_screen_enabled, "pkce_required": app.pkce_required or app.public,
        "public": app.public, "scopes": app.scopes, "redirect_uris": list(app.redirect_uris),
        "callback_url": app.redirect_uris[0] if app.redirect_uris else "",
        **{key: base + path for key, path in PATHS.items()},
        "created_at": app.created_at, "updated_at": app.updated_at,
    }  # fmt: skip
    if client_secret is not None:
        out["client_secret"] = client_secret
    return out


def check_scopes(value: object) -> str:
    """A space-separated scope list made only of the scopes hookline serves."""
    if not isinstance(value, str):
        raise invalid("scopes", "scopes must be a string of space-separated scopes")
    found = value.split()
    unknown = [s for s in found if s not in SCOPES]
    if unknown:
        raise invalid("scopes", f"unsupported scope(s) {' '.join(unknown)}; supported: {' '.join(SCOPES)}",
                      "form_param_value_invalid")  # fmt: skip
    return " ".join(dict.fromkeys(found))


def _redirect_uris(body: dict[str, Any]) -> tuple[str, ...] | None:
    uris = body.get("redirect_uris")
    if uris is None and isinstance(body.get("callback_url"), str) and body["callback_url"]:
        uris = [body["callback_url"]]  # Clerk's deprecated single-URI field
    if uris is None:
        return None
    if not isinstance(uris, list) or len(uris) > 100:
        raise invalid("redirect_uris", "redirect_uris must be a list of at most 100 URIs")
    return tuple(dict.fromkeys(check_redirect_uri(u) for u in uris))


def _flag(body: dict[str, Any], key: str) -> bool | None:
    value = body.get(key)
    if value is not None and not isinstance(value, bool):
        raise invalid(key, f"{key} must be a boolean")
    return value


def _name(body: dict[str, Any], required: bool) -> str | None:
    name = text(body, "name", required=required)
    if name is not None and not 1 <= len(name.strip()) <= NAME_MAX:
        raise invalid("name", f"name must be 1 to {NAME_MAX} characters", "form_param_value_invalid")
    return name.strip() if name is not None else None


_KNOWN = {
    "name",
    "redirect_uris",
    "callback_url",
    "scopes",
    "consent_screen_enabled",
    "pkce_required",
    "public",
}


def _refuse_unknown(body: dict[str, Any]) -> None:
    for key in body:
        if key not in _KNOWN:
            raise IdentityError(422, "form_param_unknown", f"{key} is not a recognized parameter",
                                f"{key} is not a parameter of OAuth applications.", {"param_name": key})  # fmt: skip


async def _get(ident: Identity, app_id: str) -> OAuthApp:
    async with ident.store.db.reader() as c:
        app = await db.get_app(c, app_id)
    if app is None:
        raise not_found("OAuth application")
    return app


@router.post("/oauth_applications")
async def create(request: Request) -> dict[str, Any]:
    """Create an application; the answer carries its ``client_secret`` (confidential clients) once."""
    ident = service(request)
    body = await json_body(request)
    _refuse_unknown(body)
    name = _name(body, required=True) or ""
    public = bool(_flag(body, "public"))
    secret = None if public else _random(32)
    now = now_ms()
    app = OAuthApp(
        id=new_id("oa"), client_id=_random(16), client_secret_sha256=db.digest(secret) if secret else None,
        name=name, redirect_uris=_redirect_uris(body) or (),
        scopes=check_scopes(body["scopes"]) if body.get("scopes") is not None else DEFAULT_SCOPES,
        consent_screen_enabled=_flag(body, "consent_screen_enabled") is not False,
        pkce_required=bool(_flag(body, "pkce_required")) or public, public=public, created_at=now, updated_at=now,
    )  # fmt: skip
    async with ident.store.db.transaction() as tx:
        await db.insert_app(tx, app)
    return app_json(ident, app, secret)


@router.get("/oauth_applications")
async def list_apps(request: Request) -> dict[str, Any]:
    """A page of applications, ``{"data": [...], "total_count": n}``; ``order_by`` ±created_at or ±name."""
    ident = service(request)
    q = request.query_params
    order = (
        q.get("order_by") or ""
    ).strip() or "+created_at"  # a bare "+" in a query string reads as a space
    descending = order.startswith("-")
    key = order.lstrip("+-")
    if key not in db.ORDERS:
        raise invalid("order_by", "order_by must be created_at or name, optionally with + or -",
                      "form_param_value_invalid")  # fmt: skip
    try:
        limit, offset = int(q.get("limit") or 10), int(q.get("offset") or 0)
    except ValueError:
        raise invalid("limit", "limit and offset must be integers") from None
    if not 1 <= limit <= 500 or not 0 <= offset <= 2**31:
        raise invalid("limit", "limit must be 1 to 500 and offset at least 0", "form_param_value_invalid")
    async with ident.store.db.reader() as c:
        apps, total = await db.list_apps(c, name_query=q.get("name_query") or None, order_by=key,
                                         descending=descending, limit=limit, offset=offset)  # fmt: skip
    return {"data": [app_json(ident, a) for a in apps], "total_count": total}


@router.get("/oauth_applications/{app_id}")
async def get(request: Request, app_id: str) -> dict[str, Any]:
    """One application."""
    ident = service(request)
    return app_json(ident, await _get(ident, app_id))


@router.patch("/oauth_applications/{app_id}")
async def update(request: Request, app_id: str) -> dict[str, Any]:
    """Change the fields given; a public client always requires PKCE and has no secret."""
    ident = service(request)
    body = await json_body(request)
    _refuse_unknown(body)
    changes: dict[str, Any] = {}
    if (name := _name(body, required=False)) is not None:
        changes["name"] = name
    if (uris := _redirect_uris(body)) is not None:
        changes["redirect_uris"] = uris
    if body.get("scopes") is not None:
        changes["scopes"] = check_scopes(body["scopes"])
    for key in ("consent_screen_enabled", "pkce_required", "public"):
        if (value := _flag(body, key)) is not None:
            changes[key] = value
    async with ident.store.db.transaction() as tx:
        app = await db.get_app(tx, app_id)
        if app is None:
            raise not_found("OAuth application")
        app = replace(app, **changes, updated_at=now_ms())
        if app.public:
            app = replace(app, client_secret_sha256=None, pkce_required=True)
        await db.save_app(tx, app)
    return app_json(ident, app)


@router.delete("/oauth_applications/{app_id}")
async def delete(request: Request, app_id: str) -> dict[str, Any]:
    """Delete an application; its codes, tokens and consents go with it."""
    ident = service(request)
    async with ident.store.db.transaction() as tx:
        if not await db.delete_app(tx, app_id):
            raise not_found("OAuth application")
    return {"object": "oauth_application", "id": app_id, "deleted": True}


@router.post("/oauth_applications/{app_id}/rotate_secret")
async def rotate_secret(request: Request, app_id: str) -> dict[str, Any]:
    """A new client secret; the old one stops working at once."""
    ident = service(request)
    secret = _random(32)
    async with ident.store.db.transaction() as tx:
        app = await db.get_app(tx, app_id)
        if app is None:
            raise not_found("OAuth application")
        if app.public:
            raise IdentityError(403, "oauth_application_public", "A public client has no secret",
                                "Public OAuth applications authenticate with PKCE and have no client secret.")  # fmt: skip
        app = replace(app, client_secret_sha256=db.digest(secret), updated_at=now_ms())
        await db.save_app(tx, app)
    return app_json(ident, app, secret)


@router.post("/oauth_applications/{app_id}/revoke_token")
async def revoke_token(request: Request, app_id: str) -> Response:
    """Revoke an access or refresh token of this application and every token of the same grant."""
    ident = service(request)
    body = await json_body(request)
    token = text(body, "token", required=True) or ""
    await _get(ident, app_id)
    async with ident.store.db.transaction() as tx:
        found = await db.token_by_access(tx, db.digest(token)) or await db.token_by_refresh(
            tx, db.digest(token)
        )
        if found is None or found.application_id != app_id:
            raise not_found("OAuth token")
        await db.revoke_grant(tx, found.grant_id, now_ms())
    return Response(status_code=204)


@router.post("/oauth_applications/access_tokens/verify")
async def verify_access_token(request: Request) -> dict[str, Any]:
    """What an access token is (client, subject, scopes) and whether it is revoked or expired; 404 if unknown."""
    ident = service(request)
    body = await json_body(request)
    token = text(body, "access_token") or text(body, "secret")
    if not token:
        raise IdentityError(400, "form_param_missing", "access_token must be included.",
                            "Send the OAuth access token to verify as access_token.", {"param_name": "access_token"})  # fmt: skip
    async with ident.store.db.reader() as c:
        found = await db.token_by_access(c, db.digest(token))
        app = await db.get_app(c, found.application_id) if found else None
    if found is None or app is None:
        raise IdentityError(404, "resource_not_found", "not found", "OAuth access token not found")
    now = now_ms()
    return {
        "object": "clerk_idp_oauth_access_token", "id": found.id, "client_id": app.client_id,
        "subject": found.user_id, "scopes": found.scope.split(), "revoked": found.revoked_at is not None,
        "revocation_reason": "revoked" if found.revoked_at is not None else None,
        "expired": found.expires_at <= now, "expiration": found.expires_at, "created_at": found.issued_at,
        "updated_at": found.revoked_at or found.issued_at,
    }  # fmt: skip
