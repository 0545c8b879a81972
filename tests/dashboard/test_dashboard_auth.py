"""Signing in to the dashboard, and what an app-portal link can and cannot open."""

from __future__ import annotations

import re

import httpx

from tests.dashboard.conftest import Shop, csrf, make_app, sign_in
from tests.support.portal import open_portal
from tests.support.servers import HooklineServer

PAGES = ["/dashboard/", "/dashboard/apps", "/dashboard/messages", "/dashboard/users"]


def test_pages_without_a_session_redirect_to_sign_in(hookline_server: HooklineServer) -> None:
    with httpx.Client(base_url=hookline_server.url) as client:
        for path in PAGES:
            resp = client.get(path)
            assert resp.status_code == 303, path
            assert resp.headers["location"].startswith("/dashboard/sign-in?next=")


def test_sign_in_page_explains_where_the_token_comes_from(hookline_server: HooklineServer) -> None:
    resp = httpx.get(hookline_server.url + "/dashboard/sign-in")
    assert resp.status_code == 200
    assert "HOOKLINE_API_TOKEN" in resp.text


def test_wrong_token_is_refused_with_a_reason(hookline_server: HooklineServer) -> None:
    resp = httpx.post(hookline_server.url + "/dashboard/sign-in", data={"token": "nope"})
    assert resp.status_code == 401
    assert "not valid" in resp.text
    assert "hookline_dashboard" not in resp.headers.get("set-cookie", "")


def test_api_token_signs_in_and_returns_to_the_page_asked_for(hookline_server: HooklineServer) -> None:
    with httpx.Client(base_url=hookline_server.url) as client:
        resp = client.post(
            "/dashboard/sign-in", data={"token": hookline_server.token, "next": "/dashboard/apps"}
        )
        assert resp.status_code == 303
        assert resp.headers["location"] == "/dashboard/apps"
        assert client.get("/dashboard/apps").status_code == 200


def test_sign_in_does_not_redirect_off_site(hookline_server: HooklineServer) -> None:
    resp = httpx.post(
        hookline_server.url + "/dashboard/sign-in",
        data={"token": hookline_server.token, "next": "//evil.example/"},
    )
    assert resp.headers["location"] == "/dashboard/"


def test_tampered_session_cookie_is_ignored(hookline_server: HooklineServer) -> None:
    client = sign_in(hookline_server)
    value = client.cookies["hookline_dashboard"]
    client.cookies.clear()
    client.cookies.set("hookline_dashboard", value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1])
    assert client.get("/dashboard/").status_code == 303
    client.close()


def test_sign_out_ends_the_session(hookline_server: HooklineServer, dash: httpx.Client) -> None:
    token = csrf(dash.get("/dashboard/").text)
    assert dash.post("/dashboard/sign-out", data={"csrf": token}).status_code == 303
    assert dash.get("/dashboard/").status_code == 303


def test_form_without_its_token_is_refused(shop: Shop, dash: httpx.Client) -> None:
    msg_id = shop.send()
    resp = dash.post(f"{shop.base}/msg/{msg_id}/resend/{shop.endpoint_id}", data={})
    assert resp.status_code == 403
    assert "reload the page" in resp.text


def test_portal_access_needs_the_api_token(shop: Shop) -> None:
    resp = httpx.post(f"{shop.server.url}/api/v1/auth/app-portal-access/{shop.app_id}", json={})
    assert resp.status_code == 401


def test_portal_access_for_unknown_app_is_404(shop: Shop) -> None:
    assert shop.api.post("/api/v1/auth/app-portal-access/app_missing", json={}).status_code == 404


def test_portal_link_opens_only_its_application(shop: Shop) -> None:
    other_app, other_ep = make_app(shop.api, "Other", "other", shop.receiver.url + "/other")
    other_msg = shop.api.post(
        "/api/v1/app/other/msg", json={"eventType": "x.y", "payload": {"secret": 1}}
    ).json()["id"]
    own_msg = shop.send()
    access = shop.api.post(f"/api/v1/auth/app-portal-access/{shop.app_id}", json={"expiry": 3600})
    assert access.status_code == 200
    body = access.json()
    assert set(body) >= {"url", "token"}
    with httpx.Client(follow_redirects=False, timeout=20) as portal:
        entry = open_portal(portal, body["url"])
        assert entry.status_code == 303
        assert re.fullmatch(rf"/dashboard/p/hlpage_[\w-]+/{shop.app_id}", entry.headers["location"])
        own = f"{shop.server.url}/dashboard/portal/{shop.app_id}"
        assert portal.get(own).status_code == 200
        assert portal.get(f"{own}/messages").status_code == 200
        assert portal.get(f"{own}/msg/{own_msg}").status_code == 200
        # another application's pages, its message through this app's pages, and admin pages
        other = f"{shop.server.url}/dashboard/portal/{other_app}"
        assert portal.get(other).status_code == 403
        assert portal.get(f"{other}/messages").status_code == 403
        assert portal.get(f"{other}/msg/{other_msg}").status_code == 403
        assert portal.get(f"{other}/endpoint/{other_ep}").status_code == 403
        assert portal.get(f"{own}/msg/{other_msg}").status_code == 404
        assert portal.get(f"{own}/endpoint/{other_ep}").status_code == 404
        assert portal.get(f"{shop.server.url}/dashboard/app/{other_app}").status_code == 303
        assert portal.get(f"{shop.server.url}/dashboard/messages").status_code == 303
        log = portal.get(f"{own}/messages").text
        assert own_msg in log and other_msg not in log


