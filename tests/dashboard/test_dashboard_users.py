"""Users from the operator's side: create, ban and unban, lock and unlock, metadata, sessions, delete —
each through the identity service, so Clerk's Backend API sees every change."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest

from tests.dashboard.conftest import csrf
from tests.support.servers import HooklineServer


@pytest.fixture
def clerk(hookline_server: HooklineServer) -> Iterator[httpx.Client]:
    """The Clerk Backend API of the server, with its secret key."""
    client = httpx.Client(
        base_url=hookline_server.url + "/v1",
        headers={"authorization": f"Bearer {hookline_server.secret_key}"},
        timeout=20,
    )
    yield client
    client.close()


def create(dash: httpx.Client, **fields: str) -> httpx.Response:
    return dash.post("/dashboard/users", data={"csrf": csrf(dash.get("/dashboard/users").text), **fields})


def made_user(dash: httpx.Client) -> str:
    resp = create(dash, email="ada@example.org", first_name="Ada", last_name="Lovelace")
    assert resp.status_code == 303, resp.text
    found = re.fullmatch(r"/dashboard/users/(user_\w+)\?done=created", resp.headers["location"])
    assert found
    return found.group(1)


def test_operator_creates_bans_locks_and_unlocks_a_user(dash: httpx.Client, clerk: httpx.Client) -> None:
    user_id = made_user(dash)
    api_user = clerk.get(f"/users/{user_id}").json()
    assert (
        api_user["first_name"] == "Ada"
        and api_user["email_addresses"][0]["email_address"] == "ada@example.org"
    )
    page = dash.get(f"/dashboard/users/{user_id}?done=created").text
    assert "User created." in page and "Ada Lovelace" in page
    token = csrf(page)
    assert (
        dash.post(f"/dashboard/users/{user_id}/ban", data={"csrf": token, "banned": "1"}).status_code == 303
    )
    assert clerk.get(f"/users/{user_id}").json()["banned"] is True
    assert ">banned</span>" in dash.get(f"/dashboard/users/{user_id}").text
    assert (
        dash.post(f"/dashboard/users/{user_id}/ban", data={"csrf": token, "banned": "0"}).status_code == 303
    )
    assert clerk.get(f"/users/{user_id}").json()["banned"] is False
    assert (
        dash.post(f"/dashboard/users/{user_id}/lock", data={"csrf": token, "locked": "1"}).status_code == 303
    )
    assert clerk.get(f"/users/{user_id}").json()["locked"] is True
    assert (
        dash.post(f"/dashboard/users/{user_id}/lock", data={"csrf": token, "locked": "0"}).status_code == 303
    )
    assert clerk.get(f"/users/{user_id}").json()["locked"] is False
    # without the form token nothing changes
    assert dash.post(f"/dashboard/users/{user_id}/ban", data={"banned": "1"}).status_code == 403
    assert clerk.get(f"/users/{user_id}").json()["banned"] is False


def test_creating_a_user_reports_identity_errors_on_the_form(dash: httpx.Client) -> None:
    made_user(dash)
    taken = create(dash, email="ada@example.org")
    assert taken.status_code == 422 and "<form" in taken.text and "taken" in taken.text.lower()
    bad = create(dash, email="not-an-email")
    assert bad.status_code == 422 and "not a valid email address" in bad.text
    weak = create(dash, email="bob@example.org", password="123")
    assert 400 <= weak.status_code < 500 and "<form" in weak.text


def test_metadata_is_replaced_and_hostile_json_is_a_rendered_422(
    dash: httpx.Client, clerk: httpx.Client
) -> None:
    user_id = made_user(dash)
    token = csrf(dash.get(f"/dashboard/users/{user_id}").text)
    form = {"csrf": token, "public_metadata": '{"role": "support"}', "private_metadata": '{"plan": "pro"}',
            "unsafe_metadata": ""}  # fmt: skip
    assert dash.post(f"/dashboard/users/{user_id}/metadata", data=form).status_code == 303
    got = clerk.get(f"/users/{user_id}").json()
    assert got["public_metadata"] == {"role": "support"} and got["private_metadata"] == {"plan": "pro"}
    assert got["unsafe_metadata"] == {}
    for bad in ("[1]", "{nope", "[" * 5000 + "]" * 5000, json.dumps({"x": "y" * 70_000})):
        resp = dash.post(f"/dashboard/users/{user_id}/metadata", data={**form, "private_metadata": bad})
        assert resp.status_code == 422 and "private metadata" in resp.text, bad[:20]
    assert clerk.get(f"/users/{user_id}").json()["private_metadata"] == {"plan": "pro"}


def test_sessions_are_listed_and_revoked(dash: httpx.Client, clerk: httpx.Client) -> None:
    user_id = made_user(dash)
    session = clerk.post("/sessions", json={"user_id": user_id})
    assert session.status_code == 200, session.text
    session_id = session.json()["id"]
    page = dash.get(f"/dashboard/users/{user_id}").text
    assert session_id in page and 'Sessions <span class="muted">(1)' in page
    revoke = f"/dashboard/users/{user_id}/sessions/{session_id}/revoke"
    assert f'action="{revoke}"' in page
    assert dash.post(revoke, data={"csrf": csrf(page)}).status_code == 303
    assert clerk.get(f"/sessions/{session_id}").json()["status"] == "revoked"
    other = create(dash, email="eve@example.org")
    assert other.status_code == 303
    eve = other.headers["location"].split("/")[3].split("?")[0]
    # a session is revoked only under its own user
    assert (
        dash.post(
            f"/dashboard/users/{eve}/sessions/{session_id}/revoke", data={"csrf": csrf(page)}
        ).status_code
        == 404
    )


def test_delete_needs_confirmation(dash: httpx.Client, clerk: httpx.Client) -> None:
    user_id = made_user(dash)
    page = dash.get(f"/dashboard/users/{user_id}").text
    assert 'data-confirm="Delete ada@example.org for good?' in page
    unconfirmed = dash.post(f"/dashboard/users/{user_id}/delete", data={"csrf": csrf(page)})
    assert unconfirmed.status_code == 422 and "nothing was deleted" in unconfirmed.text
    assert clerk.get(f"/users/{user_id}").status_code == 200
    done = dash.post(f"/dashboard/users/{user_id}/delete", data={"csrf": csrf(page), "confirm": "delete"})
    assert done.status_code == 303 and done.headers["location"] == "/dashboard/users?done=deleted"
    assert clerk.get(f"/users/{user_id}").status_code == 404
    assert dash.get(f"/dashboard/users/{user_id}").status_code == 404
    assert "User deleted." in dash.get("/dashboard/users?done=deleted").text


def test_the_user_list_pages_both_ways_with_a_count(dash: httpx.Client, clerk: httpx.Client) -> None:
    made = [
        clerk.post("/users", json={"email_address": [f"u{i:02}@example.org"]}).json()["id"] for i in range(52)
    ]
    first = dash.get("/dashboard/users").text
    assert "52 users" in first and "Newer users" not in first
    older = re.search(r'href="\?(before=user_\w+)">Older users', first)
    assert older, first
    second = dash.get(f"/dashboard/users?{older.group(1)}").text
    shown = re.findall(r'href="/dashboard/users/(user_\w+)"', second)
    assert shown == sorted(made, reverse=True)[50:]  # the two oldest, newest first
    newer = re.search(r'href="\?(after=user_\w+)">← Newer users', second)
    assert newer and "Older users" not in second
    back = re.findall(
        r'href="/dashboard/users/(user_\w+)"', dash.get(f"/dashboard/users?{newer.group(1)}").text
    )
    assert back == sorted(made, reverse=True)[:50]
    assert "1 user match" in dash.get("/dashboard/users?q=u07%40example").text
