"""sessions.refresh and email_addresses.replace_for_user through Clerk's SDK."""

from __future__ import annotations

import httpx
import jwt
import pytest
from clerk_backend_api import Clerk, models

from tests.identity.conftest import PASSWORD, Hooks, create_user
from tests.support.servers import HooklineServer


def _signed_in(http: httpx.Client) -> dict[str, str]:
    body = http.post(
        "/identity/sign_in", json={"email_address": "ada@example.org", "password": PASSWORD}
    ).json()
    return {"sid": body["session"]["id"], "token": body["token"], "client_token": body["client_token"]}


def test_an_expired_session_token_is_refreshed_with_the_client_credential(
    clerk: Clerk, http: httpx.Client, server: HooklineServer
) -> None:
    user = create_user(clerk)
    s = _signed_in(http)
    # a token of the session that expired two minutes ago, signed with the instance's key
    expired = server.app.state.identity.signer.issue(user.id, s["sid"], lifetime=-120)
    fresh = clerk.sessions.refresh(
        session_id=s["sid"], expired_token=expired, refresh_token=s["client_token"], request_origin=server.url
    )
    assert fresh.object == "token"
    jwks = httpx.get(f"{server.url}/v1/jwks", headers={"authorization": f"Bearer {server.secret_key}"}).json()
    key = jwt.PyJWK(jwks["keys"][0]).key  # the fresh token verifies against the instance's JWKS
    claims = jwt.decode(fresh.jwt, key, algorithms=["RS256"], options={"verify_iss": False})
    assert claims["sid"] == s["sid"] and claims["sub"] == user.id and claims["exp"] > claims["iat"]

    cookies = clerk.sessions.refresh(
        session_id=s["sid"], expired_token=expired, refresh_token=s["client_token"], request_origin=server.url,
        format_=models.Format.COOKIE,
    )  # fmt: skip
    assert cookies.object == "cookies" and cookies.cookies[0].startswith("__session=ey")

    def refused(**changes: str) -> int:
        body = {"expired_token": expired, "refresh_token": s["client_token"], "request_origin": server.url}
        with pytest.raises(models.ClerkErrors) as info:
            clerk.sessions.refresh(session_id=changes.pop("session_id", s["sid"]), **{**body, **changes})
        return info.value.raw_response.status_code

    assert refused(refresh_token=s["sid"] + ".wrong") == 401
    assert refused(request_origin="https://elsewhere.example") == 401
    assert refused(expired_token=expired[:-4] + "AAAA") == 401
    other = _signed_in(http)
    assert refused(refresh_token=other["client_token"]) == 401  # another session's credential
    assert (
        refused(session_id=other["sid"], refresh_token=other["client_token"]) == 401
    )  # token of another session
    clerk.sessions.revoke(session_id=s["sid"])
    assert refused() == 401  # a revoked session is not refreshed
    bad_format = httpx.post(
        f"{server.url}/v1/sessions/{s['sid']}/refresh", headers={"authorization": f"Bearer {server.secret_key}"},
        json={"expired_token": expired, "refresh_token": "x", "request_origin": server.url, "format": "xml"},
    )  # fmt: skip
    assert bad_format.status_code == 422


def test_replace_for_user_leaves_one_primary_address(clerk: Clerk, http: httpx.Client, hooks: Hooks) -> None:
    user = create_user(clerk)
    clerk.email_addresses.create(request={"user_id": user.id, "email_address": "second@example.org"})
    replaced = clerk.email_addresses.replace_for_user(
        user_id=user.id, email_address="New@Example.org", notify_primary_email_address_changed=True
    )
    assert replaced.email_address == "new@example.org" and replaced.verification.status == "verified"
    after = clerk.users.get(user_id=user.id)
    assert [e.email_address for e in after.email_addresses] == ["new@example.org"]
    assert after.primary_email_address_id == replaced.id
    ok = http.post("/identity/sign_in", json={"email_address": "new@example.org", "password": PASSWORD})
    assert ok.status_code == 200
    notes = [b["data"] for b in hooks.wait("email.created") if b["type"] == "email.created"]
    assert notes[-1]["to_email_address"] == "ada@example.org"

    reserved = clerk.email_addresses.replace_for_user(
        user_id=user.id,
        email_address="held@example.org",
        identification_status=models.IdentificationStatus.RESERVED,
    )
    assert reserved.verification.status == "unverified"
    with pytest.raises(models.ClerkErrors) as info:
        clerk.email_addresses.replace_for_user(
            user_id=user.id, email_address="x@example.org",
            identification_status=models.IdentificationStatus.UNVERIFIED,
        )  # fmt: skip
    assert info.value.data.errors[0].meta["param_name"] == "identification_status"
    other = create_user(clerk, "other@example.org")
    with pytest.raises(models.ClerkErrors):
        clerk.email_addresses.replace_for_user(user_id=other.id, email_address="held@example.org")
    with pytest.raises(models.ClerkErrors):
        clerk.email_addresses.replace_for_user(user_id="user_missing", email_address="z@example.org")
