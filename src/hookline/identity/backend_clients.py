"""Clerk's Backend API ``clients``: list, get, and verify a client's token.

In hookline a client is what a browser keeps in its ``__client`` cookie: ``{session_id}.{secret}``,
one per sign-in. Its sessions are the sessions with its ``client_id``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from hookline.identity import sessions
from hookline.identity.errors import IdentityError, invalid, not_found
from hookline.identity.http import json_body, require_secret_key, service, text
from hookline.identity.resources import Session, now_ms
from hookline.identity.service import Identity
from hookline.store import identity_clients
from hookline.store.db import Conn

router = APIRouter(prefix="/v1", dependencies=[Depends(require_secret_key)], tags=["identity"])


async def _client(ident: Identity, c: Conn, client_id: str) -> dict[str, Any] | None:
    found, _ = await sessions.list_sessions(
        c, user_id=None, client_id=client_id, status=None, limit=500, offset=0, at_ms=now_ms()
    )
    if not found:
        return None
    active = [s for s in found if s.active_at(now_ms())]
    return {
        "object": "client", "id": client_id, "session_ids": [s.id for s in found],
        "sessions": [ident.session_json(s) for s in found], "sign_in_id": None, "sign_up_id": None,
        "last_active_session_id": max(active, key=lambda s: s.last_active_at).id if active else None,
        "last_authentication_strategy": None, "created_at": min(s.created_at for s in found),
        "updated_at": max(s.updated_at for s in found),
    }  # fmt: skip


def _int(request: Request, key: str, default: int, hi: int) -> int:
    raw = request.query_params.get(key)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) > hi:
        raise invalid(key, f"{key} must be a whole number up to {hi}", "form_param_value_invalid")
    return int(raw)


@router.get("/clients")
async def list_clients(request: Request) -> JSONResponse:
    """Clients, newest first (a bare array, or ``{data, total_count}`` with ``paginated=true``)."""
    for key in request.query_params:
        if key not in ("limit", "offset", "paginated"):
            raise invalid(key, f"clients.list takes no parameter {key!r}", "form_param_unknown")
    ident = service(request)
    limit, offset = max(1, _int(request, "limit", 10, 500)), _int(request, "offset", 0, 2**31)
    async with ident.store.db.reader() as c:
        ids, total = await identity_clients.client_ids(c, limit, offset)
        data = [cl for cid in ids if (cl := await _client(ident, c, cid)) is not None]
    return JSONResponse(
        {"data": data, "total_count": total} if request.query_params.get("paginated") == "true" else data
    )


@router.get("/clients/{client_id}")
async def get_client(request: Request, client_id: str) -> dict[str, Any]:
    """One client with its sessions."""
    ident = service(request)
    async with ident.store.db.reader() as c:
        found = await _client(ident, c, client_id)
    if found is None:
        raise not_found("client")
    return found


@router.post("/clients/verify")
async def verify_client(request: Request) -> dict[str, Any]:
    """The client whose token (a ``__client`` cookie's value) is given; 400 if the token is not one."""
    ident = service(request)
    token = text(await json_body(request), "token", required=True) or ""
    sid, _, secret = token.partition(".")
    async with ident.store.db.reader() as c:
        s: Session | None = await sessions.get(c, sid)
        valid = s is not None and bool(secret) and sessions.secret_matches(s, secret)
        found = await _client(ident, c, s.client_id) if valid and s is not None else None
    if found is None:
        raise IdentityError(400, "token_invalid", "Invalid client token", "The token is not a client's token.",
                            {"param_name": "token"})  # fmt: skip
    return found
