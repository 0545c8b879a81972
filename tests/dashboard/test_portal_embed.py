"""The customer portal inside a cross-site iframe, in headless Chromium.

A page on ``localhost`` embeds a portal link of a hookline server on ``127.0.0.1`` (another site), as
a SaaS embeds Svix's App Portal: no cookie reaches a cross-site frame, so the portal's pages carry a
page key in their URLs, and the server lets only the configured origins frame them.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import in_ci
from tests.dashboard.conftest import api_client, make_app
from tests.support.servers import HooklineServer, RecordingReceiver, free_port

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists() and not in_ci():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


class EmbeddingSite:
    """The SaaS's own page: serves one HTML document that frames ``src``, on a free port of 127.0.0.1,
    reached by the browser as ``http://localhost:<port>`` (a different site from 127.0.0.1)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.src = ""
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = (
                    "<!doctype html><title>Acme settings</title><h1>Acme · Webhooks</h1>"
                    f'<iframe id="portal" src="{site.src}" style="width:1200px;height:1400px"></iframe>'
                ).encode()
                self.send_response(200)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.port}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def site() -> Iterator[EmbeddingSite]:
    s = EmbeddingSite()
    yield s
    s.close()


@pytest.fixture
def embeddable_server(sqlite_url: str, site: EmbeddingSite) -> Iterator[HooklineServer]:
    server = HooklineServer(
        database_url=sqlite_url, extra_settings={"portal_frame_ancestors": (site.origin,)}
    ).start()
    yield server
    server.stop()


@pytest.fixture
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            # third-party cookies blocked, as Chrome is moving to: the portal must not need them
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--test-third-party-cookie-phaseout",
            ],
        )
        yield b
        b.close()


def test_portal_works_inside_a_cross_site_iframe(
    embeddable_server: HooklineServer, site: EmbeddingSite, receiver: RecordingReceiver, browser: object
) -> None:
    server = embeddable_server
    api = api_client(server)
    app_id, _ = make_app(api, "Acme", "acme", receiver.url + "/existing")
    api.post("/api/v1/event-type", json={"name": "invoice.paid", "description": "An invoice was paid",
                                         "schemas": {"1": {"examples": [{"invoice": "in_42"}]}}})  # fmt: skip
    link = api.post(f"/api/v1/auth/app-portal-access/{app_id}", json={}).json()["url"]
    assert link.startswith(server.url)  # 127.0.0.1: another site than the embedding page's localhost
    path, fragment = link.split("#")
    site.src = (
        f"{path}?darkMode=true&primaryColor=%230b7a75#{fragment}"  # as svix-react's <AppPortal> adds them
    )

    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(site.origin + "/")
    portal = page.frame_locator("#portal")
    portal.locator(f"text={receiver.url}/existing").wait_for()
    frame = page.frame(url=lambda u: "/dashboard/p/" in u)
    assert frame is not None and "token" not in frame.url  # the page key, never the portal token
    portal.locator("html[data-theme='dark']").wait_for(state="attached")  # the link's look

    # the customer adds an endpoint, sends the event type's example to it and sees the attempt
    portal.locator("a:has-text('Add endpoint')").click()
    portal.locator("#url").fill(receiver.url + "/new")
    portal.locator("#description").fill("Billing")
    portal.locator("label:has-text('invoice.paid')").click()
    portal.locator("button:has-text('Create endpoint')").click()
    portal.locator("h1", has_text=receiver.url + "/new").wait_for()
    portal.locator("button:has-text('Send example')").click()
    portal.locator(".attempt .badge:has-text('200')").wait_for()
    got = receiver.wait_for(1, path="/new")
    assert b"in_42" in got[0].body

    # and finds it in the message log
    portal.locator("nav a:has-text('Messages')").click()
    portal.locator("#log a:has-text('invoice.paid')").first.wait_for()
    # all of it without a cookie: the browser kept none for the portal's site
    assert not [c for c in page.context.cookies() if c["domain"] == "127.0.0.1"]
    api.close()


def test_only_the_portal_may_be_framed_and_only_by_configured_origins(
    embeddable_server: HooklineServer, site: EmbeddingSite, receiver: RecordingReceiver
) -> None:
    server = embeddable_server
    api = api_client(server)
    app_id, _ = make_app(api, "Acme", "acme", receiver.url + "/e")
    link = api.post(f"/api/v1/auth/app-portal-access/{app_id}", json={}).json()["url"]
    with httpx.Client(base_url=server.url) as browser_like:
        landing = browser_like.get(link.split("#")[0])
        csp = landing.headers["content-security-policy"]
        assert f"frame-ancestors {site.origin}" in csp and "x-frame-options" not in landing.headers
        token = link.split("#token=")[1]
        opened = browser_like.post("/dashboard/portal/access", data={"token": token},
                                   headers={"sec-fetch-site": "same-origin"})  # fmt: skip
        assert opened.status_code == 303
        page_url = opened.headers["location"]
        assert page_url.startswith("/dashboard/p/hlpage_") and token not in page_url
        browser_like.cookies.clear()  # as in a cross-site frame: no cookie at all
        page = browser_like.get(page_url)
        assert page.status_code == 200 and receiver.url + "/e" in page.text
        assert f"frame-ancestors {site.origin}" in page.headers["content-security-policy"]
        assert page.headers["referrer-policy"] == "no-referrer"
        # the operator's dashboard keeps refusing every frame
        for path in ("/dashboard/sign-in", f"/dashboard/app/{app_id}"):
            resp = browser_like.get(path, follow_redirects=True)
            assert "frame-ancestors 'none'" in resp.headers["content-security-policy"], path
            assert resp.headers["x-frame-options"] == "DENY", path
        # a key is no API token and no other application's key; logging the token out ends its pages
        assert browser_like.get(page_url.replace(app_id, "app_other")).status_code == 403
        bad = page_url.split("/")[3][:-4] + "AAAA"
        assert browser_like.get(f"/dashboard/p/{bad}/{app_id}").status_code == 403
        out = httpx.post(server.url + "/api/v1/auth/logout", headers={"authorization": f"Bearer {token}"})
        assert out.status_code == 204
        assert browser_like.get(page_url).status_code == 403
    api.close()


def test_frame_ancestors_setting_takes_origins_only() -> None:
    from hookline.config import ConfigError, Settings

    env = {"HOOKLINE_PORTAL_FRAME_ANCESTORS": "https://app.example.com, http://localhost:3000"}
    assert Settings.from_env(env).portal_frame_ancestors == (
        "https://app.example.com",
        "http://localhost:3000",
    )
    for bad in ("*", "https://app.example.com/path", "javascript:alert(1)", "'none'"):
        with pytest.raises(ConfigError, match="HOOKLINE_PORTAL_FRAME_ANCESTORS"):
            Settings.from_env({"HOOKLINE_PORTAL_FRAME_ANCESTORS": bad})
