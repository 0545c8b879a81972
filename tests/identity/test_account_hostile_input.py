"""Hostile input to the account-lifecycle routes: always a 4xx in Clerk's error shape, never a 500."""

from __future__ import annotations

import httpx
import pytest
from clerk_backend_api import Clerk

from tests.identity.conftest import PASSWORD, create_user

ODD = ["²³", "１２３４５６", "0" * 10_000, "\u202e123456", "%00", "' OR 1=1 --", "{{user.id}}"]


@pytest.fixture
def signed_in(clerk: Clerk, http: httpx.Client) -> httpx.Client:
    create_user(clerk)
    assert (
        http.post(
            "/identity/sign_in", json={"email_address": "ada@example.org", "password": PASSWORD}
        ).status_code
        == 200
    )
    return http


def _clerk_error(resp: httpx.Response) -> None:
    assert 400 <= resp.status_code < 500, (resp.request.url, resp.status_code, resp.text[:200])
    assert resp.json()["errors"][0]["code"]


@pytest.mark.parametrize("odd", ODD)
def test_odd_codes_are_refused(signed_in: httpx.Client, odd: str) -> None:
    http = signed_in
    http.post("/identity/me/totp")
    for path, body in [
        ("/identity/me/totp/attempt_verification", {"code": odd}),
        ("/identity/me/email/attempt_verification", {"code": odd}),
        (
            "/identity/password_reset/attempt",
            {"email_address": "ada@example.org", "code": odd, "password": "x" * 20},
        ),
        ("/identity/password_reset/attempt", {"token": odd, "password": PASSWORD + "!"}),
        ("/identity/verify_email", {"token": odd}),
        ("/identity/sign_in/attempt_second_factor", {"sign_in_id": odd, "strategy": "totp", "code": odd}),
    ]:
        _clerk_error(http.post(path, json=body))


@pytest.mark.parametrize(
    "body", [{"code": 123456}, {"code": ["1"]}, {"code": None}, {"code": {"$ne": 1}}, {"email_address_id": 5}]
)
def test_wrong_types_are_refused(signed_in: httpx.Client, body: dict) -> None:
    _clerk_error(signed_in.post("/identity/me/email/attempt_verification", json=body))
    _clerk_error(signed_in.post("/identity/me/totp/attempt_verification", json=body))


def test_odd_query_values_and_bodies_on_the_backend_api(backend: httpx.Client) -> None:
    for params in ({"created_at_after": "²"}, {"last_sign_in_at_before": "１２"}, {"limit": "²"},
                   {"email_address": ",".join(f"a{i}@example.org" for i in range(101))}):  # fmt: skip
        _clerk_error(backend.get("/users", params=params))
    _clerk_error(backend.get("/invitations", params={"limit": "²"}))
    _clerk_error(backend.get("/allowlist_identifiers", params={"offset": "-1"}))
    _clerk_error(backend.post("/allowlist_identifiers", json={"identifier": "*@" + "a" * 300 + ".org"}))
    _clerk_error(
        backend.post("/invitations", json={"email_address": "x@example.org", "redirect_url": "h" * 5000})
    )
    _clerk_error(backend.post("/invitations/bulk", json={"not": "a list"}))
    _clerk_error(backend.post("/actor_tokens", json={"user_id": "user_x", "actor": "admin"}))
    _clerk_error(backend.post("/jwt_templates", json={"name": "t", "claims": {"x": "{{ user.id.deeper }}"}}))
    _clerk_error(backend.post("/users/user_x/verify_totp", json={"code": "²³"}))
    _clerk_error(
        backend.post("/email_addresses/idn_x/attempt_verification", json={"verification_id": 1, "code": "1"})
    )
