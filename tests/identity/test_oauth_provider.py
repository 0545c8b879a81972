"""The OpenID Connect provider over real HTTP: discovery, authorize, consent, token, userinfo, introspection,
revocation; codes are exchanged with Authlib's client and ID tokens verified against the discovery JWKS."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oidc.discovery import OpenIDProviderMetadata
from clerk_backend_api import Clerk, models

from tests.identity.oauth_support import CALLBACK, authorize, csrf, make_app, query, signed_in_browser
from tests.support.servers import HooklineServer


@pytest.fixture
def browser(server: HooklineServer, clerk: Clerk) -> Iterator[httpx.Client]:
    http = signed_in_browser(server.url, clerk)
    yield http
    http.close()


def discovery(server: HooklineServer) -> dict[str, Any]:
    return httpx.get(server.url + "/.well-known/openid-configuration").json()


def verify_id_token(
    server: HooklineServer, id_token: str, client_id: str, nonce: str | None
) -> dict[str, Any]:
    """Check an ID token against the keys the discovery document points to."""
    meta = discovery(server)
    key = jwt.PyJWKClient(meta["jwks_uri"]).get_signing_key_from_jwt(id_token)
    claims = jwt.decode(id_token, key.key, algorithms=meta["id_token_signing_alg_values_supported"],
                        audience=client_id, issuer=meta["issuer"], options={"require": ["exp", "iat", "sub"]})  # fmt: skip
    assert claims.get("nonce") == nonce
    return claims


def code_for(browser: httpx.Client, app: Any, **extra: str) -> str:
    state = secrets.token_urlsafe(8)
    r = authorize(browser, client_id=app.client_id, response_type="code", redirect_uri=CALLBACK,
                  scope="openid profile email", state=state, **extra)  # fmt: skip
    assert r.status_code == 302, r.text
    assert r.headers["location"].startswith(CALLBACK + "?")
    params = query(r.headers["location"])
    assert params["state"] == state
    return params["code"]


def test_discovery_is_valid_openid_provider_metadata(server: HooklineServer) -> None:
    meta = discovery(server)
    OpenIDProviderMetadata(meta).validate()
    assert meta["issuer"] == server.url
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert httpx.get(meta["jwks_uri"]).json() == httpx.get(server.url + "/v1/jwks").json()


def test_confidential_client_signs_in_with_authlibs_client(
    server: HooklineServer, clerk: Clerk, browser: httpx.Client
) -> None:
    app = make_app(clerk)
    meta = discovery(server)
    nonce = secrets.token_urlsafe(12)
    with OAuth2Client(app.client_id, app.client_secret, scope="openid profile email", redirect_uri=CALLBACK,
                      token_endpoint_auth_method="client_secret_basic") as rp:  # fmt: skip
        url, state = rp.create_authorization_url(meta["authorization_endpoint"], nonce=nonce)
        r = browser.get(url)
        assert r.status_code == 302 and query(r.headers["location"])["state"] == state
        token = rp.fetch_token(meta["token_endpoint"], authorization_response=r.headers["location"])
        assert token["token_type"].lower() == "bearer" and token["expires_in"] == 3600
        claims = verify_id_token(server, token["id_token"], app.client_id, nonce)
        user = clerk.users.list(request={})[0]
        assert (
            claims["sub"] == user.id
            and claims["email"] == "ada@example.org"
            and claims["email_verified"] is True
        )
        assert claims["given_name"] == "Ada" and "auth_time" in claims
        info = rp.get(meta["userinfo_endpoint"]).json()
        assert (info["sub"], info["email"], info["name"]) == (user.id, "ada@example.org", "Ada Lovelace")
        refreshed = rp.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])
        assert refreshed["access_token"] != token["access_token"]
        assert refreshed["refresh_token"] != token["refresh_token"]
    # the old access token still works until it expires; a replayed refresh token ends the whole grant
    introspect = httpx.post(meta["introspection_endpoint"], data={"token": refreshed["access_token"]},
                            auth=(app.client_id, app.client_secret))  # fmt: skip
    assert introspect.json()["active"] is True and introspect.json()["sub"] == user.id
    replay = httpx.post(meta["token_endpoint"], data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
                        auth=(app.client_id, app.client_secret))  # fmt: skip
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    for t in (refreshed["access_token"], refreshed["refresh_token"]):
        r = httpx.post(
            meta["introspection_endpoint"], data={"token": t}, auth=(app.client_id, app.client_secret)
        )
        assert r.json() == {"active": False}


def test_public_client_needs_pkce_s256(server: HooklineServer, clerk: Clerk, browser: httpx.Client) -> None:
    app = make_app(clerk, public=True)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    missing = authorize(
        browser, client_id=app.client_id, response_type="code", redirect_uri=CALLBACK, scope="openid"
    )
    assert query(missing.headers["location"])["error"] == "invalid_request"
    plain = authorize(browser, client_id=app.client_id, response_type="code", redirect_uri=CALLBACK, scope="openid",
                      code_challenge=verifier, code_challenge_method="plain")  # fmt: skip
    assert query(plain.headers["location"])["error"] == "invalid_request"
    code = code_for(browser, app, code_challenge=challenge, code_challenge_method="S256")
    token_url = server.url + "/oauth/token"
    wrong = httpx.post(token_url, data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
                                        "client_id": app.client_id, "code_verifier": secrets.token_urlsafe(48)})  # fmt: skip
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    code = code_for(browser, app, code_challenge=challenge, code_challenge_method="S256")
    ok = httpx.post(token_url, data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
                                     "client_id": app.client_id, "code_verifier": verifier})  # fmt: skip
    assert ok.status_code == 200, ok.text
    verify_id_token(server, ok.json()["id_token"], app.client_id, None)
    # a public client has no secret to introspect with, but may revoke its own tokens
    revoked = httpx.post(
        server.url + "/oauth/token/revoke",
        data={"token": ok.json()["refresh_token"], "client_id": app.client_id},
    )
    assert revoked.status_code == 200
    info = httpx.get(
        server.url + "/oauth/userinfo", headers={"authorization": f"Bearer {ok.json()['access_token']}"}
    )
    assert info.status_code == 401


def test_a_code_is_good_once_and_its_replay_revokes_the_tokens(
    server: HooklineServer, clerk: Clerk, browser: httpx.Client
) -> None:
    app = make_app(clerk)
    code = code_for(browser, app)
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    first = httpx.post(
        server.url + "/oauth/token",
        data={**body, "client_id": app.client_id, "client_secret": app.client_secret},
    )
    assert first.status_code == 200, first.text
    again = httpx.post(server.url + "/oauth/token", data=body, auth=(app.client_id, app.client_secret))
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    info = httpx.get(
        server.url + "/oauth/userinfo", headers={"authorization": f"Bearer {first.json()['access_token']}"}
    )
    assert info.status_code == 401 and "invalid_token" in info.headers.get("www-authenticate", "")


def test_client_authentication_failures(server: HooklineServer, clerk: Clerk, browser: httpx.Client) -> None:
    app = make_app(clerk)
    body = {"grant_type": "authorization_code", "code": code_for(browser, app), "redirect_uri": CALLBACK}
    url = server.url + "/oauth/token"
    assert httpx.post(url, data=body, auth=(app.client_id, "wrong")).status_code == 401
    assert httpx.post(url, data={**body, "client_id": app.client_id}).json()["error"] == "invalid_client"
    bad = httpx.post(url, data=body, headers={"authorization": "Basic %%%"})
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    latin = httpx.post(
        url, data=body, headers={"authorization": "Basic " + base64.b64encode(b"\xff\xfe:x").decode()}
    )
    assert latin.status_code == 401
    as_json = httpx.post(url, json=body, auth=(app.client_id, app.client_secret))
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
    assert (
        httpx.post(
            url, data={**body, "grant_type": "password"}, auth=(app.client_id, app.client_secret)
        ).json()["error"]
        == "unsupported_grant_type"
    )


def test_sign_in_then_consent_then_back_to_the_client(server: HooklineServer, clerk: Clerk) -> None:
    from tests.identity.conftest import PASSWORD, create_user

    app = make_app(clerk, consent_screen_enabled=True)
    create_user(clerk)
    with httpx.Client(base_url=server.url) as http:
        params = {"client_id": app.client_id, "response_type": "code", "redirect_uri": CALLBACK,
                  "scope": "openid email", "state": "s1"}  # fmt: skip
        first = authorize(http, **params)
        assert first.status_code == 303 and first.headers["location"].startswith(
            "/sign-in?redirect_url=%2Foauth%2Fauthorize"
        )
        page = http.get(first.headers["location"])
        assert page.status_code == 200 and "rp.example.org" in page.headers["content-security-policy"]
        back = http.post("/sign-in", data={"csrf": csrf(page), "email_address": "ada@example.org", "password": PASSWORD,
                                           "redirect_url": query(first.headers["location"])["redirect_url"]})  # fmt: skip
        assert back.status_code == 303 and back.headers["location"].startswith("/oauth/authorize?")
        consent = http.get(back.headers["location"])
        assert (
            consent.status_code == 200
            and "Relying Party" in consent.text
            and 'data-scope="email"' in consent.text
        )
        assert "form-action 'self' https://rp.example.org" in consent.headers["content-security-policy"]
        action = "/oauth/authorize?" + consent.url.query.decode()
        denied = http.post(action, data={"csrf": csrf(consent), "decision": "deny"})
        assert denied.status_code == 303 and query(denied.headers["location"]) == {
            "error": "access_denied", "state": "s1", "error_description": query(denied.headers["location"])["error_description"],
        }  # fmt: skip
        assert authorize(http, **params).status_code == 200  # still no consent: asked again
        allowed = http.post(action, data={"csrf": csrf(consent), "decision": "allow"})
        assert allowed.status_code == 303 and "code" in query(allowed.headers["location"])
        # agreed once: the next authorization goes straight back, unless the client asks again
        assert authorize(http, **params).status_code == 302
        assert authorize(http, **params, prompt="consent").status_code == 200
        assert (
            query(
                authorize(http, **{**params, "scope": "openid profile"}, prompt="none").headers["location"]
            )["error"]
            == "consent_required"
        )
        forged = http.post(action, data={"csrf": "forged", "decision": "allow"})
        assert forged.status_code == 403


def test_prompt_none_and_prompt_login(server: HooklineServer, clerk: Clerk, browser: httpx.Client) -> None:
    app = make_app(clerk)
    params = {
        "client_id": app.client_id,
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "scope": "openid",
    }
    with httpx.Client(base_url=server.url) as anonymous:
        assert (
            query(authorize(anonymous, **params, prompt="none").headers["location"])["error"]
            == "login_required"
        )
    assert "code" in query(authorize(browser, **params, prompt="none").headers["location"])
    again = authorize(browser, **params, prompt="login")
    assert again.status_code == 303 and again.headers["location"].startswith("/sign-in?")
    sign_in = query(again.headers["location"])
    assert sign_in["prompt"] == "login" and "hl_auth_after" in sign_in["redirect_url"]
    # signed in but asked to sign in again: the form is shown instead of going straight back
    assert browser.get(again.headers["location"]).status_code == 200
    stale = authorize(browser, **params, max_age="0")
    assert stale.status_code == 303


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"scope": "openid admin"}, "invalid_scope"),
        ({"scope": "openid private_metadata"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"request": "eyJ"}, "request_not_supported"),
        ({"request_uri": "https://x"}, "request_uri_not_supported"),
        ({"response_mode": "fragment"}, "invalid_request"),
        ({"claims": "{}"}, "invalid_request"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"prompt": "sideways"}, "invalid_request"),
        ({"max_age": "-1"}, "invalid_request"),
    ],
)
def test_refused_requests_go_back_to_the_client_with_an_error(
    clerk: Clerk, browser: httpx.Client, params: dict[str, str], error: str
) -> None:
    app = make_app(clerk)
    base = {
        "client_id": app.client_id,
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "state": "xyz",
    }
    r = authorize(browser, **{**base, **params})
    assert r.status_code == 302 and r.headers["location"].startswith(CALLBACK + "?")
    assert query(r.headers["location"])["error"] == error
    assert query(r.headers["location"])["state"] == "xyz"


@pytest.mark.parametrize(
    "params",
    [
        {"client_id": "nope"},
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": CALLBACK + "/../evil"},
        {"redirect_uri": CALLBACK.upper()},
        {"client_id": ""},
    ],
)
def test_an_unknown_client_or_redirect_uri_never_redirects(
    clerk: Clerk, browser: httpx.Client, params: dict[str, str]
) -> None:
    app = make_app(clerk)
    base = {"client_id": app.client_id, "response_type": "code", "redirect_uri": CALLBACK, "scope": "openid"}
    r = authorize(browser, **{**base, **params})
    assert 400 <= r.status_code < 500 and "location" not in r.headers
    assert "text/html" in r.headers["content-type"] and 'id="oauth-error"' in r.text


def test_deleting_the_application_ends_its_tokens(
    server: HooklineServer, clerk: Clerk, browser: httpx.Client
) -> None:
    app = make_app(clerk)
    tokens = httpx.post(server.url + "/oauth/token", auth=(app.client_id, app.client_secret),
                        data={"grant_type": "authorization_code", "code": code_for(browser, app), "redirect_uri": CALLBACK}).json()  # fmt: skip
    bearer = {"authorization": f"Bearer {tokens['access_token']}"}
    assert httpx.get(server.url + "/oauth/userinfo", headers=bearer).status_code == 200
    clerk.oauth_applications.revoke_token(oauth_application_id=app.id, token=tokens["refresh_token"])
    assert httpx.get(server.url + "/oauth/userinfo", headers=bearer).status_code == 401
    tokens = httpx.post(server.url + "/oauth/token", auth=(app.client_id, app.client_secret),
                        data={"grant_type": "authorization_code", "code": code_for(browser, app), "redirect_uri": CALLBACK}).json()  # fmt: skip
    clerk.oauth_applications.delete(oauth_application_id=app.id)
    assert (
        httpx.get(
            server.url + "/oauth/userinfo", headers={"authorization": f"Bearer {tokens['access_token']}"}
        ).status_code
        == 401
    )


def test_hostile_input_gets_a_4xx_never_a_500(
    server: HooklineServer, clerk: Clerk, browser: httpx.Client
) -> None:
    app = make_app(clerk)
    base = {"client_id": app.client_id, "response_type": "code", "redirect_uri": CALLBACK, "scope": "openid"}
    assert authorize(browser, **{**base, "client_id": "a\x00b"}).status_code == 400
    assert query(authorize(browser, **base, nonce="n\x00").headers["location"])["error"] == "invalid_request"
    assert authorize(browser, **base, nonce="x" * 5000).status_code == 302
    token_url = server.url + "/oauth/token"
    for auth in ("Basic " + base64.b64encode(b"\x00:\x00").decode(), "Basic " + "A" * 10000, "Bearer x"):
        r = httpx.post(
            token_url, data={"grant_type": "authorization_code", "code": "x"}, headers={"authorization": auth}
        )
        assert 400 <= r.status_code < 500, r.text
    for data in ({"grant_type": "authorization_code", "code": "\x00", "client_id": "\x00"}, {"a": "b" * 100000},
                 "grant_type=refresh_token&refresh_token=%ED%A0%80&client_id=%00", "a=" + "&a=".join(["1"] * 100)):  # fmt: skip
        r = httpx.post(token_url, content=data if isinstance(data, str) else None, data=None if isinstance(data, str) else data,
                       headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
        assert 400 <= r.status_code < 500, r.text
    bad_bytes = httpx.post(
        token_url,
        content=b"grant_type=\xff\xfe",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert bad_bytes.status_code == 400
    for path in ("/oauth/token_info", "/oauth/token/revoke"):
        r = httpx.post(server.url + path, data={"token": "\x00"}, auth=(app.client_id, app.client_secret))
        assert r.status_code == 200 and r.json() in ({"active": False}, {})
    for bearer in ("Bearer \x01", "Bearer", "Bearer " + "x" * 8000, "Basic abc"):
        got = httpx.get(server.url + "/oauth/userinfo", headers={"authorization": bearer})
        assert 400 <= got.status_code < 500


def test_a_banned_users_tokens_stop_working(
    server: HooklineServer, clerk: Clerk, browser: httpx.Client
) -> None:
    app = make_app(clerk)
    tokens = httpx.post(server.url + "/oauth/token", auth=(app.client_id, app.client_secret),
                        data={"grant_type": "authorization_code", "code": code_for(browser, app), "redirect_uri": CALLBACK}).json()  # fmt: skip
    clerk.users.ban(user_id=clerk.users.list(request={})[0].id)
    bearer = {"authorization": f"Bearer {tokens['access_token']}"}
    assert httpx.get(server.url + "/oauth/userinfo", headers=bearer).status_code == 401
    introspect = httpx.post(
        server.url + "/oauth/token_info",
        data={"token": tokens["access_token"]},
        auth=(app.client_id, app.client_secret),
    )
    assert introspect.json() == {"active": False}
    refresh = httpx.post(server.url + "/oauth/token", auth=(app.client_id, app.client_secret),
                         data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})  # fmt: skip
    assert refresh.status_code == 400 and "access_token" not in refresh.json()


def test_the_backend_api_verifies_access_tokens(
    server: HooklineServer, clerk: Clerk, browser: httpx.Client
) -> None:
    app = make_app(clerk)
    tokens = httpx.post(server.url + "/oauth/token", auth=(app.client_id, app.client_secret),
                        data={"grant_type": "authorization_code", "code": code_for(browser, app), "redirect_uri": CALLBACK}).json()  # fmt: skip
    got = clerk.oauth_access_tokens.verify(access_token=tokens["access_token"])
    user = clerk.users.list(request={})[0]
    assert (got.client_id, got.subject, got.scopes, got.revoked, got.expired) == (
        app.client_id, user.id, ["openid", "profile", "email"], False, False,
    )  # fmt: skip
    httpx.post(
        server.url + "/oauth/token/revoke",
        data={"token": tokens["access_token"]},
        auth=(app.client_id, app.client_secret),
    )
    assert clerk.oauth_access_tokens.verify(access_token=tokens["access_token"]).revoked is True
    with pytest.raises(models.VerifyOAuthAccessTokenOauthAccessTokensResponseResponseBody) as exc:
        clerk.oauth_access_tokens.verify(access_token="nope")
    assert exc.value.raw_response.status_code == 404


def test_plain_http_off_loopback_is_refused_with_the_setting_to_change(tmp_path: Path) -> None:
    s = HooklineServer(
        database_url=f"sqlite:///{tmp_path / 'h.db'}", extra_settings={"public_url": "http://id.example.org"}
    ).start()
    try:
        assert (
            httpx.get(s.url + "/.well-known/openid-configuration").json()["issuer"] == "http://id.example.org"
        )
        r = httpx.get(s.url + "/oauth/authorize", params={"client_id": "x", "response_type": "code"})
        assert r.status_code == 400 and "HOOKLINE_PUBLIC_URL" in r.text
        token = httpx.post(s.url + "/oauth/token", data={"grant_type": "authorization_code", "code": "x"})
        assert token.status_code == 400
    finally:
        s.stop()


def test_scope_user_org_read_names_the_active_organization(
    server: HooklineServer, clerk: Clerk, browser: httpx.Client
) -> None:
    ada = clerk.users.list(request={})[0]
    acme = clerk.organizations.create(request={"name": "Acme", "slug": "acme", "created_by": ada.id})
    switched = browser.post("/identity/me/active_organization", json={"organization_id": acme.id},
                            headers={"origin": server.url})  # fmt: skip
    assert switched.status_code == 200, switched.text
    assert "user:org:read" in discovery(server)["scopes_supported"]
    assert {"org_id", "org_name", "org_slug"} <= set(discovery(server)["claims_supported"])
    app = make_app(clerk, scopes="openid profile email user:org:read")

    def tokens(scope: str) -> dict[str, Any]:
        r = authorize(browser, client_id=app.client_id, response_type="code", redirect_uri=CALLBACK, scope=scope,
                      state="s")  # fmt: skip
        assert r.status_code == 302, r.text
        answer = httpx.post(server.url + "/oauth/token", auth=(app.client_id, app.client_secret),
                            data={"grant_type": "authorization_code", "code": query(r.headers["location"])["code"],
                                  "redirect_uri": CALLBACK})  # fmt: skip
        assert answer.status_code == 200, answer.text
        got: dict[str, Any] = answer.json()
        return got

    def userinfo(access_token: str) -> dict[str, Any]:
        got: dict[str, Any] = httpx.get(server.url + "/oauth/userinfo",
                                        headers={"authorization": f"Bearer {access_token}"}).json()  # fmt: skip
        return got

    def introspect(token: str) -> dict[str, Any]:
        got: dict[str, Any] = httpx.post(server.url + "/oauth/token_info", data={"token": token},
                                         auth=(app.client_id, app.client_secret)).json()  # fmt: skip
        return got

    granted = tokens("openid email user:org:read")
    claims = verify_id_token(server, granted["id_token"], app.client_id, None)
    assert (claims["org_id"], claims["org_name"], claims["org_slug"]) == (acme.id, "Acme", "acme")
    info = userinfo(granted["access_token"])
    assert (info["org_id"], info["org_name"], info["org_slug"]) == (acme.id, "Acme", "acme")
    assert introspect(granted["access_token"])["org_id"] == acme.id
    # the refreshed tokens act for the same organization
    refreshed = httpx.post(server.url + "/oauth/token", auth=(app.client_id, app.client_secret),
                           data={"grant_type": "refresh_token", "refresh_token": granted["refresh_token"]}).json()  # fmt: skip
    assert userinfo(refreshed["access_token"])["org_id"] == acme.id
    # without the scope, no organization
    plain = tokens("openid email")
    assert "org_id" not in verify_id_token(server, plain["id_token"], app.client_id, None)
    assert "org_id" not in userinfo(plain["access_token"]) and "org_id" not in introspect(
        plain["access_token"]
    )
    # switching the session's organization does not move an existing grant; leaving it ends its claims
    globex = clerk.organizations.create(request={"name": "Globex", "created_by": ada.id})
    browser.post("/identity/me/active_organization", json={"organization_id": globex.id},
                 headers={"origin": server.url}).raise_for_status()  # fmt: skip
    assert userinfo(refreshed["access_token"])["org_id"] == acme.id
    assert userinfo(tokens("user:org:read")["access_token"])["org_slug"] == globex.slug
    clerk.organization_memberships.delete(organization_id=acme.id, user_id=ada.id)
    assert "org_id" not in userinfo(refreshed["access_token"])
    # with no active organization the scope is granted but names none
    browser.post("/identity/me/active_organization", json={"organization_id": None},
                 headers={"origin": server.url}).raise_for_status()  # fmt: skip
    assert "org_id" not in userinfo(tokens("openid user:org:read")["access_token"])
