"""Backend API through Clerk's SDK: bulk ban and unban, remove_password, email_addresses.update."""

from __future__ import annotations

import httpx
import pytest
from clerk_backend_api import Clerk, models

from tests.identity.conftest import PASSWORD, Hooks, create_user


def test_bulk_ban_and_unban(clerk: Clerk, backend: httpx.Client) -> None:
    a, b = create_user(clerk, "a@example.org"), create_user(clerk, "b@example.org")
    session = clerk.sessions.create(request={"user_id": a.id})
    banned = clerk.users.bulk_ban(user_ids=[a.id, b.id])
    assert sorted(u.id for u in banned) == sorted([a.id, b.id]) and all(u.banned for u in banned)
    assert clerk.sessions.get(session_id=session.id).status == models.Status.REVOKED
    assert [u.banned for u in clerk.users.bulk_unban(user_ids=[a.id])] == [False]
    assert clerk.users.get(user_id=b.id).banned is True
    missing = backend.post("/users/ban", json={"user_ids": [b.id, "user_missing"]})
    assert missing.status_code == 404
    assert backend.post("/users/ban", json={"user_ids": []}).status_code == 422


def test_remove_password(clerk: Clerk, http: httpx.Client, hooks: Hooks) -> None:
    user = create_user(clerk)
    removed = clerk.users.remove_password(user_id=user.id)
    assert removed.password_enabled is False and removed.password_last_updated_at is None
    refused = http.post("/identity/sign_in", json={"email_address": "ada@example.org", "password": PASSWORD})
    assert refused.status_code == 422
    assert any(
        not b["data"]["password_enabled"] for b in hooks.wait("user.updated") if b["type"] == "user.updated"
    )


def test_email_address_update_sets_verified_and_primary(clerk: Clerk, hooks: Hooks) -> None:
    user = create_user(clerk)
    second = clerk.email_addresses.create(
        request={"user_id": user.id, "email_address": "second@example.org", "verified": False}
    )
    done = clerk.email_addresses.update(email_address_id=second.id, verified=True)
    assert done.verification.status == "verified"
    again = clerk.email_addresses.update(email_address_id=second.id, verified=False)
    assert again.verification.status == "unverified"
    clerk.email_addresses.update(
        email_address_id=second.id, primary=True, notify_primary_email_address_changed=True
    )
    assert clerk.users.get(user_id=user.id).primary_email_address_id == second.id
    notes = [b["data"] for b in hooks.wait("email.created") if b["type"] == "email.created"]
    assert (
        notes[-1]["slug"] == "primary_email_address_changed"
        and notes[-1]["to_email_address"] == "ada@example.org"
    )
    with pytest.raises(models.ClerkErrors):
        clerk.email_addresses.update(email_address_id="idn_missing", verified=True)


def test_clients_are_listed_got_and_verified_by_their_token(
    clerk: Clerk, http: httpx.Client, backend: httpx.Client
) -> None:
    create_user(clerk)
    signed = http.post(
        "/identity/sign_in", json={"email_address": "ada@example.org", "password": PASSWORD}
    ).json()
    client_id = signed["session"]["client_id"]
    listed = clerk.clients.list()
    assert [c.id for c in listed] == [client_id] and listed[0].session_ids == [signed["session"]["id"]]
    got = clerk.clients.get(client_id=client_id)
    assert (
        got.last_active_session_id == signed["session"]["id"]
        and got.sessions[0].id == signed["session"]["id"]
    )
    verified = clerk.clients.verify(request={"token": signed["client_token"]})
    assert verified.id == client_id
    with pytest.raises(models.ClerkErrors):
        clerk.clients.verify(request={"token": signed["session"]["id"] + ".wrong"})
    with pytest.raises(models.ClerkErrors):
        clerk.clients.get(client_id="client_missing")
    paged = backend.get("/clients", params={"paginated": "true"}).json()
    assert paged["total_count"] == 1
    assert backend.get("/clients", params={"user_id": "x"}).status_code == 422
