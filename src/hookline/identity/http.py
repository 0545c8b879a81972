"""What the identity routes share: the service from the app, request details, JSON bodies, end-user auth."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import JSONResponse

from hookline.identity.errors import IdentityError, unauthorized
from hookline.identity.events import RequestInfo
from hookline.identity.resources import Session, User
from hookline.identity.service import Identity

CLIENT_COOKIE = "__client"  # ``{session_id}.{secret}``, HttpOnly: the long-lived sign-in
SESSION_COOKIE = "__session"  # the short-lived session token, readable by the app's own pages (as Clerk's)


def service(request: Request) -> Identity:
    """The running identity service."""
    return request.app.state.identity


def request_info(request: Request) -> RequestInfo:
    """The caller's address and user agent, for ``event_attributes.http_request``."""
    return RequestInfo(request.client.host if request.client else "", request.headers.get("user-agent", ""))


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object (empty when there is no body); 400 for anything else."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise IdentityError(
            400, "malformed_request", "Malformed request", "The request body is not valid JSON."
        ) from None
    if not isinstance(body, dict):
        raise IdentityError(
            400, "malformed_request", "Malformed request", "The request body must be a JSON object."
        )
    return body


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
        return await ident.verify_token(token.strip())
    client = request.cookies.get(CLIENT_COOKIE)
    if client:
        if request.method not in ("GET", "HEAD") and not same_origin(request):
            raise IdentityError(403, "origin_invalid", "Cross-site request refused",
                                "A request authenticated by cookie must come from this site.")  # fmt: skip
        return await ident.verify_client_token(client)
    raise IdentityError(401, "authentication_invalid", "Not signed in", "Sign in to continue.")


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site (a cookie-borne cross-site request)."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


def error_response(exc: IdentityError) -> JSONResponse:
    """Clerk's error body with the error's status."""
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers or None)
