"""Sessions end when they are ended: dashboard sign-out, an admin's password change, Svix's logout and
expire-all for app-portal tokens (through the real ``svix`` SDK), and an end user's password change."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from svix.api import ApplicationTokenExpireIn, AppPortalAccessIn, Svix, SvixOptions
from svix.exceptions import HttpError

from tests.support.portal import open_portal
from tests.support.servers import HooklineServer

PASSWORD = "correct horse battery staple 9"


@pytest.fixture
def api(hookline_server: HooklineServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=hookline_server.url, headers={"authorization": f"Bearer {hookline_server.token}"}, timeout=20
    ) as client:
        yield client


@pytest.fixture
def app_id(api: httpx.Client) -> str:
    resp = api.post("/api/v1/app", json={"name": "Shop", "uid": "shop"})
    assert resp.status_code == 201
    return str(resp.json()["id"])


def _svix(server: HooklineServer, token: str) -> Svix:
    return Svix(token, SvixOptions(server_url=server.url))


def _portal_client(link: str) -> httpx.Client:
    client = httpx.Client(follow_redirects=False, timeout=20)
    assert open_portal(client, link).status_code == 303
    return client


def _opens(client: httpx.Client, server: HooklineServer, app_id: str) -> bool:
    return client.get(f"{server.url}/dashboard/portal/{app_id}").status_code == 200


def test_dashboard_sign_out_ends_the_session_for_a_copied_cookie(hookline_server: HooklineServer) -> None:
    with httpx.Client(base_url=hookline_server.url, follow_redirects=False) as browser:
        assert browser.post("/dashboard/sign-in", data={"token": hookline_server.token}).status_code == 303
        stolen = dict(browser.cookies)
        page = browser.get("/dashboard/")
        assert page.status_code == 200
        csrf = page.text.split('data-csrf="', 1)[1].split('"', 1)[0]
        assert browser.post("/dashboard/sign-out", data={"csrf": csrf}).status_code == 303
    with httpx.Client(base_url=hookline_server.url, follow_redirects=False, cookies=stolen) as thief:
        assert thief.get("/dashboard/").status_code == 303  # to the sign-in page: the session is over


def test_an_admin_password_change_ends_dashboard_sessions_opened_before_it(
    hookline_server: HooklineServer,
) -> None:
    with httpx.Client(
        base_url=hookline_server.url, headers={"authorization": f"Bearer {hookline_server.secret_key}"}
    ) as backend:
        user = backend.post(
            "/v1/users",
            json={
                "email_address": ["ada@example.org"],
                "password": PASSWORD,
                "public_metadata": {"role": "admin"},
            },
        ).json()
        with httpx.Client(base_url=hookline_server.url, follow_redirects=False) as browser:
            creds = {"email": "ada@example.org", "password": PASSWORD}
            assert browser.post("/dashboard/sign-in", data=creds).status_code == 303
            assert browser.get("/dashboard/").status_code == 200
            time.sleep(0.01)
            changed = backend.patch(f"/v1/users/{user['id']}", json={"password": "another fine passphrase 7"})
            assert changed.status_code == 200
            assert browser.get("/dashboard/").status_code == 303


def test_svix_logout_ends_the_callers_own_portal_token(hookline_server: HooklineServer, app_id: str) -> None:
    admin = _svix(hookline_server, hookline_server.token)
    access = admin.authentication.app_portal_access(app_id, AppPortalAccessIn())
    other = admin.authentication.app_portal_access(app_id, AppPortalAccessIn())
    browser, second = _portal_client(access.url), _portal_client(other.url)
    assert _opens(browser, hookline_server, app_id)
    _svix(hookline_server, access.token).authentication.logout()
    assert not _opens(browser, hookline_server, app_id)
    assert _opens(second, hookline_server, app_id)  # only the caller's own token ended
    with pytest.raises(HttpError):  # logging out twice: the token is no longer valid
        _svix(hookline_server, access.token).authentication.logout()
    with pytest.raises(HttpError):  # the API token is not a portal token: it cannot be logged out
        admin.authentication.logout()


def test_svix_expire_all_ends_every_earlier_portal_token_of_the_application(
    hookline_server: HooklineServer, app_id: str, api: httpx.Client
) -> None:
    admin = _svix(hookline_server, hookline_server.token)
    other_app = api.post("/api/v1/app", json={"name": "Other"}).json()["id"]
    first = _portal_client(admin.authentication.app_portal_access(app_id, AppPortalAccessIn()).url)
    elsewhere = _portal_client(admin.authentication.app_portal_access(other_app, AppPortalAccessIn()).url)
    admin.authentication.expire_all(app_id, ApplicationTokenExpireIn())
    assert not _opens(first, hookline_server, app_id)
    assert _opens(elsewhere, hookline_server, other_app)  # other applications keep theirs
    fresh = _portal_client(admin.authentication.app_portal_access(app_id, AppPortalAccessIn()).url)
    assert _opens(fresh, hookline_server, app_id)  # tokens issued afterwards work


def test_svix_expire_all_with_a_grace_period_and_session_ids(
    hookline_server: HooklineServer, app_id: str
) -> None:
    admin = _svix(hookline_server, hookline_server.token)
    tagged = _portal_client(
        admin.authentication.app_portal_access(app_id, AppPortalAccessIn(session_id="s1")).url
    )
    untagged = _portal_client(admin.authentication.app_portal_access(app_id, AppPortalAccessIn()).url)
    admin.authentication.expire_all(app_id, ApplicationTokenExpireIn(expiry=1, session_ids=["s1"]))
    assert _opens(tagged, hookline_server, app_id)  # still inside its grace period
    time.sleep(1.2)
    assert not _opens(tagged, hookline_server, app_id)
    assert _opens(untagged, hookline_server, app_id)  # not of that session


def test_portal_tokens_and_dashboard_sessions_are_stored_only_as_digests(
    hookline_server: HooklineServer, app_id: str
) -> None:
    admin = _svix(hookline_server, hookline_server.token)
    token = admin.authentication.app_portal_access(app_id, AppPortalAccessIn()).token
    with httpx.Client(base_url=hookline_server.url, follow_redirects=False) as browser:
        browser.post("/dashboard/sign-in", data={"token": hookline_server.token})
        cookie = browser.cookies["hookline_dashboard"]
    dump = _database_text(hookline_server)
    assert token not in dump and token[9:] not in dump and cookie not in dump


def _database_text(server: HooklineServer) -> str:
    async def read() -> str:
        store = server.app.state.runtime.store
        async with store.db.reader() as c:
            rows = [
                *await c.fetchall("SELECT * FROM portal_sessions"),
                *await c.fetchall("SELECT * FROM dashboard_sessions"),
            ]
        return repr(rows)

    return str(server.run(read()))


def test_answers_holding_a_secret_are_never_kept_for_idempotent_replay(
    hookline_server: HooklineServer, api: httpx.Client, app_id: str
) -> None:
    ep = api.post(f"/api/v1/app/{app_id}/endpoint", json={"url": "https://example.com/hook"}).json()
    key = {"idempotency-key": "rotate-once"}
    first = api.post(f"/api/v1/app/{app_id}/endpoint/{ep['id']}/secret/rotate", json={}, headers=key)
    again = api.post(f"/api/v1/app/{app_id}/endpoint/{ep['id']}/secret/rotate", json={}, headers=key)
    assert first.status_code == again.status_code == 200
    portal = api.post(f"/api/v1/auth/app-portal-access/{app_id}", json={}, headers={"idempotency-key": "p1"})
    dump = _idempotency_text(hookline_server)
    assert first.json()["key"] not in dump and again.json()["key"] not in dump
    assert portal.json()["token"] not in dump


def _idempotency_text(server: HooklineServer) -> str:
    async def read() -> str:
        async with server.app.state.runtime.store.db.reader() as c:
            return repr(await c.fetchall("SELECT key, body FROM idempotency"))

    return str(server.run(read()))


def test_an_end_user_password_change_revokes_their_other_sessions(hookline_server: HooklineServer) -> None:
    with (
        httpx.Client(base_url=hookline_server.url) as laptop,
        httpx.Client(base_url=hookline_server.url) as phone,
    ):
        assert (
            laptop.post(
                "/identity/sign_up", json={"email_address": "grace@example.org", "password": PASSWORD}
            ).status_code
            == 200
        )
        assert (
            phone.post(
                "/identity/sign_in", json={"email_address": "grace@example.org", "password": PASSWORD}
            ).status_code
            == 200
        )
        changed = laptop.patch(
            "/identity/me", json={"password": "a brand new passphrase 8", "current_password": PASSWORD}
        )
        assert changed.status_code == 200
        assert laptop.get("/identity/me").status_code == 200  # the session that changed it stays
        assert phone.get("/identity/me").status_code == 401


def test_an_email_change_needs_the_current_password(hookline_server: HooklineServer) -> None:
    with httpx.Client(base_url=hookline_server.url) as http:
        http.post("/identity/sign_up", json={"email_address": "grace@example.org", "password": PASSWORD})
        bare = http.post("/identity/me/email", json={"email_address": "mallory@example.org"})
        assert bare.status_code == 422 and bare.json()["errors"][0]["meta"] == {
            "param_name": "current_password"
        }
        wrong = http.post(
            "/identity/me/email",
            json={"email_address": "mallory@example.org", "current_password": "nope nope"},
        )
        assert wrong.status_code == 422
        ok = http.post(
            "/identity/me/email", json={"email_address": "grace2@example.org", "current_password": PASSWORD}
        )
        assert ok.status_code == 200
