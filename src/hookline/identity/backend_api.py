"""Clerk's Backend API subset at ``/v1``: users, email addresses, sessions, JWKS, guarded by the secret key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from hookline.identity import user_query
from hookline.identity.errors import IdentityError, invalid
from hookline.identity.events import APP_UID
from hookline.identity.http import json_body, request_info, require_secret_key, service, text
from hookline.identity.resources import email_api

router = APIRouter(prefix="/v1", dependencies=[Depends(require_secret_key)], tags=["identity"])
public = APIRouter(prefix="/v1", tags=["identity"])


def _int(request: Request, key: str, default: int | None, lo: int, hi: int) -> int | None:
    raw = request.query_params.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(key, f"{key} must be an integer") from None
    if not lo <= value <= hi:
        raise invalid(key, f"{key} must be between {lo} and {hi}", "form_param_value_invalid")
    return value


# -- users -----------------------------------------------------------------------------------------
@router.get("/users")
async def list_users(request: Request) -> JSONResponse:
    """Users, newest first by default; a bare JSON array, as Clerk answers."""
    ident = service(request)
    limit = _int(request, "limit", 10, 1, 500) or 10
    offset = _int(request, "offset", 0, 0, 2**31) or 0
    query, order_by = user_query.parse(request), user_query.first_order_by(request)
    async with ident.store.db.reader() as c:
        found = await user_query.search(c, query, order_by, limit, offset)
    return JSONResponse([ident.user_json(u) for u in found])


@router.get("/users/count")
async def count_users(request: Request) -> dict[str, Any]:
    """How many users match the filters."""
    query = user_query.parse(request)
    async with service(request).store.db.reader() as c:
        return {"object": "total_count", "total_count": await user_query.count(c, query)}


@router.post("/users")
async def create_user(request: Request) -> dict[str, Any]:
    """Create a user (``user.created``)."""
    ident = service(request)
    body = await json_body(request)
    addresses = body.get("email_address") or []
    if isinstance(addresses, str):
        addresses = [addresses]
    if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
        raise invalid("email_address", "email_address must be a list of strings")
    if body.get("password_digest"):
        raise IdentityError(422, "form_param_unknown", "password_digest is not supported",
                            "Importing password digests is not supported; send password instead.",
                            {"param_name": "password_digest"})  # fmt: skip
    for key in ("first_name", "last_name", "username", "external_id", "locale"):
        text(body, key)
    user = await ident.create_user(
        request_info(request), email_addresses=addresses, password=text(body, "password"),
        skip_password_checks=bool(body.get("skip_password_checks")), fields=body,
    )  # fmt: skip
    return ident.user_json(user)


@router.get("/users/{user_id}")
async def get_user(request: Request, user_id: str) -> dict[str, Any]:
    """One user."""
    ident = service(request)
    return ident.user_json(await ident.get_user(user_id))


@router.patch("/users/{user_id}")
async def update_user(request: Request, user_id: str) -> dict[str, Any]:
    """Change a user's fields (``user.updated``)."""
    ident = service(request)
    body = await json_body(request)
    for key in (
        "first_name",
        "last_name",
        "username",
        "external_id",
        "locale",
        "password",
        "primary_email_address_id",
    ):
        text(body, key)
    return ident.user_json(await ident.update_user(request_info(request), user_id, body))


@router.delete("/users/{user_id}")
async def delete_user(request: Request, user_id: str) -> dict[str, Any]:
    """Delete a user (``session.removed`` for its sessions, then ``user.deleted``)."""
    return await service(request).delete_user(request_info(request), user_id)


@router.post("/users/{user_id}/ban")
async def ban_user(request: Request, user_id: str) -> dict[str, Any]:
    """Ban a user and revoke their sessions."""
    ident = service(request)
    return ident.user_json(await ident.set_banned(request_info(request), user_id, True))


@router.post("/users/{user_id}/unban")
async def unban_user(request: Request, user_id: str) -> dict[str, Any]:
    """Lift a ban."""
    ident = service(request)
    return ident.user_json(await ident.set_banned(request_info(request), user_id, False))


@router.post("/users/{user_id}/lock")
async def lock_user(request: Request, user_id: str) -> dict[str, Any]:
    """Lock a user out of signing in."""
    ident = service(request)
    return ident.user_json(await ident.set_locked(request_info(request), user_id, True))


@router.post("/users/{user_id}/unlock")
async def unlock_user(request: Request, user_id: str) -> dict[str, Any]:
    """Unlock a user and clear their failed attempts."""
    ident = service(request)
    return ident.user_json(await ident.set_locked(request_info(request), user_id, False))


@router.patch("/users/{user_id}/metadata")
async def merge_metadata(request: Request, user_id: str) -> dict[str, Any]:
    """Deep-merge metadata; a ``null`` value removes its key."""
    ident = service(request)
    body = await json_body(request)
    return ident.user_json(await ident.update_metadata(request_info(request), user_id, body, merge=True))


@router.put("/users/{user_id}/metadata")
async def replace_metadata(request: Request, user_id: str) -> dict[str, Any]:
    """Replace the metadata objects given."""
    ident = service(request)
    body = await json_body(request)
    return ident.user_json(await ident.update_metadata(request_info(request), user_id, body, merge=False))


