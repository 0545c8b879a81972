"""Clerk's Backend API SDK (``clerk-backend-api``) against hookline's ``/v1``: users, emails, sessions, errors."""

from __future__ import annotations

import json

import httpx
import pytest
from clerk_backend_api import Clerk, models

from tests.identity.conftest import PASSWORD, create_user
from tests.support.servers import HooklineServer


def clerk_error(exc: pytest.ExceptionInfo[models.ClerkErrors]) -> models.ClerkError:
    return exc.value.data.errors[0]


def test_create_and_get_a_user(clerk: Clerk) -> None:
    user = create_user(clerk, "Ada@Example.org", external_id="ext-1", public_metadata={"plan": "pro"})
    assert user.id.startswith("user_")
    assert user.object == models.UserObject.USER
    assert [e.email_address for e in user.email_addresses] == ["ada@example.org"]
    assert user.primary_email_address_id == user.email_addresses[0].id
    assert user.email_addresses[0].id.startswith("idn_")
    assert user.password_enabled is True
    assert (user.first_name, user.last_name, user.external_id) == ("Ada", "Lovelace", "ext-1")
    assert user.public_metadata == {"plan": "pro"}
    got = clerk.users.get(user_id=user.id)
    assert got.id == user.id and got.created_at == user.created_at


def test_list_returns_a_bare_array_newest_first_with_filters_and_paging(
    clerk: Clerk, backend: httpx.Client
) -> None:
    ids = [create_user(clerk, f"user{i}@example.org", first_name=f"Name{i}").id for i in range(5)]
    raw = backend.get("/users")
    assert raw.status_code == 200 and isinstance(raw.json(), list)
    assert [u.id for u in clerk.users.list(request={})] == ids[::-1]
    assert [u.id for u in clerk.users.list(request={"order_by": "+created_at"})] == ids
    page = clerk.users.list(request={"limit": 2, "offset": 1})
    assert [u.id for u in page] == ids[::-1][1:3]
    by_email = clerk.users.list(request={"email_address": ["USER3@example.org", "user1@example.org"]})
    assert sorted(u.id for u in by_email) == sorted([ids[1], ids[3]])
    assert [u.id for u in clerk.users.list(request={"user_id": [ids[2]]})] == [ids[2]]
    assert [u.id for u in clerk.users.list(request={"query": "name4"})] == [ids[4]]
    assert [u.id for u in clerk.users.list(request={"query": "user0@"})] == [ids[0]]


def test_count_honours_the_filters(clerk: Clerk) -> None:
    for i in range(3):
        create_user(clerk, f"c{i}@example.org")
    assert clerk.users.count(request={}).total_count == 3
    assert clerk.users.count(request={"email_address": ["c1@example.org"]}).total_count == 1
    assert clerk.users.count(request={"query": "nobody"}).total_count == 0


def test_unknown_order_by_is_a_422_naming_the_parameter(clerk: Clerk) -> None:
    with pytest.raises(models.ClerkErrors) as err:
        clerk.users.list(request={"order_by": "-password"})
    assert clerk_error(err).meta == {"param_name": "order_by"}


def test_update_changes_only_the_fields_sent(clerk: Clerk) -> None:
    user = create_user(clerk)
    updated = clerk.users.update(user_id=user.id, first_name="Augusta", username="ada_l")
    assert (updated.first_name, updated.last_name, updated.username) == ("Augusta", "Lovelace", "ada_l")
    assert updated.updated_at >= user.updated_at


def test_update_password_is_checked_and_verify_password_accepts_it(clerk: Clerk) -> None:
    user = create_user(clerk)
    with pytest.raises(models.ClerkErrors) as err:
        clerk.users.update(user_id=user.id, password="short")
    assert clerk_error(err).code == "form_password_length_too_short"
    clerk.users.update(user_id=user.id, password="an entirely new passphrase")
    assert (
        clerk.users.verify_password(user_id=user.id, password="an entirely new passphrase").verified is True
    )


