"""Accessibility of every dashboard and portal page in Chromium: an axe-core scan in light and dark mode
(no serious or critical violation), and a main flow done with the keyboard alone.

axe-core comes from npm (``tests/dashboard/package.json``; ``npm ci`` there). One server and one browser
serve the whole module. With ``HOOKLINE_DOC_SHOTS=1`` the scan also writes the screenshots that
docs/dashboard.md shows to docs/img/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import in_ci
from tests.dashboard.conftest import api_client, make_app
from tests.dashboard.test_dashboard_pages import wait_until
from tests.support.servers import HooklineServer, RecordingReceiver

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1100, "height": 720}

if not Path(CHROMIUM).exists() and not in_ci():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium", allow_module_level=True)
if not AXE.exists() and not in_ci():
    pytest.skip("axe-core is missing: run `npm ci` in tests/dashboard", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

SCHEMA = {
    "type": "object",
    "required": ["id"],
    "properties": {"id": {"type": "string", "description": "The invoice id"}, "amount": {"type": "integer"}},
    "examples": [{"id": "inv_1", "amount": 1200}],
}


@dataclass
class Site:
    server: HooklineServer
    receiver: RecordingReceiver
    app_id: str
    endpoint_id: str
    msg_id: str
    attempt_id: str
    user_id: str
    portal_link: str

    def admin_pages(self) -> dict[str, str]:
        base = f"/dashboard/app/{self.app_id}"
        return {
            "overview": "/dashboard/", "applications": "/dashboard/apps", "application": base,
            "endpoint": f"{base}/endpoint/{self.endpoint_id}", "message": f"{base}/msg/{self.msg_id}",
            "attempt": f"{base}/attempt/{self.attempt_id}", "messages": f"{base}/messages",
            "all-messages": "/dashboard/messages", "test-event": f"{base}/test",
            "catalog": "/dashboard/event-types", "event-type": "/dashboard/event-types/invoice.paid",
            "new-event-type": "/dashboard/event-types/new", "edit-event-type": "/dashboard/event-types/invoice.paid/edit",
            "users": "/dashboard/users", "user": f"/dashboard/users/{self.user_id}", "find": "/dashboard/find",
            "status": "/dashboard/status", "not-found": "/dashboard/no-such-page",
        }  # fmt: skip

    def portal_pages(self, base: str) -> dict[str, str]:
        """The portal's pages under ``base``, where the portal link landed."""
        return {
            "portal-endpoints": base, "portal-endpoint": f"{base}/endpoint/{self.endpoint_id}",
            "portal-messages": f"{base}/messages", "portal-message": f"{base}/msg/{self.msg_id}",
            "portal-attempt": f"{base}/attempt/{self.attempt_id}", "portal-test": f"{base}/test",
            "portal-catalog": f"{base}/event-types", "portal-event-type": f"{base}/event-types/invoice.paid",
        }  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A server with an application, a healthy and a failing endpoint, messages, an event type, a user
    with a session, and a portal link."""
    receiver = RecordingReceiver().start()
    receiver.handler = lambda rec: 500 if rec.path == "/bad" else 200
    server = HooklineServer(
        database_url=f"sqlite:///{tmp_path_factory.mktemp('a11y') / 'hookline.db'}"
    ).start()
    api = api_client(server)
    app_id, ep_id = make_app(api, "Shop", "shop", receiver.url + "/hook", description="orders")
    api.post("/api/v1/app/shop/endpoint", json={"url": receiver.url + "/bad"})
    made = api.post("/api/v1/event-type", json={"name": "invoice.paid", "description": "An invoice was paid",
                                                "groupName": "invoice", "schemas": {"1": SCHEMA}})  # fmt: skip
    assert made.status_code == 201, made.text
    msg_id = ""
    for i in range(6):
        msg_id = api.post(
            "/api/v1/app/shop/msg", json={"eventType": "invoice.paid", "payload": {"id": f"inv_{i}"}}
        ).json()["id"]
    attempts_url = f"/api/v1/app/shop/attempt/endpoint/{ep_id}"
    wait_until(lambda: len(api.get(attempts_url).json()["data"]) >= 6, "six attempts")
    attempt_id = api.get(f"/api/v1/app/shop/attempt/msg/{msg_id}").json()["data"][0]["id"]
    clerk = httpx.Client(
        base_url=server.url + "/v1", headers={"authorization": f"Bearer {server.secret_key}"}
    )
    user = clerk.post("/users", json={"email_address": ["ada@example.org"], "first_name": "Ada"}).json()
    clerk.post("/sessions", json={"user_id": user["id"]})
    clerk.close()
    link = api.post(f"/api/v1/auth/app-portal-access/{app_id}", json={}).json()["url"]
    api.close()
    yield Site(server, receiver, app_id, ep_id, msg_id, attempt_id, user["id"], link)
    server.stop()
    receiver.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, once for the module."""
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def signed_in(browser: Any, site: Site, **options: Any) -> Any:
    ctx = browser.new_context(viewport=DESKTOP, **options)
    page = ctx.new_page()
    page.goto(site.server.url + "/dashboard/sign-in")
    page.fill("#token", site.server.token)
    page.click("text=Sign in with the token")
    page.wait_for_url("**/dashboard/")
    return page


def violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the page as it stands."""
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => ({id: v.id, impact: v.impact, help: v.help,
                            nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
        }"""
    )
    return found


def scan(page: Any, site: Site, pages: dict[str, str], scheme: str, shots: set[str]) -> list[str]:
    problems = []
    for name, path in pages.items():
        page.goto(site.server.url + path)
        page.wait_for_load_state("load")
        for v in violations(page):
            problems.append(
                f"{scheme} {name} ({path}): {v['impact']} {v['id']} — {v['help']} at {v['nodes']}"
            )
        if os.environ.get("HOOKLINE_DOC_SHOTS") and name in shots:
            DOCS_IMG.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(DOCS_IMG / f"dashboard-{name}-{scheme}.png"))
    return problems


DOC_SHOTS = {
    "overview",
    "endpoint",
    "message",
    "messages",
    "catalog",
    "event-type",
    "user",
    "portal-endpoint",
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_passes_axe(site: Site, browser: Any, scheme: str) -> None:
    admin = signed_in(browser, site, bypass_csp=True, color_scheme=scheme)  # axe is injected as a script
    problems = scan(admin, site, site.admin_pages(), scheme, DOC_SHOTS)
    # the scan does see a violation when there is one: an unlabelled field is critical
    admin.goto(site.server.url + "/dashboard/")
    admin.evaluate(
        "() => document.querySelector('main').insertAdjacentHTML('beforeend', '<input id=nolabel>')"
    )
    assert "label" in [v["id"] for v in violations(admin)]
    admin.context.close()
    anonymous = browser.new_context(viewport=DESKTOP, bypass_csp=True, color_scheme=scheme).new_page()
    problems += scan(anonymous, site, {"sign-in": "/dashboard/sign-in"}, scheme, set())
    anonymous.goto(site.portal_link)
    anonymous.wait_for_url(f"**/{site.app_id}")
    landed = urlsplit(anonymous.url).path
    problems += scan(anonymous, site, site.portal_pages(landed), scheme, DOC_SHOTS)
    anonymous.context.close()
    assert not problems, "\n".join(problems)


def tab_to(page: Any, selector: str, most: int = 60) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.locator(f"{selector}:focus").count():
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_keyboard_alone_signs_in_finds_a_message_and_resends_it(site: Site, browser: Any) -> None:
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(site.server.url + "/dashboard/sign-in")
    # the first Tab reaches the skip link, which takes the focus past the header
    page.keyboard.press("Tab")
    assert page.locator("a.skip:focus").count() == 1
    tab_to(page, "#token")
    page.keyboard.type(site.server.token)
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard/")
    page.keyboard.press("Tab")
    assert page.locator("a.skip:focus").count() == 1
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.locator("main :focus").count() == 1  # past the navigation, into the content
    # find by id from the header
    tab_to(page, "#find")
    page.keyboard.type(site.msg_id)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/msg/{site.msg_id}")
    # resend it to its endpoint
    tab_to(page, "#delivery button:has-text('Resend')")
    page.keyboard.press("Enter")
    page.locator(".alert.notice", has_text="Resend scheduled").wait_for()
    # the range picker of a chart and the attempt tabs are links in the tab order
    page.goto(f"{site.server.url}/dashboard/app/{site.app_id}/endpoint/{site.endpoint_id}")
    tab_to(page, "nav.range a:has-text('7 d')")
    page.keyboard.press("Enter")
    page.wait_for_url("**range=7d**")
    tab_to(page, "nav.tabs a:has-text('Failed')")
    page.keyboard.press("Enter")
    page.wait_for_url("**tab=failed**")
    page.context.close()


def test_pages_fit_a_phone_screen(site: Site, browser: Any) -> None:
    """At 390 px no page scrolls sideways: wide tables scroll inside their own box, charts scale down."""
    page = signed_in(browser, site, bypass_csp=True)
    page.set_viewport_size({"width": 390, "height": 844})
    wide = []
    for name, path in site.admin_pages().items():
        page.goto(site.server.url + path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > 391:
            wide.append(f"{name} ({path}): {width} px")
    assert not wide, "\n".join(wide)
    # the chart's labels stay readable: its SVG is as wide as the screen allows
    page.goto(f"{site.server.url}/dashboard/app/{site.app_id}/endpoint/{site.endpoint_id}")
    box = page.locator("svg.chart").bounding_box()
    assert box is not None and box["width"] >= 300
    page.context.close()
