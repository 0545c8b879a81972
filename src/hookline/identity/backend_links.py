"""Clerk's Backend API for sign-up restrictions and links: ``allowlist_identifiers``,
``blocklist_identifiers``, ``redirect_urls``, ``invitations``, ``sign_in_tokens`` and ``actor_tokens``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from hookline.identity import actor_tokens, invitations, restrictions
from hookline.identity.errors import IdentityError, invalid, not_found
from hookline.identity.events import Outbox
from hookline.identity.http import json_body, parse_json, request_info, require_secret_key, service, text
from hookline.identity.invitations import NewInvitation
from hookline.identity.resources import now_ms
from hookline.ids import new_id
from hookline.store import identity_links, identity_lists
from hookline.store.db import Conn
from hookline.store.errors import ConflictError
from hookline.store.identity_lists import RedirectUrl

router = APIRouter(prefix="/v1", dependencies=[Depends(require_secret_key)], tags=["identity"])


def _int(request: Request, key: str, default: int, lo: int, hi: int) -> int:
    raw = request.query_params.get(key)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or not lo <= int(raw) <= hi:
        raise invalid(key, f"{key} must be a whole number from {lo} to {hi}", "form_param_value_invalid")
    return int(raw)


def _only(request: Request, *known: str) -> None:
    """422 for a query parameter the operation does not take (it would otherwise be ignored)."""
    for key in request.query_params:
        if key not in known:
            raise IdentityError(422, "form_param_unknown", f"{key} is not a known query parameter",
                                f"This operation takes no parameter {key!r}.", {"param_name": key})  # fmt: skip


def _page(request: Request) -> tuple[int, int, bool]:
    _only(request, "limit", "offset", "paginated")
    return _int(request, "limit", 10, 1, 500), _int(request, "offset", 0, 0, 2**31), \
        request.query_params.get("paginated") == "true"  # fmt: skip


def _bool(body: dict[str, Any], key: str, default: bool) -> bool:
    value = body.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid(key, f"{key} must be true or false")
    return value


# -- allowlist and blocklist -----------------------------------------------------------------------
async def _list_rules(request: Request, list_name: str, always_paged: bool) -> JSONResponse:
    limit, offset, paged = _page(request)
    ident = service(request)
    async with ident.store.db.reader() as c:
        found, total = await identity_lists.rules(c, list_name, limit, offset)
    data = [restrictions.rule_json(r, ident.instance_id) for r in found]
    return JSONResponse({"data": data, "total_count": total} if paged or always_paged else data)


@router.get("/allowlist_identifiers")
async def list_allowlist(request: Request) -> JSONResponse:
    """The allowlist, newest first (a bare array, or ``{data, total_count}`` with ``paginated=true``)."""
    return await _list_rules(request, "allow", always_paged=False)


@router.post("/allowlist_identifiers")
async def add_allowlist(request: Request) -> dict[str, Any]:
    """Allow an address or ``*@domain`` to sign up; ``notify`` also invites an address."""
    ident = service(request)
    body = await json_body(request)
    identifier = text(body, "identifier", required=True) or ""
    notify = _bool(body, "notify", False)
    invitation_id = None
    if notify:
        if restrictions.normalize_identifier(identifier).startswith("*@"):
            raise invalid("notify", "a domain cannot be notified: notify only an email address",
                          "form_param_value_invalid")  # fmt: skip
        made = await invitations.create_invitation(ident, request_info(request), NewInvitation(
            identifier, {}, None, notify=True, ignore_existing=True, expires_in_days=None))  # fmt: skip
        invitation_id = made["id"]

    async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
        rule = await restrictions.add(tx, "allow", identifier, invitation_id)
        return restrictions.rule_json(rule, ident.instance_id)

    return await ident.change(request_info(request), run)


@router.delete("/allowlist_identifiers/{identifier_id}")
async def delete_allowlist(request: Request, identifier_id: str) -> dict[str, Any]:
    """Take an identifier off the allowlist."""
    async with service(request).store.db.transaction() as tx:
        await restrictions.remove(tx, "allow", identifier_id)
    return {"object": "allowlist_identifier", "id": identifier_id, "deleted": True}


@router.get("/blocklist_identifiers")
async def list_blocklist(request: Request) -> JSONResponse:
    """The blocklist, newest first, as ``{data, total_count}``."""
    return await _list_rules(request, "block", always_paged=True)


@router.post("/blocklist_identifiers")
async def add_blocklist(request: Request) -> dict[str, Any]:
    """Keep an address or ``*@domain`` from signing up."""
    ident = service(request)
    body = await json_body(request)
    async with ident.store.db.transaction() as tx:
        rule = await restrictions.add(tx, "block", text(body, "identifier", required=True) or "")
    return restrictions.rule_json(rule, ident.instance_id)


@router.delete("/blocklist_identifiers/{identifier_id}")
async def delete_blocklist(request: Request, identifier_id: str) -> dict[str, Any]:
    """Take an identifier off the blocklist."""
    async with service(request).store.db.transaction() as tx:
        await restrictions.remove(tx, "block", identifier_id)
    return {"object": "blocklist_identifier", "id": identifier_id, "deleted": True}


# -- redirect URLs ---------------------------------------------------------------------------------
def _redirect_json(r: RedirectUrl) -> dict[str, Any]:
    return {
        "object": "redirect_url",
        "id": r.id,
        "url": r.url,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    }


@router.get("/redirect_urls")
async def list_redirect_urls(request: Request) -> JSONResponse:
    """The redirect URLs (a bare array, or ``{data, total_count}`` with ``paginated=true``)."""
    limit, offset, paged = _page(request)
    async with service(request).store.db.reader() as c:
        found, total = await identity_lists.redirect_urls(c, limit, offset)
    data = [_redirect_json(r) for r in found]
    return JSONResponse({"data": data, "total_count": total} if paged else data)


@router.post("/redirect_urls")
async def create_redirect_url(request: Request) -> dict[str, Any]:
    """Register a URL that invitation links may send people to after signing up (http(s) or an app scheme)."""
    body = await json_body(request)
    url = (text(body, "url", required=True) or "").strip()
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme.isascii() or not scheme.replace("+", "").replace("-", "").replace(".", "").isalnum() \
            or not rest or len(url) > 2048 or any(ch.isspace() for ch in url):  # fmt: skip
        raise invalid("url", f"{url!r} is not a URL", "form_param_format_invalid")
    now = now_ms()
    row = RedirectUrl(new_id("ru"), url, now, now)
    try:
        async with service(request).store.db.transaction() as tx:
            await identity_lists.add_redirect_url(tx, row)
    except ConflictError:
        raise IdentityError(422, "duplicate_record", "duplicate redirect url", f"{url} is registered already.",
                            {"param_name": "url"}) from None  # fmt: skip
    return _redirect_json(row)


@router.get("/redirect_urls/{url_id}")
async def get_redirect_url(request: Request, url_id: str) -> dict[str, Any]:
    """One redirect URL."""
    async with service(request).store.db.reader() as c:
        found = await identity_lists.redirect_url(c, url_id)
    if found is None or found.id != url_id:
        raise not_found("redirect url")
    return _redirect_json(found)


@router.delete("/redirect_urls/{url_id}")
async def delete_redirect_url(request: Request, url_id: str) -> dict[str, Any]:
    """Remove a redirect URL."""
    async with service(request).store.db.transaction() as tx:
        if not await identity_lists.delete_redirect_url(tx, url_id):
            raise not_found("redirect url")
    return {"object": "redirect_url", "id": url_id, "deleted": True}


# -- invitations -----------------------------------------------------------------------------------
def _new_invitation(body: dict[str, Any]) -> NewInvitation:
    metadata = body.get("public_metadata") or {}
    if not isinstance(metadata, dict):
        raise invalid("public_metadata", "public_metadata must be an object")
    days = body.get("expires_in_days")
    if days is not None and (type(days) is not int or not 1 <= days <= 365):
        raise invalid("expires_in_days", "expires_in_days must be a whole number from 1 to 365",
                      "form_param_value_invalid")  # fmt: skip
    slug = text(body, "template_slug")
    if slug not in (None, "invitation"):
        raise invalid("template_slug", "only the invitation template exists (hookline has no waitlist)",
                      "form_param_value_invalid")  # fmt: skip
    redirect_url = text(body, "redirect_url")
    if redirect_url is not None and len(redirect_url) > 2048:
        raise invalid(
            "redirect_url", "redirect_url must be at most 2048 characters", "form_param_max_length_exceeded"
        )
    return NewInvitation(text(body, "email_address", required=True) or "", metadata, redirect_url,
                         _bool(body, "notify", True), _bool(body, "ignore_existing", False), days)  # fmt: skip


@router.post("/invitations")
async def create_invitation(request: Request) -> dict[str, Any]:
    """Invite an address to sign up (``email.created`` with slug ``invitation`` unless ``notify`` is false)."""
    body = await json_body(request)
    return await invitations.create_invitation(service(request), request_info(request), _new_invitation(body))


@router.post("/invitations/bulk")
async def create_invitations(request: Request) -> JSONResponse:
    """Several invitations; each is checked before any is made."""
    raw = await request.body()  # an array, which json_body refuses
    items = parse_json(raw) if raw.strip() else None
    if (
        not isinstance(items, list)
        or not items
        or not all(isinstance(i, dict) for i in items)
        or len(items) > 100
    ):
        raise invalid("body", "send an array of 1 to 100 invitation objects")
    news = [_new_invitation(i) for i in items]
    ident, info = service(request), request_info(request)
    return JSONResponse([await invitations.create_invitation(ident, info, n) for n in news])


@router.get("/invitations")
async def list_invitations(request: Request) -> JSONResponse:
    """Invitations filtered by ``status`` and ``query`` (the address), ordered by ``±created_at``."""
    _only(request, "limit", "offset", "paginated", "status", "query", "order_by")
    status = request.query_params.get("status") or None
    if status not in (None, "pending", "accepted", "revoked", "expired"):
        raise invalid(
            "status", "status must be pending, accepted, revoked or expired", "form_param_value_invalid"
        )
    order_by = request.query_params.get("order_by") or "-created_at"
    if order_by.lstrip("+-") != "created_at":
        raise invalid(
            "order_by", "invitations can be ordered by created_at (+ or -)", "form_param_value_invalid"
        )
    limit, offset = _int(request, "limit", 10, 1, 500), _int(request, "offset", 0, 0, 2**31)
    at = now_ms()
    async with service(request).store.db.reader() as c:
        found, total = await identity_links.invitations(c, status=status, query=request.query_params.get("query"),
                                                        descending=order_by.startswith("-"), limit=limit,
                                                        offset=offset, at_ms=at)  # fmt: skip
    data = [invitations.invitation_json(i, at_ms=at) for i in found]
    return JSONResponse(
        {"data": data, "total_count": total} if request.query_params.get("paginated") == "true" else data
    )


@router.post("/invitations/{invitation_id}/revoke")
async def revoke_invitation(request: Request, invitation_id: str) -> dict[str, Any]:
    """Revoke a pending invitation: its link no longer works."""
    return await invitations.revoke_invitation(service(request), request_info(request), invitation_id)


# -- sign-in tokens --------------------------------------------------------------------------------
@router.post("/sign_in_tokens")
async def create_sign_in_token(request: Request) -> dict[str, Any]:
    """A one-time sign-in link for ``user_id``, valid ``expires_in_seconds`` (30 days by default)."""
    body = await json_body(request)
    if body.get("org_id") is not None:
        raise invalid("org_id", "sign-in tokens do not take org_id", "form_param_value_invalid")
    seconds = body.get("expires_in_seconds", 2_592_000)
    if type(seconds) is not int or not 1 <= seconds <= 315_360_000:
        raise invalid("expires_in_seconds", "expires_in_seconds must be a whole number from 1 to 315360000",
                      "form_param_value_invalid")  # fmt: skip
    return await invitations.create_sign_in_token(
        service(request), request_info(request), text(body, "user_id", required=True) or "", seconds
    )


@router.post("/sign_in_tokens/{sign_in_token_id}/revoke")
async def revoke_sign_in_token(request: Request, sign_in_token_id: str) -> dict[str, Any]:
    """Revoke a pending sign-in token."""
    return await invitations.revoke_sign_in_token(service(request), request_info(request), sign_in_token_id)


# -- actor tokens (impersonation) ------------------------------------------------------------------
def _seconds(body: dict[str, Any], key: str, default: int, hi: int) -> int:
    value = body.get(key, default)
    if value is None:
        return default
    if type(value) is not int or not 1 <= value <= hi:
        raise invalid(key, f"{key} must be a whole number from 1 to {hi}", "form_param_value_invalid")
    return value


@router.post("/actor_tokens")
async def create_actor_token(request: Request) -> dict[str, Any]:
    """A link that signs ``actor`` in as ``user_id`` (valid ``expires_in_seconds``, 3600 by default), into a
    session of at most ``session_max_duration_in_seconds`` (1800)."""
    body = await json_body(request)
    return await actor_tokens.create(
        service(request), request_info(request), text(body, "user_id", required=True) or "",
        actor_tokens.check_actor(body.get("actor")), _seconds(body, "expires_in_seconds", 3600, 315_360_000),
        _seconds(body, "session_max_duration_in_seconds", 1800, 315_360_000),
    )  # fmt: skip


@router.post("/actor_tokens/{actor_token_id}/revoke")
async def revoke_actor_token(request: Request, actor_token_id: str) -> dict[str, Any]:
    """Revoke a pending actor token."""
    return await actor_tokens.revoke(service(request), request_info(request), actor_token_id)
