"""The operator's user pages: create a user, ban or unban, lock or unlock, delete, edit metadata, list and
revoke sessions, and see the events a user produced.

Every change goes through the identity service (``request.app.state.identity``), so each one emits the
webhook events Clerk's dashboard would (``user.created``, ``user.updated``, ``session.revoked``, …).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hookline.dashboard import queries
from hookline.dashboard.auth import Forbidden, Viewer, check_csrf, require_admin
from hookline.dashboard.render import form_data, render
from hookline.identity import directory
from hookline.identity.errors import IdentityError
from hookline.identity.events import RequestInfo
from hookline.identity.service import Identity
from hookline.store.store import Store

router = APIRouter()
ADMIN = Depends(require_admin)
METADATA = ("public_metadata", "private_metadata", "unsafe_metadata")
MAX_METADATA_TEXT = 64 * 1024
SESSIONS_SHOWN = 50
NOTICES = {
    "created": "User created.", "banned": "User banned; every session of it was revoked.",
    "unbanned": "User unbanned.", "locked": "User locked: it cannot sign in until unlocked.",
    "unlocked": "User unlocked; its failed sign-in attempts were cleared.", "metadata": "Metadata saved.",
    "revoked": "Session revoked.",
}  # fmt: skip


def _store(request: Request) -> Store:
    store: Store = request.app.state.runtime.store
    return store


def _identity(request: Request) -> Identity:
    ident: Identity = request.app.state.identity
    return ident


def _info(request: Request) -> RequestInfo:
    return RequestInfo(request.client.host if request.client else "", request.headers.get("user-agent", ""))


async def _installed(request: Request) -> None:
    if not await directory.identity_installed(_store(request)):
        raise Forbidden("The identity service is not installed on this server.", 404)


def _back(user_id: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/dashboard/users/{quote(user_id)}?done={done}", status_code=303)


async def user_view(
    request: Request, viewer: Viewer, user_id: str, status: int = 200, **extra: Any
) -> HTMLResponse:
    await _installed(request)
    store = _store(request)
    ident = _identity(request)
    try:
        user = await ident.get_user(user_id)
    except IdentityError:
        raise Forbidden("No such user (it may have been deleted). Search the users list.", 404) from None
    found, total = await ident.list_sessions(user_id=user.id, client_id=None, status=None, limit=SESSIONS_SHOWN,
                                             offset=0)  # fmt: skip
    rows = await queries.user_events(store, user.id)
    metadata = {k: json.dumps(getattr(user, k), indent=2) for k in METADATA}
    form = extra.pop("form", None) or {}
    return render(request, "user.html", status, viewer=viewer, user=user, sessions=found, sessions_total=total,
                  metadata={k: form.get(k, v) for k, v in metadata.items()}, rows=rows,
                  labels=await queries.endpoint_labels(store, rows), apps=await queries.app_names(store),
                  app_id=await queries.identity_app_id(store),
                  notice=NOTICES.get(request.query_params.get("done", "")), **extra)  # fmt: skip


@router.get("/users/{user_id}", response_class=HTMLResponse)
async def user_page(request: Request, user_id: str, viewer: Viewer = ADMIN) -> Response:
    """One user: profile, state, metadata, sessions, the events it produced, and the actions on it."""
    return await user_view(request, viewer, user_id)


@router.post("/users", response_class=HTMLResponse)
async def create_user(request: Request, viewer: Viewer = ADMIN) -> Response:
    """Create a user with an email address (verified, as an operator vouches for it) and an optional password."""
    await _installed(request)
    form = await form_data(request)
    await check_csrf(request, viewer, form)
    fields = {k: form.get(k, "").strip() or None for k in ("first_name", "last_name")}
    try:
        user = await _identity(request).create_user(
            _info(request), email_addresses=[form.get("email", "").strip()], password=form.get("password") or None,
            fields={k: v for k, v in fields.items() if v},
        )  # fmt: skip
    except IdentityError as exc:
        page = await directory.users(_store(request), None, None)
        return render(request, "users.html", exc.status, viewer=viewer, installed=True, found=page.users, q="",
                      more=page.older, total=page.total, error=exc.long_message, form=form)  # fmt: skip
    return _back(user.id, "created")


async def _act(request: Request, viewer: Viewer) -> dict[str, str]:
    await _installed(request)
    form = await form_data(request)
    await check_csrf(request, viewer, form)
    return form


@router.post("/users/{user_id}/ban")
async def ban(request: Request, user_id: str, viewer: Viewer = ADMIN) -> Response:
    """Ban the user (its sessions end at once), or unban it with ``banned=0``."""
    banned = (await _act(request, viewer)).get("banned", "1") == "1"
    try:
        await _identity(request).set_banned(_info(request), user_id, banned)
    except IdentityError as exc:
        raise Forbidden(exc.long_message, exc.status) from None
    return _back(user_id, "banned" if banned else "unbanned")


@router.post("/users/{user_id}/lock")
async def lock(request: Request, user_id: str, viewer: Viewer = ADMIN) -> Response:
    """Lock the user out of signing in, or unlock it with ``locked=0``."""
    locked = (await _act(request, viewer)).get("locked", "1") == "1"
    try:
        await _identity(request).set_locked(_info(request), user_id, locked)
    except IdentityError as exc:
        raise Forbidden(exc.long_message, exc.status) from None
    return _back(user_id, "locked" if locked else "unlocked")


@router.post("/users/{user_id}/delete", response_class=HTMLResponse)
async def delete(request: Request, user_id: str, viewer: Viewer = ADMIN) -> Response:
    """Delete the user once the form confirms it (its sessions are removed first)."""
    form = await _act(request, viewer)
    if form.get("confirm") != "delete":
        return await user_view(request, viewer, user_id, 422,
                               error="Tick “Yes, delete this user” to confirm; nothing was deleted.")  # fmt: skip
    try:
        await _identity(request).delete_user(_info(request), user_id)
    except IdentityError as exc:
        raise Forbidden(exc.long_message, exc.status) from None
    return RedirectResponse("/dashboard/users?done=deleted", status_code=303)


@router.post("/users/{user_id}/metadata", response_class=HTMLResponse)
async def metadata(request: Request, user_id: str, viewer: Viewer = ADMIN) -> Response:
    """Replace the user's public, private and unsafe metadata with the form's JSON objects."""
    form = await _act(request, viewer)
    body: dict[str, Any] = {}
    for key in METADATA:
        text = form.get(key, "").strip() or "{}"
        label = key.replace("_", " ")
        try:
            if len(text) > MAX_METADATA_TEXT:
                raise ValueError(f"it is over {MAX_METADATA_TEXT // 1024} KiB")
            value = json.loads(text)
            if not isinstance(value, dict):
                raise ValueError("it must be a JSON object")
        except RecursionError:
            return await user_view(
                request, viewer, user_id, 422, error=f"The {label} nests too deeply.", form=form
            )
        except ValueError as exc:
            return await user_view(request, viewer, user_id, 422, error=f"The {label} is not valid: {exc}.",
                                   form=form)  # fmt: skip
        body[key] = value
    try:
        await _identity(request).update_metadata(_info(request), user_id, body, merge=False)
    except IdentityError as exc:
        return await user_view(request, viewer, user_id, exc.status, error=exc.long_message, form=form)
    return _back(user_id, "metadata")


@router.post("/users/{user_id}/sessions/{session_id}/revoke")
async def revoke(request: Request, user_id: str, session_id: str, viewer: Viewer = ADMIN) -> Response:
    """Revoke one of the user's active sessions (it is signed out everywhere at once)."""
    await _act(request, viewer)
    ident = _identity(request)
    try:
        session = await ident.get_session(session_id)
        if session.user_id != user_id:
            raise Forbidden("That session belongs to another user.", 404)
        await ident.end_session(_info(request), session_id, "revoked")
    except IdentityError as exc:
        raise Forbidden(exc.long_message, exc.status) from None
    return _back(user_id, "revoked")
