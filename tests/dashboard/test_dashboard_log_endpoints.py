"""The message log per endpoint: with an endpoint chosen, statuses and badges are that endpoint's, and
every row says what happened at each endpoint."""

from __future__ import annotations

import re

import httpx

from tests.dashboard.conftest import Shop
from tests.dashboard.test_dashboard_pages import wait_until


def badge(row_html: str) -> str:
    found = re.search(r'<td><span class="badge (\w+)">', row_html)
    assert found, row_html
    return found.group(1)


def rows(page: str) -> dict[str, str]:
    """Message id → its row's HTML."""
    return {
        m.group(1): m.group(0)
        for m in re.finditer(r'<tr class="[^"]*" id="row-(msg_\w+)".*?</tr>', page, re.S)
    }


def test_chosen_endpoint_decides_status_filter_and_badges(shop: Shop, dash: httpx.Client) -> None:
    bad = shop.api.post(
        f"/api/v1/app/{shop.app_id}/endpoint", json={"url": shop.receiver.url + "/bad"}
    ).json()["id"]
    shop.receiver.handler = lambda rec: 500 if rec.path == "/bad" else 200
    msg_id = shop.send()
    good_ep = shop.endpoint_id

    def settled() -> bool:
        page = dash.get(f"{shop.base}/messages", params={"endpoint": bad, "status": "fail"}).text
        return msg_id in rows(page)

    wait_until(settled, "the bad endpoint's delivery to fail for good")
    everywhere = rows(dash.get(f"{shop.base}/messages").text)[msg_id]
    assert badge(everywhere) == "fail"  # across endpoints, one failure is the message's state
    # each endpoint's outcome is on the row
    assert "/hook</a>" in everywhere and "/bad</a>" in everywhere
    assert everywhere.count('class="badge success"') == 1 and everywhere.count('class="badge fail"') == 2

    at_good = dash.get(f"{shop.base}/messages", params={"endpoint": good_ep}).text
    row = rows(at_good)[msg_id]
    assert badge(row) == "success" and "at this endpoint" in row and "/bad</a>" not in row
    assert msg_id in rows(
        dash.get(f"{shop.base}/messages", params={"endpoint": good_ep, "status": "success"}).text
    )
    assert msg_id not in rows(
        dash.get(f"{shop.base}/messages", params={"endpoint": good_ep, "status": "fail"}).text
    )
    assert msg_id in rows(dash.get(f"{shop.base}/messages", params={"endpoint": bad, "status": "fail"}).text)
    assert msg_id not in rows(
        dash.get(f"{shop.base}/messages", params={"endpoint": bad, "status": "success"}).text
    )
    # the row a pending message polls answers with the same per-endpoint view
    one = dash.get(f"{shop.base}/msg/{msg_id}/row", params={"endpoint": good_ep})
    assert one.status_code == 200 and badge(one.text) == "success"


def test_pending_rows_poll_their_own_status(shop: Shop, dash: httpx.Client) -> None:
    shop.receiver.status = 500
    msg_id = shop.send()
    page = dash.get(f"{shop.base}/messages").text
    row = rows(page)[msg_id]
    if badge(row) == "pending":
        assert f'hx-get="{shop.base}/msg/{msg_id}/row"' in row
    wait_until(lambda: badge(dash.get(f"{shop.base}/msg/{msg_id}/row").text) == "fail", "the message to fail")
    assert "hx-trigger" not in dash.get(f"{shop.base}/msg/{msg_id}/row").text