@router.post("/users/{user_id}/verify_password")
async def verify_password(request: Request, user_id: str) -> dict[str, Any]:
    """``{"verified": true}`` for the right password; 422 ``incorrect_password`` otherwise."""
    body = await json_body(request)
    password = text(body, "password", required=True) or ""
    if not await service(request).check_password(request_info(request), user_id, password):
        raise IdentityError(422, "incorrect_password", "Password is incorrect", "The password is incorrect.",
                            {"param_name": "password"})  # fmt: skip
    return {"verified": True}


# -- email addresses -------------------------------------------------------------------------------
@router.post("/email_addresses")
async def create_email_address(request: Request) -> dict[str, Any]:
    """Add an email address to a user (``user.updated``)."""
    ident = service(request)
    body = await json_body(request)
    email = await ident.add_email(
        request_info(request), text(body, "user_id", required=True) or "",
        text(body, "email_address", required=True) or "", verified=body.get("verified") is not False,
        primary=bool(body.get("primary")), notify=bool(body.get("notify_primary_email_address_changed")),
    )  # fmt: skip
    return email_api(email)


@router.get("/email_addresses/{email_address_id}")
async def get_email_address(request: Request, email_address_id: str) -> dict[str, Any]:
    """One email address."""
    return email_api(await service(request).get_email(email_address_id))


@router.delete("/email_addresses/{email_address_id}")
async def delete_email_address(request: Request, email_address_id: str) -> dict[str, Any]:
    """Remove an email address (not the primary one while others remain)."""
    return await service(request).delete_email(request_info(request), email_address_id)


# -- sessions --------------------------------------------------------------------------------------
@router.get("/sessions")
async def list_sessions(request: Request) -> JSONResponse:
    """Sessions, newest first, filtered by ``user_id``, ``client_id`` and ``status``."""
    ident = service(request)
    user_id = request.query_params.get("user_id")
    client_id = request.query_params.get("client_id")
    if not user_id and not client_id:
        raise IdentityError(422, "form_param_missing", "user_id or client_id must be included.",
                            "Filter sessions by user_id or client_id.", {"param_name": "user_id"})  # fmt: skip
    found, total = await ident.list_sessions(
        user_id=user_id, client_id=client_id, status=request.query_params.get("status") or None,
        limit=_int(request, "limit", 10, 1, 500) or 10, offset=_int(request, "offset", 0, 0, 2**31) or 0,
    )  # fmt: skip
    data = [ident.session_json(s) for s in found]
    if request.query_params.get("paginated") == "true":
        return JSONResponse({"data": data, "total_count": total})
    return JSONResponse(data)


@router.post("/sessions")
async def create_session(request: Request) -> dict[str, Any]:
    """Open a session for a user (``session.created``), as Clerk's testing helper does."""
    ident = service(request)
    body = await json_body(request)
    signed = await ident.create_session(request_info(request), text(body, "user_id", required=True) or "")
    return ident.session_json(signed.session)


@router.get("/sessions/{session_id}")
async def get_session(request: Request, session_id: str) -> dict[str, Any]:
    """One session."""
    ident = service(request)
    return ident.session_json(await ident.get_session(session_id))


@router.post("/sessions/{session_id}/revoke")
async def revoke_session(request: Request, session_id: str) -> dict[str, Any]:
    """Revoke a session (``session.revoked``): it can no longer get tokens."""
    ident = service(request)
    return ident.session_json(await ident.end_session(request_info(request), session_id, "revoked"))


@router.post("/sessions/{session_id}/tokens")
async def create_session_token(request: Request, session_id: str) -> dict[str, Any]:
    """A fresh session token for an active session, valid ``expires_in_seconds`` (30 s to 10 years) if given."""
    lifetime = (await json_body(request)).get("expires_in_seconds")
    if lifetime is not None and (type(lifetime) is not int or not 30 <= lifetime <= 315_360_000):
        raise invalid("expires_in_seconds", "expires_in_seconds must be a whole number of seconds from 30 to "
                      "315360000", "form_param_value_invalid")  # fmt: skip
    return {"object": "token", "jwt": await service(request).refresh_token(session_id, lifetime=lifetime)}


@router.post("/sessions/{session_id}/verify")
async def verify_session(request: Request, session_id: str) -> dict[str, Any]:
    """Check a session token against its session: the session if both are valid and it is active, else 401."""
    ident = service(request)
    body = await json_body(request)
    session, _ = await ident.verify_token(text(body, "token", required=True) or "")
    if session.id != session_id:
        raise IdentityError(
            401, "token_invalid", "Invalid session token", "The token belongs to another session."
        )
    return ident.session_json(session)


# -- webhooks (Clerk's Svix helpers) ---------------------------------------------------------------
@router.post("/webhooks/svix")
@router.post("/webhooks/svix_url")
async def svix_url(request: Request) -> dict[str, Any]:
    """Create the ``identity`` application if needed; answer, as Clerk does, with a link that opens its
    app portal (endpoints, messages, attempts) in a browser."""
    ident = service(request)
    await ident.ensure_delivery()
    app = await ident.store.get_app(APP_UID)
    if app is None:  # deleted through the Svix API since it was made
        await ident.ensure_delivery(again=True)
        app = await ident.store.get_app(APP_UID)
    if app is None:
        raise IdentityError(409, "conflict", "The webhook application was deleted meanwhile; try again.")
    # given by the composition root: the portal belongs to the dashboard, which identity must not import
    link = await request.app.state.portal_link(request, app.id)
    return {"svix_url": link["url"]}


@public.get("/jwks")
async def jwks(request: Request) -> dict[str, Any]:
    """The public keys that verify session tokens."""
    return service(request).signer.jwks()
