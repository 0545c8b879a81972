"""A FastAPI app that signs its users in with hookline (OpenID Connect) and receives hookline's webhooks.

    export HOOKLINE_URL=http://127.0.0.1:8071            # the issuer
    export OAUTH_CLIENT_ID=... OAUTH_CLIENT_SECRET=...    # from POST /v1/oauth_applications
    export APP_URL=http://127.0.0.1:8000                  # this app; its redirect URI is APP_URL/callback
    export CLERK_WEBHOOK_SIGNING_SECRET=whsec_...         # the identity endpoint's signing secret
    uvicorn --factory app:create_app --port 8000          # run from this folder

``GET /login`` sends the browser to hookline (authorization code flow with PKCE, state and nonce);
``GET /callback`` exchanges the code with Authlib's client and checks the ID token against the keys
the discovery document names; ``GET /`` shows who is signed in. ``POST /webhooks/clerk`` receives
``user.*`` and ``session.*`` events, so the app learns about profile changes and ended sessions.
Sessions and pending sign-ins live in memory: one process, restarts sign everyone out.
"""

from __future__ import annotations

import html
import os
import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from joserfc import jwt
from joserfc.jwk import KeySet

from hookline.receiver import Receiver, SessionEvent, UserEvent
from hookline.receiver.adapters.starlette import webhook_endpoint

COOKIE = "rp_session"


@dataclass
class Config:
    """Where hookline is, who this app is to it, and the webhook secret."""

    issuer: str
    client_id: str
    client_secret: str
    app_url: str
    webhook_secret: str

    @classmethod
    def from_env(cls) -> Config:
        """Read the settings from the environment (see the module docstring)."""
        e = os.environ
        return cls(e["HOOKLINE_URL"].rstrip("/"), e["OAUTH_CLIENT_ID"], e["OAUTH_CLIENT_SECRET"],
                   e["APP_URL"].rstrip("/"), e["CLERK_WEBHOOK_SIGNING_SECRET"])  # fmt: skip


@dataclass
class State:
    """In-memory sign-ins in progress, signed-in browsers, and what the webhooks said."""

    pending: dict[str, dict[str, str]] = field(default_factory=dict)  # state -> nonce, code_verifier
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)  # cookie -> ID token claims
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)  # user id -> latest user from webhooks
    events: list[dict[str, str]] = field(default_factory=list)


def create_app(config: Config | None = None) -> FastAPI:
    """Build the app (settings from the environment unless given)."""
    config = config or Config.from_env()
    state = State()
    receiver = Receiver(config.webhook_secret)

    @receiver.on("user.created", "user.updated")
    def user_changed(event: UserEvent) -> None:
        state.profiles[event.data.id] = {
            "email": event.data.primary_email_address,
            "first_name": event.data.first_name,
        }
        state.events.append({"type": event.type, "user_id": event.data.id})

    @receiver.on("session.created", "session.ended", "session.revoked", "session.removed")
    def session_changed(event: SessionEvent) -> None:
        state.events.append({"type": event.type, "user_id": event.data.user_id})

    async def discovery() -> dict[str, Any]:
        async with httpx.AsyncClient() as http:
            return (
                (await http.get(config.issuer + "/.well-known/openid-configuration"))
                .raise_for_status()
                .json()
            )

    def oauth() -> AsyncOAuth2Client:
        return AsyncOAuth2Client(config.client_id, config.client_secret, scope="openid profile email",
                                 redirect_uri=config.app_url + "/callback", code_challenge_method="S256")  # fmt: skip

    app = FastAPI(title="sign in with hookline")
    app.state.rp = state
    app.add_api_route(
        "/webhooks/clerk", webhook_endpoint(receiver), methods=["POST"], include_in_schema=False
    )

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> str:
        claims = state.sessions.get(request.cookies.get(COOKIE, ""))
        if claims is None:
            return '<p>Not signed in. <a id="login" href="/login">Sign in with hookline</a></p>'
        profile = state.profiles.get(claims["sub"], {})
        name = profile.get("first_name") or claims.get("given_name") or ""
        return f'<p id="who">Signed in as {html.escape(claims.get("email") or "")} ({html.escape(name)})</p>'

    @app.get("/login")
    async def login() -> RedirectResponse:
        meta = await discovery()
        nonce, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(48)
        async with oauth() as client:
            url, st = client.create_authorization_url(
                meta["authorization_endpoint"], nonce=nonce, code_verifier=verifier
            )
        state.pending[st] = {"nonce": nonce, "code_verifier": verifier}
        return RedirectResponse(url, status_code=303)

    @app.get("/callback")
    async def callback(request: Request) -> RedirectResponse:
        st = request.query_params.get("state", "")
        pending = state.pending.pop(st, None)
        if pending is None:
            raise HTTPException(400, "unknown or reused state")
        if "error" in request.query_params:
            raise HTTPException(400, f"sign-in refused: {request.query_params['error']}")
        meta = await discovery()
        async with oauth() as client:
            token = await client.fetch_token(meta["token_endpoint"], authorization_response=str(request.url),
                                             code_verifier=pending["code_verifier"])  # fmt: skip
            keys = KeySet.import_key_set((await client.get(meta["jwks_uri"])).json())
        decoded = jwt.decode(
            token["id_token"], keys, algorithms=meta["id_token_signing_alg_values_supported"]
        )
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": meta["issuer"]}, aud={"essential": True, "value": config.client_id},
            nonce={"essential": True, "value": pending["nonce"]}, exp={"essential": True},
        ).validate(decoded.claims)  # fmt: skip
        cookie = secrets.token_urlsafe(32)
        state.sessions[cookie] = decoded.claims
        resp = RedirectResponse("/", status_code=303)
        resp.set_cookie(COOKIE, cookie, httponly=True, samesite="lax")
        return resp

    @app.get("/events")
    async def events() -> list[dict[str, str]]:
        return state.events

    return app
