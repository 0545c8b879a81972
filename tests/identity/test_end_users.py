"""End-user JSON endpoints: sign up, sign in (uniform failures, rate limit, lockout), sign out, profile, email, deletion."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from clerk_backend_api import Clerk

from tests.identity.conftest import PASSWORD, create_user
from tests.support.servers import HooklineServer


def sign_up(http: httpx.Client, email: str = "grace@example.org", password: str = PASSWORD) -> httpx.Response:
    return http.post(
        "/identity/sign_up", json={"email_address": email, "password": password, "first_name": "Grace"}
    )


def sign_in(http: httpx.Client, email: str = "grace@example.org", password: str = PASSWORD) -> httpx.Response:
    return http.post("/identity/sign_in", json={"email_address": email, "password": password})


def error(resp: httpx.Response) -> dict:
    return resp.json()["errors"][0]


def test_sign_up_creates_the_user_and_signs_in(http: httpx.Client, clerk: Clerk) -> None:
    resp = sign_up(http)
    assert resp.status_code == 200
    body = resp.json()
    assert body["user"]["email_addresses"][0]["email_address"] == "grace@example.org"
    assert body["user"]["first_name"] == "Grace"
    assert body["session"]["status"] == "active" and body["session"]["user_id"] == body["user"]["id"]
    assert body["token"].count(".") == 2
    assert "__client" in resp.cookies and "__session" in resp.cookies
    assert http.get("/identity/me").json()["id"] == body["user"]["id"]  # by the HttpOnly client cookie
    assert clerk.users.get(user_id=body["user"]["id"]).password_enabled is True


def test_sign_up_refuses_a_taken_email_and_a_weak_password(http: httpx.Client) -> None:
    sign_up(http)
    taken = sign_up(http, "GRACE@example.org")
    assert taken.status_code == 422 and error(taken)["code"] == "form_identifier_exists"
    weak = sign_up(http, "other@example.org", "letmein123")
    assert weak.status_code == 422 and error(weak)["code"] == "form_password_pwned"
    assert "breach" in error(weak)["long_message"]
    short = sign_up(http, "other@example.org", "abc")
    assert error(short)["code"] == "form_password_length_too_short"
    assert "8 characters" in error(short)["message"]


def test_unknown_user_and_wrong_password_get_the_same_answer(http: httpx.Client) -> None:
    sign_up(http)
    unknown = sign_in(http, "nobody@example.org")
    wrong = sign_in(http, "grace@example.org", "not the password at all")
    assert unknown.status_code == wrong.status_code == 422
    assert unknown.json() == wrong.json()


def test_sign_in_opens_a_new_session(http: httpx.Client, clerk: Clerk) -> None:
    user_id = sign_up(http).json()["user"]["id"]
    resp = sign_in(http)
    assert resp.status_code == 200
    assert len(clerk.sessions.list(user_id=user_id)) == 2
    assert clerk.users.get(user_id=user_id).last_sign_in_at is not None


def test_repeated_failures_lock_the_account_then_unlock_lets_it_in(
    server: HooklineServer, http: httpx.Client, clerk: Clerk
) -> None:
    ident = server.app.state.identity
    ident.policy = replace(ident.policy, max_attempts=3, failures_per_minute=1000)
    user_id = sign_up(http).json()["user"]["id"]
    for _ in range(3):
        assert sign_in(http, password="wrong wrong wrong").status_code == 422
    locked = sign_in(http)  # even the right password is refused while locked, with the usual answer
    assert locked.status_code == 422 and locked.json() == sign_in(http, "nobody@example.org").json()
    user = clerk.users.get(user_id=user_id)
    assert (
        user.locked is True and user.lockout_expires_in_seconds and user.verification_attempts_remaining == 0
    )
    clerk.users.unlock(user_id=user_id)
    assert sign_in(http).status_code == 200


def test_an_administrator_lock_refuses_sign_in(http: httpx.Client, clerk: Clerk) -> None:
    user_id = sign_up(http).json()["user"]["id"]
    clerk.users.lock(user_id=user_id)
    assert error(sign_in(http))["code"] == "form_password_incorrect"  # a lock reveals nothing


def test_failed_sign_ins_are_rate_limited_per_client(server: HooklineServer, http: httpx.Client) -> None:
    ident = server.app.state.identity
    ident.policy = replace(ident.policy, failures_per_minute=3)
    for i in range(3):
        assert sign_in(http, f"nobody{i}@example.org").status_code == 422
    limited = sign_in(http, "nobody@example.org")
    assert limited.status_code == 429
    assert error(limited)["code"] == "too_many_requests"
    assert int(limited.headers["retry-after"]) > 0


def test_a_banned_user_cannot_sign_in(http: httpx.Client, clerk: Clerk) -> None:
    user_id = sign_up(http).json()["user"]["id"]
    clerk.users.ban(user_id=user_id)
    resp = sign_in(http)  # refused like a wrong password: a ban would otherwise confirm the password
    assert resp.status_code == 422 and resp.json() == sign_in(http, "nobody@example.org").json()


def test_sign_out_ends_the_session(http: httpx.Client, clerk: Clerk) -> None:
    sid = sign_up(http).json()["session"]["id"]
    resp = http.post("/identity/sign_out")
    assert resp.status_code == 200 and resp.json()["session"]["status"] == "ended"
    assert clerk.sessions.get(session_id=sid).status.value == "ended"
    assert http.get("/identity/me").status_code == 401


def test_update_profile_and_change_password_with_the_current_one(http: httpx.Client, clerk: Clerk) -> None:
    user_id = sign_up(http).json()["user"]["id"]
    updated = http.patch("/identity/me", json={"first_name": "Grace B.", "last_name": "Hopper"})
    assert (updated.json()["first_name"], updated.json()["last_name"]) == ("Grace B.", "Hopper")
    wrong = http.patch(
        "/identity/me", json={"password": "a brand new passphrase", "current_password": "nope"}
    )
    assert wrong.status_code == 422
    ok = http.patch("/identity/me", json={"password": "a brand new passphrase", "current_password": PASSWORD})
    assert ok.status_code == 200
    assert clerk.users.verify_password(user_id=user_id, password="a brand new passphrase").verified


def test_change_email_replaces_the_primary_address(http: httpx.Client, clerk: Clerk) -> None:
    sign_up(http)
    create_user(clerk, "taken@example.org")
    taken = http.post(
        "/identity/me/email", json={"email_address": "taken@example.org", "current_password": PASSWORD}
    )
    assert error(taken)["code"] == "form_identifier_exists"
    resp = http.post(
        "/identity/me/email", json={"email_address": "grace.new@example.org", "current_password": PASSWORD}
    )
    assert resp.status_code == 200
    assert [e["email_address"] for e in resp.json()["email_addresses"]] == ["grace.new@example.org"]
    http.post("/identity/sign_out")
    assert sign_in(http, "grace.new@example.org").status_code == 200
    assert sign_in(http, "grace@example.org").status_code == 422


def test_delete_account(http: httpx.Client, clerk: Clerk) -> None:
    user_id = sign_up(http).json()["user"]["id"]
    resp = http.delete("/identity/me")
    assert resp.json() == {"object": "user", "id": user_id, "deleted": True}
    assert clerk.users.count(request={}).total_count == 0
    assert http.get("/identity/me").status_code == 401


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]"])
def test_malformed_bodies_are_400(http: httpx.Client, body: bytes) -> None:
    resp = http.post("/identity/sign_up", content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 400 and error(resp)["code"] == "malformed_request"


def test_missing_fields_are_named(http: httpx.Client) -> None:
    resp = http.post("/identity/sign_up", json={"email_address": "x@example.org"})
    assert resp.status_code == 422 and error(resp)["meta"] == {"param_name": "password"}


def test_a_cross_site_request_with_the_cookie_is_refused(http: httpx.Client, server: HooklineServer) -> None:
    sign_up(http)
    evil = http.post("/identity/me/email", json={"email_address": "evil@example.org"},
                     headers={"origin": "https://evil.example"})  # fmt: skip
    assert evil.status_code == 403 and error(evil)["code"] == "origin_invalid"
    same = http.patch("/identity/me", json={"first_name": "G"}, headers={"origin": server.url})
    assert same.status_code == 200