def test_verify_password_refuses_a_wrong_password(clerk: Clerk, backend: httpx.Client) -> None:
    user = create_user(clerk)
    assert clerk.users.verify_password(user_id=user.id, password=PASSWORD).verified is True
    resp = backend.post(f"/users/{user.id}/verify_password", json={"password": "wrong password here"})
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["code"] == "incorrect_password"


def test_metadata_update_merges_deeply_and_null_removes_a_key(clerk: Clerk) -> None:
    user = create_user(clerk, public_metadata={"a": {"b": 1}, "gone": True}, private_metadata={"k": 1})
    merged = clerk.users.update_metadata(user_id=user.id, public_metadata={"a": {"c": 2}, "gone": None})
    assert merged.public_metadata == {"a": {"b": 1, "c": 2}}
    assert merged.private_metadata == {"k": 1}
    replaced = clerk.users.replace_metadata(user_id=user.id, public_metadata={"x": 1})
    assert replaced.public_metadata == {"x": 1}


def test_ban_revokes_sessions_and_unban_lifts_it(clerk: Clerk) -> None:
    user = create_user(clerk)
    session = clerk.sessions.create(request={"user_id": user.id})
    assert clerk.users.ban(user_id=user.id).banned is True
    assert clerk.sessions.get(session_id=session.id).status == models.Status.REVOKED
    assert [u.id for u in clerk.users.list(request={"banned": True})] == [user.id]
    assert clerk.users.unban(user_id=user.id).banned is False


def test_lock_and_unlock(clerk: Clerk) -> None:
    user = create_user(clerk)
    locked = clerk.users.lock(user_id=user.id)
    assert locked.locked is True
    unlocked = clerk.users.unlock(user_id=user.id)
    assert unlocked.locked is False and unlocked.verification_attempts_remaining == 100


def test_delete_answers_the_deleted_object_and_the_user_is_gone(clerk: Clerk) -> None:
    user = create_user(clerk)
    deleted = clerk.users.delete(user_id=user.id)
    assert (deleted.object, deleted.id, deleted.deleted) == ("user", user.id, True)
    with pytest.raises(models.ClerkErrors) as err:
        clerk.users.get(user_id=user.id)
    assert err.value.raw_response.status_code == 404
    assert clerk_error(err).code == "resource_not_found"
    assert clerk.users.count(request={}).total_count == 0


def test_duplicate_email_is_form_identifier_exists(clerk: Clerk) -> None:
    create_user(clerk, "taken@example.org")
    with pytest.raises(models.ClerkErrors) as err:
        create_user(clerk, "TAKEN@example.org")
    error = clerk_error(err)
    assert error.code == "form_identifier_exists"
    assert err.value.raw_response.status_code == 422
    assert clerk.users.count(request={}).total_count == 1


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short", "form_password_length_too_short"),
        ("password123", "form_password_pwned"),
        ("Password2024!", "form_password_pwned"),
        ("12345678", "form_password_pwned"),
        ("aaaaaaaaaaaa", "form_password_not_strong_enough"),
        ("Summer2024", "form_password_pwned"),
        ("ilovecats", "form_password_pwned"),
        ("12345678a", "form_password_pwned"),
        ("Grace1906!", "form_password_not_strong_enough"),
    ],
)
def test_weak_passwords_are_refused_with_a_clear_message(clerk: Clerk, password: str, code: str) -> None:
    with pytest.raises(models.ClerkErrors) as err:
        clerk.users.create(email_address=["weak@example.org"], password=password)
    error = clerk_error(err)
    assert error.code == code
    assert error.meta["param_name"] == "password"  # (and zxcvbn suggestions when it is only weak)
    assert "password" in error.long_message.lower()


def test_skip_password_checks_accepts_a_weak_password(clerk: Clerk) -> None:
    user = clerk.users.create(
        email_address=["legacy@example.org"], password="password1", skip_password_checks=True
    )
    assert user.password_enabled is True


