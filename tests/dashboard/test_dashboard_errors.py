"""Browsers get HTML error pages with a way back; the JSON APIs keep their JSON errors."""

from __future__ import annotations

import httpx

from tests.dashboard.conftest import Shop
from tests.support.servers import HooklineServer

HTML = {"accept": "text/html,application/xhtml+xml"}


def test_unknown_dashboard_pages_are_html_404s(shop: Shop, dash: httpx.Client) -> None:
    for path in ("/dashboard/nope", f"{shop.base}/nope/deeper", "/dashboard/static/missing.css"):
        resp = dash.get(path)
        assert resp.status_code == 404, path
        assert resp.headers["content-type"].startswith("text/html") and "Not found" in resp.text
        assert 'href="/dashboard/"' in resp.text and 'href="#main"' in resp.text
    wrong_method = dash.get(f"{shop.base}/msg/msg_x/resend/ep_x")
    assert wrong_method.status_code == 405 and "Not allowed here" in wrong_method.text
    # the signed-in operator keeps the navigation on an error page
    assert 'action="/dashboard/find"' in dash.get("/dashboard/nope").text


def test_anonymous_browsers_get_html_too(hookline_server: HooklineServer) -> None:
    page = httpx.get(hookline_server.url + "/no-such-page", headers=HTML)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert httpx.get(hookline_server.url + "/dashboard/nope").headers["content-type"].startswith("text/html")


def test_apis_keep_json_errors(shop: Shop) -> None:
    for path in ("/api/v1/nope", "/api/v1/app/app_missing", "/v1/users/user_missing"):
        resp = httpx.get(
            shop.server.url + path, headers={**HTML, "authorization": f"Bearer {shop.server.token}"}
        )
        assert resp.headers["content-type"].startswith("application/json"), path
    bad = shop.api.get("/api/v1/app", params={"limit": "lots"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/json")
    assert httpx.get(shop.server.url + "/no-such-page").headers["content-type"].startswith("application/json")
