"""The dashboard in headless Chromium: sign in, watch a sign-up arrive, debug and resend it, use a portal link.

Screenshots of the key steps go to ``artifacts/dashboard/`` (ignored by git) at desktop and phone widths.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import in_ci
from tests.dashboard.conftest import api_client, make_app
from tests.support.servers import HooklineServer, RecordingReceiver

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("HOOKLINE_ARTIFACTS", "artifacts")) / "dashboard"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

if not Path(CHROMIUM).exists() and not in_ci():
    pytest.skip(
        f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run the browser tests",
        allow_module_level=True,
    )

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e .[dev])"
)


@pytest.fixture
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


@pytest.fixture
def hookline_server(sqlite_url: str) -> Iterator[HooklineServer]:
    """The browser flow runs on SQLite only; the HTTP tests cover both backends."""
    server = HooklineServer(database_url=sqlite_url).start()
    yield server
    server.stop()


def shot(page: object, name: str) -> None:
    """Save a full-page screenshot of the current page."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_sign_up_is_seen_debugged_resent_and_portal_is_isolated(
    hookline_server: HooklineServer, receiver: RecordingReceiver, browser: object
) -> None:
    server = hookline_server
    api = api_client(server)
    # the identity application exists from the first identity call; give it an endpoint on the receiver
    clerk = httpx.post(
        server.url + "/v1/webhooks/svix", headers={"authorization": f"Bearer {server.secret_key}"}
    )
    assert clerk.status_code < 300, clerk.text
    ep = api.post("/api/v1/app/identity/endpoint", json={"url": receiver.url + "/clerk"})
    assert ep.status_code == 201, ep.text
    ep_id = ep.json()["id"]
    other_app, _ = make_app(api, "Other customer", "other", receiver.url + "/other")
    other_msg = api.post(
        "/api/v1/app/other/msg", json={"eventType": "invoice.paid", "payload": {"n": 1}}
    ).json()["id"]

    ctx = browser.new_context(viewport=DESKTOP)  # type: ignore[attr-defined]
    page = ctx.new_page()
    page.goto(server.url + "/dashboard/messages")
    assert "/dashboard/sign-in" in page.url
    shot(page, "01-sign-in")
    page.fill("#token", server.token)
    page.click("text=Sign in with the token")
    page.wait_for_url("**/dashboard/messages")
    page.wait_for_selector("#live-status:has-text('live')")

    # a person signs up on the hosted page; the open log shows user.created as it arrives
    visitor = browser.new_context(viewport=PHONE).new_page()  # type: ignore[attr-defined]
    visitor.goto(server.url + "/sign-up")
    visitor.fill("#first_name", "Grace")
    visitor.fill("#email_address", "grace@example.org")
    visitor.fill("#password", "a long and unusual passphrase 42")
    visitor.click("button[type=submit]")
    visitor.wait_for_url("**/account")
    row = page.locator("#log tbody tr", has_text="user.created").first
    row.wait_for()
    receiver.wait_for(1, path="/clerk")
    shot(page, "02-log-live-desktop")

    # open it: the payload and the successful attempt with its request headers
    row.locator("a").first.click()
    page.wait_for_selector(".attempt")
    page.wait_for_selector(".attempt .badge:has-text('200')")
    assert "grace@example.org" in page.content()
    page.locator("summary", has_text="Request headers").first.click()
    assert page.locator("text=svix-id:").count() >= 1
    shot(page, "03-message-detail-desktop")

    # the endpoint fails: a resend shows the failed attempt, then succeeds once it recovers
    receiver.status = 500
    page.click("button:has-text('Resend')")
    page.wait_for_selector(".attempt .badge:has-text('500')")
    shot(page, "04-message-failed-desktop")
    receiver.status = 200
    page.wait_for_selector("#delivery:not([hx-trigger])")
    page.click("button:has-text('Resend')")
    # locators, not wait_for_function: the page's CSP allows no string evaluation
    page.locator(".attempt .badge.success").nth(1).wait_for()
    detail_url = page.url

    page.set_viewport_size(PHONE)
    page.goto(detail_url)
    shot(page, "05-message-detail-phone")
    page.goto(server.url + "/dashboard/")
    shot(page, "06-overview-phone")
    page.set_viewport_size(DESKTOP)
    page.goto(server.url + "/dashboard/")
    assert page.locator("svg.chart").count() == 1
    shot(page, "07-overview-desktop")

    # a test event: the event type's example is loaded into the editor, sent, and its attempt appears
    identity_app = api.get("/api/v1/app/identity").json()["id"]
    page.goto(f"{server.url}/dashboard/app/{identity_app}/test")
    # the event type is picked from the catalog; picking it loads its example
    page.select_option("#event_type", "user.updated")
    sync_api.expect(page.locator("#payload")).to_have_value(re.compile("user.updated"))
    shot(page, "08-test-event-desktop")
    page.click("button:has-text('Send to this endpoint only')")
    page.wait_for_selector(".attempt .badge:has-text('200')")
    assert "user.updated" in page.content()
    page.goto(f"{server.url}/dashboard/app/{identity_app}/endpoint/{ep_id}")
    page.click("button:has-text('Reveal secret')")
    page.wait_for_selector("#secret-value")
    shot(page, "09-endpoint-desktop")

    # an app-portal link opens the identity application only
    link = api.post(f"/api/v1/auth/app-portal-access/{identity_app}", json={}).json()["url"]
    portal = browser.new_context(viewport=PHONE).new_page()  # type: ignore[attr-defined]
    portal.goto(link)
    portal.wait_for_url(f"**/dashboard/p/*/{identity_app}")
    assert receiver.url + "/clerk" in portal.content()
    shot(portal, "10-portal-endpoints-phone")
    portal.goto(f"{server.url}/dashboard/portal/{identity_app}/messages")
    portal.wait_for_selector("#log a:has-text('user.created')")
    shot(portal, "11-portal-messages-phone")
    for url in (
        f"/dashboard/portal/{other_app}",
        f"/dashboard/portal/{other_app}/messages",
        f"/dashboard/portal/{other_app}/msg/{other_msg}",
        f"/dashboard/portal/{identity_app}/msg/{other_msg}",
    ):
        resp = portal.goto(server.url + url)
        assert resp is not None and resp.status in (403, 404), url
    shot(portal, "12-portal-refused-phone")
    resp = portal.goto(f"{server.url}/dashboard/app/{other_app}")
    assert resp is not None and "/dashboard/sign-in" in portal.url
    api.close()
