"""Session tokens: Clerk's own ``verify_token`` accepts ours; revoked, ended and expired sessions are refused."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest
from clerk_backend_api import Clerk
from clerk_backend_api.security import verify_token
from clerk_backend_api.security.types import TokenVerificationError, VerifyTokenOptions

from tests.identity.conftest import PASSWORD, create_user
from tests.support.servers import HooklineServer


def sign_in(http: httpx.Client, email: str = "ada@example.org", origin: str | None = None) -> dict:
    headers = {"origin": origin} if origin else {}
    resp = http.post(
        "/identity/sign_in", json={"email_address": email, "password": PASSWORD}, headers=headers
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def options(server: HooklineServer, **extra: object) -> VerifyTokenOptions:
    return VerifyTokenOptions(secret_key=server.secret_key, api_url=server.url, **extra)  # type: ignore[arg-type]


def test_clerk_verify_token_accepts_our_session_token_through_our_jwks(
    server: HooklineServer, clerk: Clerk, http: httpx.Client
) -> None:
    user = create_user(clerk)
    signed = sign_in(http)
    claims = verify_token(signed["token"], options(server))
    assert claims["sub"] == user.id
    assert claims["sid"] == signed["session"]["id"]
    assert claims["iss"] == server.url
    assert claims["nbf"] <= claims["iat"] < claims["exp"] <= claims["iat"] + 60
    assert jwt.get_unverified_header(signed["token"])["kid"] == clerk.jwks.get_jwks().keys[0].kid


def test_clerk_verify_token_accepts_our_token_with_the_public_key_and_checks_azp(
    server: HooklineServer, clerk: Clerk, http: httpx.Client
) -> None:
    create_user(clerk)
    ident = server.app.state.identity
    ident.authorized_parties = ident.authorized_parties | {"https://app.example.org"}
    signed = sign_in(http, origin="https://app.example.org")
    pem = server.app.state.identity.signer.public_pem
    claims = verify_token(
        signed["token"], VerifyTokenOptions(jwt_key=pem, authorized_parties=["https://app.example.org"])
    )
    assert claims["azp"] == "https://app.example.org"
    with pytest.raises(TokenVerificationError):
        verify_token(
            signed["token"], VerifyTokenOptions(jwt_key=pem, authorized_parties=["https://evil.example"])
        )


def test_backend_can_mint_a_token_for_an_active_session(server: HooklineServer, clerk: Clerk) -> None:
    user = create_user(clerk)
    session = clerk.sessions.create(request={"user_id": user.id})
    minted = clerk.sessions.create_token(session_id=session.id)
    assert verify_token(minted.jwt, options(server))["sid"] == session.id


def test_a_revoked_session_is_refused_by_verify_and_gets_no_new_token(
    server: HooklineServer, clerk: Clerk, http: httpx.Client, backend: httpx.Client
) -> None:
    create_user(clerk)
    signed = sign_in(http)
    sid, token = signed["session"]["id"], signed["token"]
    assert backend.post(f"/sessions/{sid}/verify", json={"token": token}).status_code == 200
    assert http.get("/identity/me", headers={"authorization": f"Bearer {token}"}).status_code == 200
    clerk.sessions.revoke(session_id=sid)
    refused = backend.post(f"/sessions/{sid}/verify", json={"token": token})
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["code"] == "session_inactive"
    assert http.get("/identity/me", headers={"authorization": f"Bearer {token}"}).status_code == 401
    assert http.post("/identity/token").status_code == 401  # the client cookie no longer refreshes
    assert backend.post(f"/sessions/{sid}/tokens").status_code == 401


def test_an_ended_session_gets_no_new_token(clerk: Clerk, http: httpx.Client) -> None:
    create_user(clerk)
    sign_in(http)
    assert http.post("/identity/token").status_code == 200
    assert http.post("/identity/sign_out").status_code == 200
    http.cookies.clear()
    signed_out = http.post("/identity/token")
    assert signed_out.status_code == 401


def test_an_expired_token_is_refused_by_clerk_and_by_us(
    server: HooklineServer, clerk: Clerk, backend: httpx.Client
) -> None:
    user = create_user(clerk)
    session = clerk.sessions.create(request={"user_id": user.id})
    expired = server.app.state.identity.signer.issue(user.id, session.id, lifetime=-120)
    with pytest.raises(TokenVerificationError) as err:
        verify_token(expired, options(server))
    assert "expired" in str(err.value).lower()
    resp = backend.post(f"/sessions/{session.id}/verify", json={"token": expired})
    assert resp.status_code == 401 and resp.json()["errors"][0]["code"] == "token_expired"


def test_a_token_signed_by_another_key_is_refused(
    server: HooklineServer, clerk: Clerk, backend: httpx.Client
) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    user = create_user(clerk)
    session = clerk.sessions.create(request={"user_id": user.id})
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = server.app.state.identity.signer.kid
    now = int(time.time())
    forged = jwt.encode({"sub": user.id, "sid": session.id, "iat": now, "nbf": now, "exp": now + 60}, other,
                        algorithm="RS256", headers={"kid": kid})  # fmt: skip
    with pytest.raises(TokenVerificationError):
        verify_token(forged, options(server))
    assert backend.post(f"/sessions/{session.id}/verify", json={"token": forged}).status_code == 401


def test_the_signing_key_survives_a_restart(server: HooklineServer, clerk: Clerk) -> None:
    before = clerk.jwks.get_jwks().keys[0]
    server.stop()
    again = HooklineServer(database_url=server.database_url).start()
    try:
        with Clerk(bearer_auth=again.secret_key, server_url=again.url + "/v1") as c:
            after = c.jwks.get_jwks().keys[0]
    finally:
        again.stop()
    assert (after.kid, after.n) == (before.kid, before.n)