def test_bad_portal_link_says_to_ask_for_a_new_one(hookline_server: HooklineServer) -> None:
    resp = httpx.get(hookline_server.url + "/dashboard/portal/access?token=hlportal_forged.sig")
    assert resp.status_code == 403
    assert "Ask for a new link" in resp.text


def test_admin_user_signs_in_with_email_and_password(hookline_server: HooklineServer) -> None:
    clerk = httpx.Client(
        base_url=hookline_server.url,
        headers={"authorization": f"Bearer {hookline_server.secret_key}"},
        timeout=20,
    )
    body = {"email_address": ["ada@example.org"], "password": "correct horse battery staple 9"}
    user = clerk.post("/v1/users", json=body)
    assert user.status_code == 200, user.text
    creds = {"email": "ada@example.org", "password": body["password"]}
    with httpx.Client(base_url=hookline_server.url) as client:
        # not an administrator yet
        assert client.post("/dashboard/sign-in", data=creds).status_code == 401
        meta = clerk.patch(
            f"/v1/users/{user.json()['id']}/metadata", json={"public_metadata": {"role": "admin"}}
        )
        assert meta.status_code == 200, meta.text
        assert client.post("/dashboard/sign-in", data=creds).status_code == 303
        assert client.get("/dashboard/users").status_code == 200
    with httpx.Client(base_url=hookline_server.url) as client:
        assert client.post("/dashboard/sign-in", data={**creds, "password": "wrong"}).status_code == 401
    # a password marked compromised signs in nowhere until it is reset
    assert clerk.post(f"/v1/users/{user.json()['id']}/password/set_compromised", json={}).status_code == 200
    with httpx.Client(base_url=hookline_server.url) as client:
        refused = client.post("/dashboard/sign-in", data=creds)
        assert refused.status_code == 422 and "may be compromised" in refused.text
    clerk.close()


def test_svix_sdk_gets_a_portal_link(shop: Shop) -> None:
    from svix.api import AppPortalAccessIn, Svix, SvixOptions

    client = Svix(shop.server.token, SvixOptions(server_url=shop.server.url))
    out = client.authentication.app_portal_access(shop.app_id, AppPortalAccessIn(expiry=3600))
    client._httpx_client.close()
    assert out.token.startswith("hlportal_")
    with httpx.Client(follow_redirects=True, timeout=20) as portal:
        assert re.fullmatch(
            rf"/dashboard/p/hlpage_[\w-]+/{shop.app_id}", open_portal(portal, out.url).url.path
        )


def test_read_only_portal_link_shows_but_changes_nothing(shop: Shop) -> None:
    msg_id = shop.send()
    access = shop.api.post(f"/api/v1/auth/app-portal-access/{shop.app_id}", json={"readOnly": True}).json()
    with httpx.Client(follow_redirects=True, timeout=20) as portal:
        home = open_portal(portal, access["url"])
        assert home.status_code == 200 and "Send a test event" not in home.text
        base = f"{shop.server.url}/dashboard/portal/{shop.app_id}"
        endpoint = portal.get(f"{base}/endpoint/{shop.endpoint_id}")
        assert (
            endpoint.status_code == 200
            and "read-only" in endpoint.text
            and "Rotate secret" not in endpoint.text
        )
        assert portal.get(f"{base}/endpoint/{shop.endpoint_id}/secret").status_code == 403
        detail = portal.get(f"{base}/msg/{msg_id}")
        assert detail.status_code == 200 and "Resend" not in detail.text
        resend = portal.post(f"{base}/msg/{msg_id}/resend/{shop.endpoint_id}", data={})
        assert resend.status_code == 403 and "read-only" in resend.text
