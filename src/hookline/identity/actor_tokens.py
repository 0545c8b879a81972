"""Impersonation (Backend API ``actor_tokens``): a one-time link that signs an actor (an administrator,
``actor.sub``) in as a user, in a session that shows the ``actor`` and whose tokens carry Clerk's
``act`` claim, and that lasts at most ``session_max_duration_in_seconds``."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from hookline.identity import codes, sessions, users
from hookline.identity.errors import IdentityError, invalid, not_found
from hookline.identity.events import Outbox, RequestInfo
from hookline.identity.resources import Session, now_ms
from hookline.identity.service import Identity, SignedIn
from hookline.ids import new_id
from hookline.store import identity_actors
from hookline.store.db import Conn
from hookline.store.identity_actors import ActorTokenRow

TOKEN_PREFIX = "actt_"


def actor_token_json(t: ActorTokenRow, token: str | None = None, url: str | None = None) -> dict[str, Any]:
    """An ``actor_token`` object; ``token`` and ``url`` only when it was just made."""
    out = {"object": "actor_token", "id": t.id, "status": t.status, "user_id": t.user_id, "actor": t.actor,
           "created_at": t.created_at, "updated_at": t.updated_at}  # fmt: skip
    if token:
        out |= {"token": token, "url": url}
    return out


def check_actor(actor: Any) -> dict[str, Any]:
    """The ``actor`` object: must hold a string ``sub``; other keys are kept (up to 8 KiB of JSON)."""
    if not isinstance(actor, dict) or not isinstance(actor.get("sub"), str) or not actor["sub"].strip():
        raise invalid("actor", "actor must be an object with a sub (who acts)", "form_param_missing")
    if len(repr(actor)) > 8192:
        raise invalid("actor", "actor must be at most 8 KiB", "form_param_max_length_exceeded")
    return actor


async def create(
    ident: Identity, request: RequestInfo, user_id: str, actor: dict[str, Any], expires_in_seconds: int,
    session_max_seconds: int,
) -> dict[str, Any]:  # fmt: skip
    """An actor token for a user; its link opens ``/sign-in/ticket`` on this server."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    url = f"{ident.base_url}/sign-in/ticket?__clerk_ticket={quote(token)}"

    async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
        if await users.get(tx, user_id) is None:
            raise not_found("user")
        now = now_ms()
        row = ActorTokenRow(new_id("act"), user_id, codes.token_digest(token), "pending",
                            now + expires_in_seconds * 1000, session_max_seconds, now, now, actor)  # fmt: skip
        await identity_actors.add(tx, row)
        return actor_token_json(row, token, url)

    return await ident.change(request, run)


async def revoke(ident: Identity, request: RequestInfo, link_id: str) -> dict[str, Any]:
    """Revoke a pending actor token; 400 if it was used or revoked."""

    async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
        found = await identity_actors.get(tx, link_id)
        if found is None or found.id != link_id:
            raise not_found("actor token")
        if not await identity_actors.set_status(tx, found.id, "revoked", now_ms()):
            raise IdentityError(400, "actor_token_not_pending", "Only pending actor tokens can be revoked.",
                                f"The actor token is {found.status}.")  # fmt: skip
        done = await identity_actors.get(tx, found.id)
        assert done is not None
        return actor_token_json(done)

    return await ident.change(request, run)


async def use(ident: Identity, request: RequestInfo, token: str) -> SignedIn:
    """Open the impersonated session of an actor token's link (once): ``session.created`` shows the actor."""

    async def run(tx: Conn, out: Outbox) -> SignedIn:
        found = await identity_actors.get(tx, codes.token_digest(token))
        now = now_ms()
        if (
            found is None
            or found.expire_at <= now
            or not await identity_actors.set_status(tx, found.id, "accepted", now)
        ):
            raise IdentityError(422, "ticket_invalid", "This link is no longer valid.",
                                "The link expired, was revoked or was used already.", {"param_name": "ticket"})  # fmt: skip
        user = await users.get(tx, found.user_id)
        if user is None:
            raise not_found("user")
        secret = secrets.token_urlsafe(32)
        lifetime_ms = min(found.session_max_seconds, ident.policy.session_seconds) * 1000
        s = Session(
            id=new_id("sess"), user_id=user.id, client_id=new_id("client"), secret_hash=sessions.secret_digest(secret),
            status="active", client_ip=request.client_ip or None, user_agent=request.user_agent or None,
            last_active_at=now, expire_at=now + lifetime_ms, abandon_at=now + lifetime_ms, created_at=now,
            updated_at=now, actor=found.actor,
        )  # fmt: skip
        await sessions.insert(tx, s)
        await identity_actors.set_session_actor(tx, s.id, found.actor)
        out.add("session.created", ident.session_json(s, user))
        return SignedIn(user, s, ident.signer.issue(user.id, s.id, act=found.actor), f"{s.id}.{secret}")

    return await ident.change(request, run)
