"""More of Clerk's Backend API on users and email addresses: bulk ban and unban, removing a password,
marking it compromised, and updating an email address (``verified``, ``primary``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from hookline.identity import emails, users
from hookline.identity.errors import invalid, not_found
from hookline.identity.events import Outbox
from hookline.identity.http import json_body, request_info, require_secret_key, service
from hookline.identity.resources import User, email_api, now_ms
from hookline.store.db import Conn

router = APIRouter(prefix="/v1", dependencies=[Depends(require_secret_key)], tags=["identity"])


def _flag(body: dict[str, Any], key: str) -> bool | None:
    value = body.get(key)
    if value is not None and not isinstance(value, bool):
        raise invalid(key, f"{key} must be true or false")
    return value


async def _bulk(request: Request, banned: bool) -> JSONResponse:
    body = await json_body(request)
    ids = body.get("user_ids")
    if not isinstance(ids, list) or not ids or len(ids) > 100 or not all(isinstance(i, str) for i in ids):
        raise invalid("user_ids", "user_ids must be a list of 1 to 100 user ids")
    ident = service(request)
    async with ident.store.db.reader() as c:  # every id is checked before any user changes
        for user_id in ids:
            if await users.get(c, user_id) is None:
                raise not_found(f"user {user_id}")
    done = [await ident.set_banned(request_info(request), user_id, banned) for user_id in dict.fromkeys(ids)]
    return JSONResponse([ident.user_json(u) for u in done])


@router.post("/users/ban")
async def ban_users(request: Request) -> JSONResponse:
    """Ban several users (their sessions are revoked); answers them."""
    return await _bulk(request, True)


@router.post("/users/unban")
async def unban_users(request: Request) -> JSONResponse:
    """Lift the ban of several users; answers them."""
    return await _bulk(request, False)


@router.post("/users/{user_id}/remove_password")
async def remove_password(request: Request, user_id: str) -> dict[str, Any]:
    """Remove a user's password (``user.updated``): they sign in with a link, or set one by password reset."""
    ident = service(request)

    async def run(tx: Conn, out: Outbox) -> User:
        user = await users.get(tx, user_id)
        if user is None:
            raise not_found("user")
        updated = replace(user, password_hash=None, password_last_updated_at=None, password_compromised_at=None,
                          updated_at=now_ms())  # fmt: skip
        await users.save(tx, updated)
        out.add("user.updated", ident.user_json(updated))
        return updated

    return ident.user_json(await ident.change(request_info(request), run))


@router.post("/users/{user_id}/password/set_compromised")
async def set_password_compromised(request: Request, user_id: str) -> dict[str, Any]:
    """Mark a user's password compromised (``user.updated``): signing in with it is refused with
    ``form_password_compromised`` until it is reset; ``revoke_all_sessions`` also ends every session."""
    body = await json_body(request)
    revoke = _flag(body, "revoke_all_sessions") or False
    return await _compromised(request, user_id, True, revoke)


@router.post("/users/{user_id}/password/unset_compromised")
async def unset_password_compromised(request: Request, user_id: str) -> dict[str, Any]:
    """Mark a user's password as no longer compromised (``user.updated``): it signs in again."""
    return await _compromised(request, user_id, False, False)


async def _compromised(request: Request, user_id: str, compromised: bool, revoke: bool) -> dict[str, Any]:
    ident = service(request)

    async def run(tx: Conn, out: Outbox) -> User:
        user = await users.get(tx, user_id)
        if user is None:
            raise not_found("user")
        if compromised and user.password_hash is None:
            raise invalid(
                "user_id", "the user has no password to mark compromised", "form_param_value_invalid"
            )
        at = now_ms()
        updated = replace(user, password_compromised_at=(user.password_compromised_at or at) if compromised else None,
                          updated_at=at)  # fmt: skip
        await users.save(tx, updated)
        if revoke:
            await ident.revoke_sessions(tx, out, updated, at)
        out.add("user.updated", ident.user_json(updated))
        return updated

    return ident.user_json(await ident.change(request_info(request), run))


@router.put("/users/{user_id}/email_address")
async def replace_email_address(request: Request, user_id: str) -> dict[str, Any]:
    """Replace every email address of a user with one primary address (``user.updated``).

    ``identification_status`` ``verified`` (the default) or ``reserved`` (unverified, yet the user signs in
    with it and no one else can take it, as every address on hookline); ``unverified`` is refused, since
    hookline has no address that cannot be signed in with.
    """
    body = await json_body(request)
    address = body.get("email_address")
    if not isinstance(address, str) or not address.strip():
        raise invalid("email_address", "email_address must be included", "form_param_missing")
    status = body.get("identification_status", "verified")
    if status not in ("verified", "reserved"):
        raise invalid("identification_status", "identification_status must be verified or reserved (hookline "
                      "has no address that cannot be signed in with, so unverified is not taken)",
                      "form_param_value_invalid")  # fmt: skip
    notify = bool(_flag(body, "notify_primary_email_address_changed"))
    email = await service(request).replace_emails(
        request_info(request), user_id, address, reserved=status == "reserved", notify=notify
    )
    return email_api(email)


@router.patch("/email_addresses/{email_address_id}")
async def update_email_address(request: Request, email_address_id: str) -> dict[str, Any]:
    """Mark an address ``verified`` (or not) and make it ``primary`` (``user.updated``, and ``email.created``
    to the old primary with ``notify_primary_email_address_changed``)."""
    ident = service(request)
    body = await json_body(request)
    verified, primary = _flag(body, "verified"), _flag(body, "primary")
    notify = bool(_flag(body, "notify_primary_email_address_changed"))
    if primary is False:
        raise invalid("primary", "an address stops being primary when another one is made primary",
                      "form_param_value_invalid")  # fmt: skip
    email = await ident.get_email(email_address_id)
    if verified is not None:

        async def run(tx: Conn, out: Outbox) -> None:
            at = now_ms()
            await emails.set_verification(
                tx,
                email.id,
                "verified" if verified else "unverified",
                at,
                "admin" if verified else "email_code",
            )
            user = await users.get(tx, email.user_id)
            if user is None:
                raise not_found("user")
            updated = replace(user, updated_at=at)
            await users.save(tx, updated)
            out.add("user.updated", ident.user_json(updated))
            if verified and email.verification_status != "verified":
                await ident.email_verified(tx, out, user.id, email.email_address)

        await ident.change(request_info(request), run)
    if primary:
        await ident.update_user(request_info(request), email.user_id, {
            "primary_email_address_id": email.id, "notify_primary_email_address_changed": notify,
        })  # fmt: skip
    async with ident.store.db.reader() as c:
        fresh = await emails.get(c, email.id)
    if fresh is None:
        raise not_found("email address")
    return email_api(fresh)
