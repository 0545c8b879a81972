"""HTML pages carry a Content-Security-Policy that forbids framing, nosniff and a Referrer-Policy;
portal links keep their token out of URLs that servers log."""

from __future__ import annotations

import httpx
import pytest

from tests.support.servers import HooklineServer

PAGES = ["/dashboard/sign-in", "/sign-in", "/sign-up", "/dashboard/portal/access"]


@pytest.mark.parametrize("path", PAGES)
def test_html_pages_carry_security_headers(hookline_server: HooklineServer, path: str) -> None:
    resp = httpx.get(hookline_server.url + path)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    csp = resp.headers["content-security-policy"]
    assert (
        "frame-ancestors 'none'" in csp
        and "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("style-src")[0]
    )
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["referrer-policy"] == "same-origin"


def test_signed_in_dashboard_pages_carry_them_too(hookline_server: HooklineServer) -> None:
    with httpx.Client(base_url=hookline_server.url, follow_redirects=False) as browser:
        browser.post("/dashboard/sign-in", data={"token": hookline_server.token})
        page = browser.get("/dashboard/")
    assert page.status_code == 200 and "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert (
        'onsubmit="' not in page.text and "<script>" not in page.text
    )  # nothing inline for the CSP to block


def test_json_answers_are_nosniff(hookline_server: HooklineServer) -> None:
    resp = httpx.get(
        hookline_server.url + "/api/v1/app", headers={"authorization": f"Bearer {hookline_server.token}"}
    )
    assert resp.headers["x-content-type-options"] == "nosniff"


def test_portal_links_carry_the_token_in_the_fragment(hookline_server: HooklineServer) -> None:
    api = httpx.Client(
        base_url=hookline_server.url, headers={"authorization": f"Bearer {hookline_server.token}"}
    )
    app = api.post("/api/v1/app", json={"name": "Shop"}).json()["id"]
    link = api.post(f"/api/v1/auth/app-portal-access/{app}", json={}).json()
    api.close()
    url, _, fragment = link["url"].partition("#")
    assert link["token"] not in url and fragment == f"token={link['token']}"
