"""Session tokens hookline verifies itself are checked for their issuer and authorized party (azp)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import jwt
import pytest

from tests.support.servers import HooklineServer

PASSWORD = "correct horse battery staple 9"


@pytest.fixture
def signed_in(hookline_server: HooklineServer) -> Iterator[tuple[httpx.Client, dict]]:
    with httpx.Client(base_url=hookline_server.url) as http:
        body = http.post(
            "/identity/sign_up", json={"email_address": "ada@example.org", "password": PASSWORD}
        ).json()
        http.cookies.clear()  # from here on only the bearer token speaks
        yield http, body


def _mint(server: HooklineServer, claims: dict) -> str:
    signer = server.app.state.identity.signer
    now = int(time.time())
    base = {"iat": now, "nbf": now - 5, "exp": now + 60, "iss": signer.issuer}
    return jwt.encode({**base, **claims}, signer._private, algorithm="RS256", headers={"kid": signer.kid})


def _me(http: httpx.Client, token: str, origin: str | None = None) -> int:
    headers = {"authorization": f"Bearer {token}"}
    if origin:
        headers["origin"] = origin
    return http.get("/identity/me", headers=headers).status_code


def test_a_token_from_another_issuer_is_refused(hookline_server: HooklineServer, signed_in: tuple) -> None:
    http, body = signed_in
    who = {"sub": body["user"]["id"], "sid": body["session"]["id"]}
    assert _me(http, _mint(hookline_server, who)) == 200
    assert _me(http, _mint(hookline_server, {**who, "iss": "https://other-instance.example"})) == 401
    no_iss = _mint(hookline_server, who)
    claims = jwt.decode(no_iss, options={"verify_signature": False})
    claims.pop("iss")
    signer = hookline_server.app.state.identity.signer
    stripped = jwt.encode(claims, signer._private, algorithm="RS256", headers={"kid": signer.kid})
    assert _me(http, stripped) == 401


def test_a_token_for_an_unauthorized_party_is_refused(
    hookline_server: HooklineServer, signed_in: tuple
) -> None:
    http, body = signed_in
    who = {"sub": body["user"]["id"], "sid": body["session"]["id"]}
    assert _me(http, _mint(hookline_server, {**who, "azp": "https://evil.example"})) == 401
    ident = hookline_server.app.state.identity
    ident.authorized_parties = ident.authorized_parties | {"https://app.example.org"}
    token = _mint(hookline_server, {**who, "azp": "https://app.example.org"})
    assert _me(http, token, origin="https://app.example.org") == 200
    assert _me(http, token, origin="https://other.example.org") == 401  # used from another origin


def test_sign_in_gives_no_azp_to_an_unauthorized_origin(hookline_server: HooklineServer) -> None:
    with httpx.Client(base_url=hookline_server.url) as http:
        http.post("/identity/sign_up", json={"email_address": "ada@example.org", "password": PASSWORD})
        token = http.post("/identity/token", headers={"origin": hookline_server.url}).json()["jwt"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["azp"] == hookline_server.url and claims["iss"] == hookline_server.url
