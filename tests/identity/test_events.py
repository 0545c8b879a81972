"""Every identity event reaches a Svix endpoint signed, in Clerk's envelope, with data that matches the user."""

from __future__ import annotations

import re

import httpx
import pytest
from clerk_backend_api import Clerk, models
from svix.api import ApplicationIn, EventTypeListOptions, MessageListOptions, Svix, SvixOptions
from svix.webhooks import Webhook as SvixWebhook

from hookline.identity.catalog import CATALOG
from hookline.receiver import parse_event
from tests.identity.conftest import PASSWORD, Hooks, create_user
from tests.support.servers import HooklineServer

ENVELOPE_KEYS = {"data", "object", "type", "timestamp", "instance_id", "event_attributes"}


def user_journey(http: httpx.Client, clerk: Clerk) -> str:
    """Sign up, edit, change email, sign out, sign in, get revoked, sign in, delete: every event type once or more."""
    user_id = http.post(
        "/identity/sign_up", json={"email_address": "ada@example.org", "password": PASSWORD, "first_name": "Ada"},
        headers={"user-agent": "journey/1.0"},
    ).json()["user"]["id"]  # fmt: skip
    http.patch("/identity/me", json={"last_name": "Lovelace"})
    http.post("/identity/me/email", json={"email_address": "ada.l@example.org", "current_password": PASSWORD})
    http.post("/identity/sign_out")
    sid = http.post(
        "/identity/sign_in", json={"email_address": "ada.l@example.org", "password": PASSWORD}
    ).json()
    clerk.sessions.revoke(session_id=sid["session"]["id"])
    http.post("/identity/sign_in", json={"email_address": "ada.l@example.org", "password": PASSWORD})
    assert http.delete("/identity/me").status_code == 200
    return user_id


def test_every_event_type_is_delivered_verified_and_matches_the_user(
    server: HooklineServer, hooks: Hooks, http: httpx.Client, clerk: Clerk
) -> None:
    user_id = user_journey(http, clerk)
    bodies = hooks.wait(*CATALOG)
    assert {b["type"] for b in bodies} == set(CATALOG)
    instance_id = server.app.state.identity.instance_id
    for received in hooks.receiver.requests:
        # Svix's own library and our receiver accept every delivery, under the headers Clerk receivers read
        SvixWebhook(hooks.secret).verify(received.body, received.headers)
        assert {"svix-id", "svix-timestamp", "svix-signature"} <= {k.lower() for k in received.headers}
        assert parse_event(received.body, message_id=received.headers["svix-id"]).type in CATALOG
    for b in bodies:
        assert set(b) == ENVELOPE_KEYS and b["object"] == "event" and b["instance_id"] == instance_id
        assert set(b["event_attributes"]["http_request"]) == {"client_ip", "user_agent"}
        assert b["event_attributes"]["http_request"]["client_ip"] == "127.0.0.1"
        assert "password" not in str(b["data"]).replace("password_enabled", "").replace(
            "password_last_updated_at", ""
        )
    created = hooks.of_type("user.created")[0]
    assert created["data"]["id"] == user_id
    assert created["data"]["email_addresses"][0]["email_address"] == "ada@example.org"
    assert created["data"]["first_name"] == "Ada"
    assert created["event_attributes"]["http_request"]["user_agent"] == "journey/1.0"
    last_update = hooks.of_type("user.updated")[-1]["data"]
    assert last_update["last_name"] == "Lovelace"
    assert [e["email_address"] for e in last_update["email_addresses"]] == ["ada.l@example.org"]
    for kind, status in [
        ("created", "active"),
        ("ended", "ended"),
        ("revoked", "revoked"),
        ("removed", "removed"),
    ]:
        session = hooks.of_type(f"session.{kind}")[-1]["data"]
        assert session["object"] == "session" and session["status"] == status
        assert session["user_id"] == user_id and session["user"]["id"] == user_id
    email = hooks.of_type("email.created")[0]["data"]
    assert (email["object"], email["slug"], email["to_email_address"]) == (
        "email", "primary_email_address_changed", "ada@example.org",
    )  # fmt: skip
    assert email["user_id"] == user_id and email["data"]["new_email_address"] == "ada.l@example.org"
    assert hooks.of_type("user.deleted")[0]["data"] == {"object": "user", "id": user_id, "deleted": True}


def test_parsed_events_carry_the_users_fields(hooks: Hooks, http: httpx.Client, clerk: Clerk) -> None:
    user_journey(http, clerk)
    hooks.wait(*CATALOG)
    for received in hooks.receiver.requests:
        event = parse_event(received.body, message_id=received.headers["svix-id"])
        if event.type == "user.created":
            assert event.data.primary_email_address == "ada@example.org"
            assert event.data.first_name == "Ada"
        elif event.type.startswith("session."):
            assert event.data.user is not None and event.data.user.id == event.data.user_id
        elif event.type == "user.deleted":
            assert event.data.deleted is True


