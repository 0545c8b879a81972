"""What the identity routes share: the service from the app, request details, JSON bodies, end-user auth."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from hookline.identity.errors import IdentityError, unauthorized
from hookline.identity.events import RequestInfo
from hookline.identity.resources import Session, User
from hookline.identity.service import Identity
from hookline.jsontext import check_storable
from hookline.websafety import cross_site

CLIENT_COOKIE = "__client"  # ``{session_id}.{secret}``, HttpOnly: the long-lived sign-in
SESSION_COOKIE = "__session"  # the short-lived session token, readable by the app's own pages (as Clerk's)


def service(request: Request) -> Identity:
    """The running identity service."""
    ident: Identity = request.app.state.identity
    return ident


def request_info(request: Request) -> RequestInfo:
    """The caller's address and user agent, for ``event_attributes.http_request``."""
    return RequestInfo(request.client.host if request.client else "", request.headers.get("user-agent", ""))


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object (empty when there is no body); 415 unless sent as JSON, 400 for anything else.

    Requiring ``application/json`` keeps a cross-site HTML form (which can only send form encodings and
    ``text/plain``) from posting here without the browser asking first.
    """
    raw = await request.body()
    if not raw.strip():
        return {}
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise IdentityError(415, "unsupported_media_type", "Unsupported media type",
                            "Send the request body as JSON (Content-Type: application/json).")  # fmt: skip
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise IdentityError(
            400, "malformed_request", "Malformed request", "The request body must be a JSON object."
        )
    return body


def parse_json(raw: bytes) -> Any:
    """Parse JSON that can be stored: 400 for bad JSON, nesting too deep, or text that is not Unicode
    (a lone surrogate such as ``"\\ud800"``, which no database can store)."""
    try:
        return check_storable(json.loads(raw))
    except (ValueError, RecursionError):
        raise IdentityError(
            400, "malformed_request", "Malformed request", "The request body is not valid JSON."
        ) from None


def text(body: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    """A string field of a body; 422 naming it when required and missing, or of the wrong type."""
    value = body.get(key)
    if value is None:
        if required:
            raise IdentityError(422, "form_param_missing", f"{key} must be included.", f"{key} must be included.",
                                {"param_name": key})  # fmt: skip
        return None
    if not isinstance(value, str):
        raise IdentityError(422, "form_param_format_invalid", f"{key} must be a string.", f"{key} must be a string.",
                            {"param_name": key})  # fmt: skip
    return value


async def require_secret_key(request: Request) -> None:
    """``/v1`` dependency: ``Authorization: Bearer sk_…`` must carry the instance's secret key."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise unauthorized("The request is missing a secret key: send Authorization: Bearer sk_...")
    if not service(request).secret_key_ok(key.strip()):
        raise unauthorized("The secret key is not valid for this instance.")


async def signed_in(request: Request) -> tuple[Session, User]:
    """The end user making the request: a session token (``Authorization: Bearer``) or the client cookie."""
    ident = service(request)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return await ident.verify_token(token.strip(), request.headers.get("origin"))
    client = request.cookies.get(CLIENT_COOKIE)
    if client:
        if request.method not in ("GET", "HEAD") and cross_site(request, ident.authorized_parties):
            raise IdentityError(403, "origin_invalid", "Cross-site request refused",
                                "A request authenticated by cookie must come from this site.")  # fmt: skip
        return await ident.verify_client_token(client)
    raise IdentityError(401, "authentication_invalid", "Not signed in", "Sign in to continue.")


def refuse_cross_site(request: Request) -> None:
    """403 ``origin_invalid`` for a browser request made by another site (login CSRF on sign-in, sign-up)."""
    if cross_site(request, service(request).authorized_parties):
        raise IdentityError(403, "origin_invalid", "Cross-site request refused",
                            "Signing in and signing up must be done from this site "
                            "(or an origin in HOOKLINE_AUTHORIZED_PARTIES).")  # fmt: skip


def error_response(exc: IdentityError) -> JSONResponse:
    """Clerk's error body with the error's status."""
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers or None)
