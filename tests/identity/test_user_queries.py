"""``users.list`` / ``users.count`` through Clerk's SDK: every documented filter and ``order_by`` takes
effect, on SQLite and PostgreSQL alike, or is refused with a 4xx naming the parameter."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest
from clerk_backend_api import Clerk, models

from tests.identity.conftest import PASSWORD, create_user


def ids(users: list[models.User]) -> list[str]:
    return [u.id for u in users]


@pytest.fixture
def people(clerk: Clerk) -> dict[str, str]:
    """Four users with different names, usernames and addresses (some fields missing)."""
    made = {
        "hello": create_user(
            clerk, "HELLO@example.org", first_name="Zoe", last_name="Adams", username="coolzoe"
        ),
        "bob": create_user(clerk, "bob@sample.net", first_name="bob", last_name="Brown", username="bobby"),
        "amy": create_user(clerk, "amy@example.org", first_name="Amy", last_name="Castro"),
        "nameless": create_user(clerk, "x_y@example.org", first_name=None, last_name=None),
    }
    return {k: v.id for k, v in made.items()}


def test_partial_queries_match_case_insensitively(clerk: Clerk, people: dict[str, str]) -> None:
    assert ids(clerk.users.list(request={"email_address_query": "ELLO"})) == [people["hello"]]
    assert sorted(ids(clerk.users.list(request={"email_address_query": "example.org"}))) == sorted(
        [people["hello"], people["amy"], people["nameless"]]
    )
    assert ids(clerk.users.list(request={"email_address_query": "x_y"})) == [people["nameless"]]
    assert ids(clerk.users.list(request={"email_address_query": "x%y"})) == []  # wildcards are literal
    assert ids(clerk.users.list(request={"username_query": "COOL"})) == [people["hello"]]
    assert ids(clerk.users.list(request={"name_query": "amy cas"})) == [people["amy"]]
    assert ids(clerk.users.list(request={"name_query": "BROWN"})) == [people["bob"]]
    assert clerk.users.count(request={"email_address_query": "sample"}).total_count == 1
    assert clerk.users.count(request={"name_query": "a", "username_query": "bob"}).total_count == 0


def test_filters_on_what_no_user_has_match_nobody(clerk: Clerk, people: dict[str, str]) -> None:
    assert clerk.users.list(request={"phone_number": ["+15555550100"]}) == []
    assert clerk.users.list(request={"phone_number_query": "555"}) == []
    assert clerk.users.list(request={"provider": "oauth_google", "provider_user_id": ["123"]}) == []
    assert clerk.users.count(request={"phone_number_query": "555"}).total_count == 0


def test_order_by_every_documented_field(clerk: Clerk, people: dict[str, str]) -> None:
    def order(by: str) -> list[str]:
        return ids(clerk.users.list(request={"order_by": by}))

    p = people
    assert order("+email_address") == [p["amy"], p["bob"], p["hello"], p["nameless"]]
    assert order("-email_address") == [p["nameless"], p["hello"], p["bob"], p["amy"]]
    # case-insensitive, and users without a first name last in either direction
    assert order("first_name") == [p["amy"], p["bob"], p["hello"], p["nameless"]]
    assert order("-first_name") == [p["hello"], p["bob"], p["amy"], p["nameless"]]
    assert order("+username")[:2] == [p["bob"], p["hello"]]
    assert order("-created_at") == [p["nameless"], p["amy"], p["bob"], p["hello"]]
    assert order("+updated_at") == [p["hello"], p["bob"], p["amy"], p["nameless"]]


def test_the_first_order_by_wins(backend: httpx.Client, people: dict[str, str]) -> None:
    resp = backend.get("/users", params=[("order_by", "+created_at"), ("order_by", "-created_at")])
    assert resp.json()[0]["id"] == people["hello"]


def test_sign_in_and_activity_times_filter_and_order(
    clerk: Clerk, people: dict[str, str], http: httpx.Client
) -> None:
    before = int(time.time() * 1000) - 1
    assert (
        http.post(
            "/identity/sign_in", json={"email_address": "amy@example.org", "password": PASSWORD}
        ).status_code
        == 200
    )
    time.sleep(0.01)
    http.post("/identity/sign_in", json={"email_address": "bob@sample.net", "password": PASSWORD})
    signed = ids(clerk.users.list(request={"last_sign_in_at_after": before, "order_by": "-last_sign_in_at"}))
    assert signed == [people["bob"], people["amy"]]
    assert ids(clerk.users.list(request={"last_active_at_after": before, "order_by": "+last_active_at"})) == [
        people["amy"], people["bob"]
    ]  # fmt: skip
    assert (
        ids(clerk.users.list(request={"last_active_at_since": before, "order_by": "+last_active_at"}))[0]
        == people["amy"]
    )
    assert clerk.users.list(request={"last_sign_in_at_before": before}) == []
    assert (
        clerk.users.count(request={"last_active_at_before": int(time.time() * 1000) + 1000}).total_count == 2
    )
    # users who never signed in sort last
    assert ids(clerk.users.list(request={"order_by": "-last_sign_in_at"}))[:2] == [
        people["bob"],
        people["amy"],
    ]
    assert ids(clerk.users.list(request={"order_by": "+last_sign_in_at"}))[:2] == [
        people["amy"],
        people["bob"],
    ]


@pytest.mark.parametrize(
    ("params", "param_name"),
    [
        ({"order_by": "+phone_number"}, "order_by"),
        ({"order_by": "-web3wallet"}, "order_by"),
        ({"order_by": "-password"}, "order_by"),
        ({"organization_id": ",".join(f"org_{i}" for i in range(101))}, "organization_id"),
        ({"provider": "oauth_google"}, "provider_user_id"),
        ({"provider_user_id": "1"}, "provider"),
        ({"banned": "maybe"}, "banned"),
        ({"created_at_after": "yesterday"}, "created_at_after"),
        ({"last_active_at_after": "-5"}, "last_active_at_after"),
        ({"email_adress": "typo@example.org"}, "email_adress"),
        ({"query": "x" * 300}, "query"),
    ],
)
def test_options_that_cannot_take_effect_are_refused(
    backend: httpx.Client, params: dict, param_name: str
) -> None:
    for path in ("/users", "/users/count"):
        resp = backend.get(path, params=params)
        if path.endswith("count") and param_name == "order_by":
            continue  # count takes no order
        assert resp.status_code == 422, (path, params, resp.text)
        assert resp.json()["errors"][0]["meta"] == {"param_name": param_name}


def test_create_token_honours_expires_in_seconds(clerk: Clerk, backend: httpx.Client) -> None:
    user = create_user(clerk)
    session = clerk.sessions.create(request={"user_id": user.id})
    token = clerk.sessions.create_token(session_id=session.id, expires_in_seconds=3600).jwt
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 3600
    default = jwt.decode(
        clerk.sessions.create_token(session_id=session.id).jwt, options={"verify_signature": False}
    )
    assert default["exp"] - default["iat"] == 60
    for bad in (5, "3600", 10**12, 1.5):
        resp = backend.post(f"/sessions/{session.id}/tokens", json={"expires_in_seconds": bad})
        assert resp.status_code == 422 and resp.json()["errors"][0]["meta"] == {
            "param_name": "expires_in_seconds"
        }
