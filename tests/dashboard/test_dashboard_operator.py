"""The operator's pages: the endpoint page's attempt history and chart, the attempt page, find by id,
creating applications and opening a customer's portal."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.dashboard.conftest import Shop, api_client, csrf, make_app, sign_in
from tests.dashboard.test_dashboard_pages import attempts, wait_until
from tests.support.servers import HooklineServer, RecordingReceiver


def section(page: str) -> str:
    """The attempt-history part of an endpoint page."""
    start = page.index('id="history"')
    return page[start : page.index("</section>", start)]


def settled(shop: Shop, msg_id: str, n: int = 1) -> list[dict]:
    wait_until(lambda: len(attempts(shop, msg_id)) >= n, f"{n} attempt(s) of {msg_id}")
    return attempts(shop, msg_id)


def test_endpoint_page_shows_history_by_tab_with_codes_durations_and_paging(
    shop: Shop, dash: httpx.Client
) -> None:
    shop.receiver.handler = lambda rec: 503 if b"bad" in rec.body else 200
    good = [shop.send(n=i) for i in range(27)]
    bad = shop.send(kind="bad")
    for msg_id in good:
        settled(shop, msg_id)
    settled(shop, bad, 4)  # the first try and three retries, then it fails for good
    url = f"{shop.base}/endpoint/{shop.endpoint_id}"
    page = section(dash.get(url).text)
    assert "31 attempts" in page and "Attempt history" in page
    assert page.count('class="badge success"') >= 20 and " ms</td>" in page
    assert 'href="?tab=failed#history"' in page and "Older" in page and "Newer" not in page
    failed = section(dash.get(url, params={"tab": "failed"}).text)
    assert "4 attempts failed" in failed and "503" in failed and bad in failed and good[0] not in failed
    succeeded = section(dash.get(url, params={"tab": "succeeded"}).text)
    assert "27 attempts succeeded" in succeeded and bad not in succeeded
    # the next page goes back to where it came from
    older = re.search(r'href="\?tab=all&amp;iter=([^"#]+)#history">Older', page)
    assert older
    second = section(dash.get(url, params={"tab": "all", "iter": older.group(1)}).text)
    assert "Newer" in second and good[0] in second
    newer = re.search(r'href="\?tab=all&amp;iter=([^"#]+)#history">Newer', second)
    assert newer
    back = section(dash.get(url, params={"tab": "all", "iter": newer.group(1).replace("%2D", "-")}).text)
    assert good[-1] in back and good[0] not in back
    # a hand-made cursor starts from the newest
    assert dash.get(url, params={"iter": "junk"}).status_code == 200


def test_next_retry_is_shown_while_a_delivery_waits(sqlite_url: str, receiver: RecordingReceiver) -> None:
    server = HooklineServer(database_url=sqlite_url, retry_schedule=(600.0,)).start()
    try:
        api = api_client(server)
        app_id, ep_id = make_app(api, "Slow", "slow", receiver.url + "/hook")
        receiver.status = 500
        msg_id = api.post("/api/v1/app/slow/msg", json={"eventType": "a.b", "payload": {}}).json()["id"]
        wait_until(
            lambda: bool(api.get(f"/api/v1/app/slow/attempt/msg/{msg_id}").json()["data"]), "an attempt"
        )
        client = sign_in(server)
        page = client.get(f"/dashboard/app/{app_id}/endpoint/{ep_id}").text
        row = page[page.index(msg_id) : page.index("</tr>", page.index(msg_id))]
        due = time.strftime("%Y-%m-%d %H:%M", time.gmtime(time.time() + 600))
        assert due[:-1] in row  # within the ten minutes of the retry schedule
    finally:
        server.stop()


@pytest.mark.parametrize("range_key", ["1h", "24h", "7d", "30d"])
def test_charts_take_a_range_with_labelled_axes(shop: Shop, dash: httpx.Client, range_key: str) -> None:
    settled(shop, shop.send())
    for url in (f"{shop.base}/endpoint/{shop.endpoint_id}", shop.base, "/dashboard/"):
        page = dash.get(url, params={"range": range_key}).text
        assert "<svg" in page and "success %" in page and "attempts</text>" in page and "time (UTC)" in page
        assert f'href="?range={range_key}#chart" aria-current="true"' in page
        assert "1 attempts · 100.0% succeeded" in page
    assert 'aria-current="true" class="on">24 h' in dash.get("/dashboard/", params={"range": "bogus"}).text


def test_attempt_page_shows_request_and_response(shop: Shop, dash: httpx.Client) -> None:
    shop.receiver.status = 418
    shop.receiver.response_headers = {"x-receiver": "teapot", "set-cookie": "session=secret"}
    msg_id = shop.send(order="ord_9")
    attempt = settled(shop, msg_id)[0]
    page = dash.get(f"{shop.base}/attempt/{attempt['id']}")
    assert page.status_code == 200
    text = page.text
    assert "418" in text and f"svix-id: {msg_id}" in text and "ord_9" in text
    assert f"POST {shop.receiver.url}/hook" in text and " ms" in text
    # the answer's headers are kept, all but its cookies
    assert "x-receiver: teapot" in text and "session=secret" not in text
    assert dash.get(f"{shop.base}/attempt/atmpt_nope").status_code == 404


def test_find_by_id_lands_on_the_page(shop: Shop, dash: httpx.Client) -> None:
    msg = shop.api.post(
        f"/api/v1/app/{shop.app_id}/msg", json={"eventType": "a.b", "payload": {}, "eventId": "evt_42"}
    ).json()
    attempt = settled(shop, msg["id"])[0]
    cases = {
        msg["id"]: f"{shop.base}/msg/{msg['id']}",
        "evt_42": f"{shop.base}/msg/{msg['id']}",
        shop.endpoint_id: f"{shop.base}/endpoint/{shop.endpoint_id}",
        shop.app_id: shop.base,
        "shop": shop.base,
        attempt["id"]: f"{shop.base}/attempt/{attempt['id']}",
        f"  {msg['id']}\n": f"{shop.base}/msg/{msg['id']}",
    }
    for pasted, target in cases.items():
        resp = dash.get("/dashboard/find", params={"id": pasted})
        assert resp.status_code == 303 and resp.headers["location"] == target, pasted
    for missing in ("msg_nope", "evt_nope", "x" * 5000, "' OR 1=1 --"):
        resp = dash.get("/dashboard/find", params={"id": missing})
        assert resp.status_code == 404 and "Nothing has the id" in resp.text
    assert 'action="/dashboard/find"' in dash.get("/dashboard/").text


def test_applications_are_created_from_the_dashboard(shop: Shop, dash: httpx.Client) -> None:
    token = csrf(dash.get("/dashboard/apps").text)
    made = dash.post("/dashboard/apps", data={"csrf": token, "name": "Billing", "uid": "billing"})
    assert made.status_code == 303
    app = shop.api.get("/api/v1/app/billing").json()
    assert app["name"] == "Billing" and made.headers["location"] == f"/dashboard/app/{app['id']}?done=created"
    assert "Application created" in dash.get(made.headers["location"]).text
    taken = dash.post("/dashboard/apps", data={"csrf": token, "name": "Again", "uid": "billing"})
    assert taken.status_code == 409 and "exists" in taken.text
    for bad in ({"name": ""}, {"name": "x", "uid": "has space"}, {"name": "x" * 300}):
        resp = dash.post("/dashboard/apps", data={"csrf": token, **bad})
        assert resp.status_code == 422 and "<form" in resp.text, bad
    assert dash.post("/dashboard/apps", data={"name": "No token"}).status_code == 403


def test_admin_opens_the_customers_portal(shop: Shop, dash: httpx.Client) -> None:
    page = dash.get(f"{shop.base}/endpoint/{shop.endpoint_id}").text
    assert "Open the portal as this customer" in page
    resp = dash.post(f"/dashboard/app/{shop.app_id}/open-portal", data={"csrf": csrf(page)})
    assert resp.status_code == 303
    target = resp.headers["location"]
    assert target.startswith("/dashboard/portal/access#token=")
    with httpx.Client(base_url=shop.server.url, follow_redirects=False, timeout=20) as customer:
        opened = customer.post("/dashboard/portal/access", data={"token": target.split("#token=")[1]},
                               headers={"sec-fetch-site": "same-origin"})  # fmt: skip
        assert opened.status_code == 303
        portal_page = customer.get(f"/dashboard/portal/{shop.app_id}/endpoint/{shop.endpoint_id}").text
        assert "Open the portal as this customer" not in portal_page and "Attempt history" in portal_page
    assert dash.post(f"/dashboard/app/{shop.app_id}/open-portal", data={}).status_code == 403
    assert dash.post("/dashboard/app/app_missing/open-portal", data={"csrf": csrf(page)}).status_code == 404


def test_test_event_form_picks_from_the_catalog_and_avoids_disabled_endpoints(
    shop: Shop, dash: httpx.Client
) -> None:
    schema = {"1": {"type": "object", "examples": [{"invoice": "inv_example"}]}}
    shop.api.post(
        "/api/v1/event-type",
        json={"name": "invoice.paid", "description": "Paid", "groupName": "invoice", "schemas": schema},
    )
    shop.api.post("/api/v1/event-type", json={"name": "gone.type", "description": "x", "archived": True})
    second = shop.api.post(
        f"/api/v1/app/{shop.app_id}/endpoint", json={"url": shop.receiver.url + "/second"}
    ).json()
    # the first endpoint listed is disabled; the form picks the enabled one
    shop.api.patch(f"/api/v1/app/{shop.app_id}/endpoint/{shop.endpoint_id}", json={"disabled": True})
    page = dash.get(f"{shop.base}/test").text
    assert f'<option value="{second["id"]}" selected>' in page
    assert '<optgroup label="invoice">' in page and "inv_example" in page and "gone.type" not in page
    assert "(disabled: enable it to send)" in page
    # without JavaScript, "Load its example" is a GET of the same page
    loaded = dash.get(
        f"{shop.base}/test", params={"event_type": "invoice.paid", "endpoint": second["id"]}
    ).text
    assert "inv_example" in loaded
    before = len(shop.api.get(f"/api/v1/app/{shop.app_id}/msg").json()["data"])
    form = {"csrf": csrf(page), "endpoint": shop.endpoint_id, "event_type": "invoice.paid", "payload": "{}"}
    refused = dash.post(f"{shop.base}/test", data=form)
    assert refused.status_code == 409 and "is disabled" in refused.text
    assert len(shop.api.get(f"/api/v1/app/{shop.app_id}/msg").json()["data"]) == before  # no message made
    sent = dash.post(f"{shop.base}/test", data={**form, "endpoint": second["id"]})
    assert sent.status_code == 303
    shop.receiver.wait_for(1, path="/second")
