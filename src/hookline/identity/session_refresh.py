"""``sessions.refresh`` of Clerk's Backend API: a new session token for an expired one.

Clerk checks the expired ``__session`` token, the ``__refresh`` token its handshake set, and the
origin of the request; hookline's long-lived credential is the ``__client`` cookie's
``{session_id}.{secret}``, so that is the ``refresh_token`` it takes. Every failed check is a 401, as
Clerk answers (its SDKs then fall back to the handshake).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from hookline.identity.errors import IdentityError, invalid
from hookline.identity.http import json_body, require_secret_key, service, text
from hookline.identity.redirects import normalized_origin
from hookline.identity.tokens import TOKEN_SECONDS

router = APIRouter(prefix="/v1", dependencies=[Depends(require_secret_key)], tags=["identity"])
FORMATS = ("token", "cookie")


def _refused(long_message: str) -> IdentityError:
    return IdentityError(401, "authentication_invalid", "Invalid authentication", long_message)


@router.post("/sessions/{session_id}/refresh")
async def refresh_session(request: Request, session_id: str) -> dict[str, Any]:
    """A fresh session token for an active session, given its expired token and its client credential;
    ``format`` ``token`` (the default) answers the JWT, ``cookie`` the ``__session`` cookie that carries it."""
    ident = service(request)
    body = await json_body(request)
    expired = text(body, "expired_token", required=True) or ""
    refresh = text(body, "refresh_token", required=True) or ""
    origin_text = text(body, "request_origin", required=True) or ""
    fmt = body.get("format") or "token"
    if fmt not in FORMATS:
        raise invalid("format", "format must be token or cookie", "form_param_value_invalid")
    for key in ("request_headers",):
        if body.get(key) is not None and not isinstance(body[key], dict):
            raise invalid(key, f"{key} must be an object")
    if body.get("request_originating_ip") is not None and not isinstance(body["request_originating_ip"], str):
        raise invalid("request_originating_ip", "request_originating_ip must be a string")
    origin = normalized_origin(origin_text)
    if origin is None or origin not in ident.authorized_parties:
        raise _refused("request_origin is not an origin this instance signs users in for.")
    claims = ident.signer.verify(expired, ident.authorized_parties, expired_ok=True)
    if claims.sid != session_id:
        raise _refused("The expired token belongs to another session.")
    if claims.azp and claims.azp.lower() != origin:
        raise _refused("The expired token was issued to another origin (azp).")
    if refresh.partition(".")[0] != session_id:
        raise _refused("The refresh token belongs to another session.")
    session, user = await ident.verify_client_token(
        refresh
    )  # 401 unless it is the session's and it is active
    if user.id != claims.sub:
        raise _refused("The expired token belongs to another user.")
    jwt = await ident.refresh_token(session.id, claims.azp)
    if fmt == "token":
        return {"object": "token", "jwt": jwt}
    secure = "; Secure" if origin.startswith("https://") else ""
    return {
        "object": "cookies",
        "cookies": [f"__session={jwt}; Path=/; Max-Age={TOKEN_SECONDS}; SameSite=Lax{secure}"],
    }
