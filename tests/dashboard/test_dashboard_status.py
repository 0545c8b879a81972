"""The operator's status page: queue, failing endpoints, database size and the last retention pass."""

from __future__ import annotations

import time

import httpx

from hookline.ops.retention import RetentionRunner
from hookline.opsconfig import RetentionSettings
from tests.dashboard.conftest import Shop
from tests.dashboard.test_dashboard_pages import wait_until


def test_status_page_shows_the_queue_failing_endpoints_and_retention(shop: Shop, dash: httpx.Client) -> None:
    page = dash.get("/dashboard/status")
    assert page.status_code == 200
    assert "Deliveries waiting" in page.text and "No endpoint is failing" in page.text
    shop.receiver.status = 500
    shop.send()
    wait_until(
        lambda: "No endpoint is failing" not in dash.get("/dashboard/status").text, "a failing endpoint"
    )
    page = dash.get("/dashboard/status").text
    assert shop.endpoint_id in page and shop.receiver.url + "/hook" in page
    assert "1 failing" in page
    # a retention pass run by the server's own runner shows with what it did
    runner = RetentionRunner(
        shop.server.app.state.runtime.store.db, RetentionSettings(pause_seconds=0.0),
        clock=lambda: time.time() + 91 * 86400, holder="status-test",
    )  # fmt: skip
    shop.server.run(runner.run_once())
    page = dash.get("/dashboard/status").text
    assert "Last pass finished" in page and "status-test" in page
    assert "1 payloads expunged" in page


def test_status_page_is_for_administrators_only(shop: Shop) -> None:
    anonymous = httpx.get(shop.server.url + "/dashboard/status", follow_redirects=False)
    assert anonymous.status_code == 303 and "/dashboard/sign-in" in anonymous.headers["location"]