def test_email_addresses_create_get_and_delete(clerk: Clerk) -> None:
    user = create_user(clerk)
    email = clerk.email_addresses.create(request={"user_id": user.id, "email_address": "second@example.org"})
    assert email.email_address == "second@example.org"
    assert clerk.email_addresses.get(email_address_id=email.id).id == email.id
    assert len(clerk.users.get(user_id=user.id).email_addresses) == 2
    primary = clerk.email_addresses.create(
        request={"user_id": user.id, "email_address": "third@example.org", "primary": True}
    )
    assert clerk.users.get(user_id=user.id).primary_email_address_id == primary.id
    with pytest.raises(models.ClerkErrors) as err:
        clerk.email_addresses.create(request={"user_id": user.id, "email_address": "ada@example.org"})
    assert clerk_error(err).code == "form_identifier_exists"
    assert clerk.email_addresses.delete(email_address_id=email.id).deleted is True
    assert [e.email_address for e in clerk.users.get(user_id=user.id).email_addresses] == [
        "ada@example.org",
        "third@example.org",
    ]


def test_sessions_list_get_and_revoke(clerk: Clerk) -> None:
    user = create_user(clerk)
    first = clerk.sessions.create(request={"user_id": user.id})
    second = clerk.sessions.create(request={"user_id": user.id})
    assert first.id.startswith("sess_") and first.status == models.Status.ACTIVE
    assert [s.id for s in clerk.sessions.list(user_id=user.id)] == [second.id, first.id]
    revoked = clerk.sessions.revoke(session_id=first.id)
    assert revoked.status == models.Status.REVOKED
    assert [s.id for s in clerk.sessions.list(user_id=user.id, status=models.QueryParamStatus.ACTIVE)] == [
        second.id
    ]
    assert [s.id for s in clerk.sessions.list(user_id=user.id, status=models.QueryParamStatus.REVOKED)] == [
        first.id
    ]
    assert clerk.sessions.get(session_id=first.id).status == models.Status.REVOKED


def test_unknown_resources_are_404_in_clerks_error_shape(backend: httpx.Client) -> None:
    for path in ("/users/user_nope", "/sessions/sess_nope", "/email_addresses/idn_nope"):
        resp = backend.get(path)
        assert resp.status_code == 404
        assert resp.json()["errors"][0]["code"] == "resource_not_found"


@pytest.mark.parametrize("header", [None, "Bearer sk_test_wrong", "Basic abc"])
def test_the_backend_api_needs_the_secret_key(server: HooklineServer, header: str | None) -> None:
    headers = {"authorization": header} if header else {}
    resp = httpx.get(server.url + "/v1/users", headers=headers)
    assert resp.status_code == 401
    error = resp.json()["errors"][0]
    assert set(error) == {"message", "long_message", "code", "meta"}
    with (
        Clerk(bearer_auth="sk_test_wrong", server_url=server.url + "/v1") as wrong,
        pytest.raises(models.ClerkErrors),
    ):
        wrong.users.list(request={})


def test_no_password_or_hash_appears_in_any_response(clerk: Clerk, backend: httpx.Client) -> None:
    user = create_user(clerk)
    clerk.users.update(user_id=user.id, password="another fine passphrase")
    bodies = [
        backend.get("/users").text,
        backend.get(f"/users/{user.id}").text,
        backend.post("/users", json={"email_address": ["x@example.org"], "password": PASSWORD}).text,
        backend.patch(f"/users/{user.id}", json={"password": "yet another passphrase"}).text,
    ]
    for body in bodies:
        assert PASSWORD not in body and "passphrase" not in body and "argon2" not in body
        assert "password_hash" not in json.dumps(json.loads(body))


def test_paginated_session_list_counts_every_match(clerk: Clerk, backend: httpx.Client) -> None:
    user = create_user(clerk)
    for _ in range(3):
        clerk.sessions.create(request={"user_id": user.id})
    page = backend.get("/sessions", params={"user_id": user.id, "paginated": "true", "limit": 2}).json()
    assert len(page["data"]) == 2 and page["total_count"] == 3
