"""More of Clerk's Backend API on users and email addresses: bulk ban and unban, removing a password,
and updating an email address (``verified``, ``primary``)."""

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
        updated = replace(user, password_hash=None, password_last_updated_at=None, updated_at=now_ms())
        await users.save(tx, updated)
        out.add("user.updated", ident.user_json(updated))
        return updated

    return ident.user_json(await ident.change(request_info(request), run))


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