def test_event_data_is_what_the_backend_api_returns(
    hooks: Hooks, clerk: Clerk, backend: httpx.Client
) -> None:
    created = backend.post("/users", json={"email_address": ["bob@example.org"], "password": PASSWORD}).json()
    updated = backend.patch(f"/users/{created['id']}", json={"first_name": "Bob"}).json()
    email = backend.post(
        "/email_addresses", json={"user_id": created["id"], "email_address": "b2@example.org"}
    )
    assert email.status_code == 200
    after_email = backend.get(f"/users/{created['id']}").json()
    hooks.wait("user.created", "user.updated")
    while len(hooks.of_type("user.updated")) < 2:
        hooks.receiver.wait_for(len(hooks.receiver.requests) + 1)
    assert hooks.of_type("user.created")[0]["data"] == created
    assert [b["data"] for b in hooks.of_type("user.updated")] == [updated, after_email]


def test_a_refused_change_emits_nothing(server: HooklineServer, hooks: Hooks, clerk: Clerk) -> None:
    create_user(clerk, "one@example.org")
    for attempt in ("one@example.org", "ONE@example.org"):
        with pytest.raises(models.ClerkErrors):
            create_user(clerk, attempt)
    create_user(clerk, "two@example.org")
    hooks.wait("user.created")
    while len(hooks.of_type("user.created")) < 2:
        hooks.receiver.wait_for(len(hooks.receiver.requests) + 1)
    svix = Svix(server.token, SvixOptions(server_url=server.url))
    try:
        messages = svix.message.list("identity", MessageListOptions(limit=100)).data
    finally:
        svix._httpx_client.close()
    assert [m.event_type for m in messages] == ["user.created", "user.created"]
    emails = [h["data"]["email_addresses"][0]["email_address"] for h in hooks.of_type("user.created")]
    assert sorted(emails) == ["one@example.org", "two@example.org"]


def test_the_catalog_is_registered_with_schemas_and_examples(server: HooklineServer, hooks: Hooks) -> None:
    svix = Svix(server.token, SvixOptions(server_url=server.url))
    try:
        types = {t.name: t for t in svix.event_type.list(EventTypeListOptions(with_content=True)).data}
    finally:
        svix._httpx_client.close()
    for name in CATALOG:
        schema = types[name].schemas["1"]
        example = schema["examples"][0]
        assert example["type"] == name and set(example) == ENVELOPE_KEYS
        assert schema["properties"]["data"]["properties"]["object"]["const"] == example["data"]["object"]


def test_clerk_sdk_webhook_helpers_link_to_the_identity_applications_portal(
    server: HooklineServer, clerk: Clerk
) -> None:
    # as Clerk's: a link a browser opens, not an API URL that answers 401 without a token
    created = clerk.webhooks.create_svix_app().svix_url
    generated = clerk.webhooks.generate_svix_auth_url().svix_url
    svix = Svix(server.token, SvixOptions(server_url=server.url))
    try:
        identity_id = svix.application.get("identity").id
        other_id = svix.application.create(ApplicationIn(name="Other")).id
    finally:
        svix._httpx_client.close()
    for link in (created, generated):
        assert link is not None and link.startswith(f"{server.url}/dashboard/portal/access#token=")
        with httpx.Client(base_url=server.url, follow_redirects=True) as browser:
            # as the access page does: the token in the link's fragment is posted back
            token = link.split("#token=", 1)[1]
            page = browser.post("/dashboard/portal/access", data={"token": token})
            assert page.status_code == 200, page.text
            assert re.fullmatch(rf"/dashboard/p/hlpage_[\w-]+/{identity_id}", page.url.path)
            assert "Identity" in page.text
            # the link opens the identity application's portal and nothing else
            assert browser.get(f"/dashboard/portal/{other_id}").status_code == 403
            assert browser.get("/dashboard/").url.path == "/dashboard/sign-in"


def test_a_deleted_identity_application_is_made_again_on_the_next_change(
    server: HooklineServer, clerk: Clerk
) -> None:
    create_user(clerk, "first@example.org")
    svix = Svix(server.token, SvixOptions(server_url=server.url))
    try:
        svix.application.delete("identity")
        create_user(clerk, "second@example.org")
        assert svix.application.get("identity").uid == "identity"
        assert [m.event_type for m in svix.message.list("identity").data] == ["user.created"]
    finally:
        svix._httpx_client.close()


def test_a_notified_primary_change_through_the_backend_api_emits_email_created(
    hooks: Hooks, clerk: Clerk
) -> None:
    user = create_user(clerk, "old@example.org")
    new = clerk.email_addresses.create(request={"user_id": user.id, "email_address": "new@example.org"})
    clerk.users.update(
        user_id=user.id, primary_email_address_id=new.id, notify_primary_email_address_changed=True
    )
    hooks.wait("email.created")
    email = hooks.of_type("email.created")[0]["data"]
    assert (email["to_email_address"], email["data"]["new_email_address"]) == (
        "old@example.org",
        "new@example.org",
    )
    assert hooks.of_type("user.updated")[-1]["data"]["primary_email_address_id"] == new.id
