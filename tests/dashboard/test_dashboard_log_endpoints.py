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


def test_log_pages_both_ways_with_counts_and_date_presets(shop: Shop, dash: httpx.Client) -> None:
    sent = [shop.send(n=i) for i in range(120)]  # newest last
    first = dash.get(f"{shop.base}/messages").text
    assert "120 messages match · showing 50" in first and "Newer messages" not in first
    assert list(rows(first)) == sent[::-1][:50]
    older = re.search(r'href="\?before=(msg_\w+)&?[^"]*">Older messages', first.replace("&amp;", "&"))
    assert older
    second = dash.get(f"{shop.base}/messages", params={"before": older.group(1)}).text
    assert list(rows(second)) == sent[::-1][50:100]
    newer = re.search(r'href="\?after=(msg_\w+)[^"]*">Newer messages', second.replace("&amp;", "&"))
    assert newer
    back = dash.get(f"{shop.base}/messages", params={"after": newer.group(1)}).text
    assert list(rows(back)) == sent[::-1][:50] and "Newer messages" not in back and "Older messages" in back
    third = re.search(r'href="\?before=(msg_\w+)[^"]*">Older messages', second.replace("&amp;", "&"))
    assert third
    last = dash.get(f"{shop.base}/messages", params={"before": third.group(1)}).text
    assert list(rows(last)) == sent[::-1][100:] and "Older messages" not in last and "Newer messages" in last
    # presets set "from" to a recent time; all 120 are within the last hour
    preset = re.search(r'href="(\?since=[^"]+)">Last hour', first.replace("&amp;", "&"))
    assert preset
    assert "120 messages match" in dash.get(f"{shop.base}/messages{preset.group(1)}").text


def test_times_are_relative_with_absolute_fallback(shop: Shop, dash: httpx.Client) -> None:
    msg_id = shop.send()
    row = rows(dash.get(f"{shop.base}/messages").text)[msg_id]
    found = re.search(
        r'<time datetime="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)" data-ago>(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC)</time>',
        row,
    )
    assert found and found.group(1)[:10] == found.group(2)[:10]
    page = dash.get(f"{shop.base}/msg/{msg_id}").text
    assert 'data-copy="message id">' + msg_id in page and 'data-copy="payload"' in page
