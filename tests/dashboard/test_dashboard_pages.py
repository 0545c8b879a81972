"""Every dashboard page over real HTTP: what it shows, its filters, and the actions it offers."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from tests.dashboard.conftest import Shop, csrf, make_app
from tests.support.servers import HooklineServer


def wait_until(check: Callable[[], bool], what: str, timeout: float = 15) -> None:
    """Poll ``check`` until it holds (delivery is asynchronous)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def attempts(shop: Shop, msg_id: str) -> list[dict]:
    return shop.api.get(f"/api/v1/app/{shop.app_id}/attempt/msg/{msg_id}").json()["data"]


def test_empty_dashboard_says_what_to_do_next(hookline_server: HooklineServer, dash: httpx.Client) -> None:
    overview = dash.get("/dashboard/")
    assert overview.status_code == 200
    assert "No delivery attempts" in overview.text and "POST /api/v1/app" in overview.text
    assert "No applications yet" in dash.get("/dashboard/apps").text
    assert "No messages yet" in dash.get("/dashboard/messages").text


def test_overview_charts_volume_and_lists_failing_endpoints_first(shop: Shop, dash: httpx.Client) -> None:
    shop.receiver.status = 500
    shop.send()
    wait_until(lambda: bool(shop.receiver.requests), "a failed delivery")
    # the endpoint in the failing list (the page's own labels say "failing" before it is there)
    wait_until(
        lambda: shop.receiver.url + "/hook" in dash.get("/dashboard/").text.partition("Failing endpoints")[2],
        "the endpoint to show as failing",
    )
    page = dash.get("/dashboard/").text
    assert "<svg" in page and "Delivery attempts and success rate, last 24 hours" in page
    failing = page.index("Failing endpoints")
    assert shop.receiver.url + "/hook" in page[failing:]


def test_application_page_shows_endpoint_health(shop: Shop, dash: httpx.Client) -> None:
    msg_id = shop.send()
    wait_until(lambda: len(attempts(shop, msg_id)) == 1, "an attempt")
    page = dash.get(shop.base).text
    assert shop.receiver.url + "/hook" in page
    assert "100.0%" in page and "enabled" in page
    assert "No endpoints yet" not in page


def test_endpoint_page_edits_filter_channels_headers_and_rate_limit(shop: Shop, dash: httpx.Client) -> None:
    url = f"{shop.base}/endpoint/{shop.endpoint_id}"
    token = csrf(dash.get(url).text)
    form = {
        "csrf": token, "url": shop.receiver.url + "/hook", "event_types": "order.created, order.paid",
        "channels": "eu", "headers": "X-Team: billing", "rate_limit": "20", "description": "orders",
    }  # fmt: skip
    resp = dash.post(url, data=form)
    assert resp.status_code == 303
    ep = shop.api.get(f"/api/v1/app/{shop.app_id}/endpoint/{shop.endpoint_id}").json()
    assert ep["filterTypes"] == ["order.created", "order.paid"]
    assert ep["channels"] == ["eu"] and ep["throttleRate"] == 20 and ep["description"] == "orders"
    headers = shop.api.get(f"/api/v1/app/{shop.app_id}/endpoint/{shop.endpoint_id}/headers").json()
    assert headers["headers"] == {"X-Team": "billing"}
    assert "Saved." in dash.get(resp.headers["location"]).text


def test_endpoint_edit_errors_name_the_problem(shop: Shop, dash: httpx.Client) -> None:
    url = f"{shop.base}/endpoint/{shop.endpoint_id}"
    token = csrf(dash.get(url).text)
    bad_header = dash.post(url, data={"csrf": token, "url": shop.receiver.url, "headers": "svix-id: x"})
    assert bad_header.status_code == 422 and "reserved" in bad_header.text
    bad_rate = dash.post(url, data={"csrf": token, "url": shop.receiver.url, "rate_limit": "fast"})
    assert bad_rate.status_code == 422 and "whole number" in bad_rate.text
    bad_url = dash.post(url, data={"csrf": token, "url": "not a url"})
    assert bad_url.status_code == 422


def test_secret_is_revealed_and_rotated(shop: Shop, dash: httpx.Client) -> None:
    url = f"{shop.base}/endpoint/{shop.endpoint_id}"
    before = shop.api.get(f"/api/v1/app/{shop.app_id}/endpoint/{shop.endpoint_id}/secret").json()["key"]
    assert before in dash.get(url + "/secret").text
    token = csrf(dash.get(url).text)
    assert dash.post(url + "/secret/rotate", data={"csrf": token}).status_code == 303
    after = shop.api.get(f"/api/v1/app/{shop.app_id}/endpoint/{shop.endpoint_id}/secret").json()["key"]
    assert after != before and after.startswith("whsec_")
    assert after in dash.get(url + "/secret").text


def test_disable_and_enable_an_endpoint(shop: Shop, dash: httpx.Client) -> None:
    url = f"{shop.base}/endpoint/{shop.endpoint_id}"
    token = csrf(dash.get(url).text)
    dash.post(url + "/state", data={"csrf": token, "enable": "0"})
    assert "disabled in the dashboard" in dash.get(url).text
    dash.post(url + "/state", data={"csrf": token, "enable": "1"})
    assert shop.api.get(f"/api/v1/app/{shop.app_id}/endpoint/{shop.endpoint_id}").json()["disabled"] is False


def test_message_log_filters(shop: Shop, dash: httpx.Client) -> None:
    paid = shop.send("order.paid", id="ord_paid", email="zoe@example.org")
    created = shop.send("order.created", id="ord_new")
    log = f"{shop.base}/messages"
    both = dash.get(log).text
    assert paid in both and created in both
    by_type = dash.get(log, params={"event_type": "order.paid"}).text
    assert paid in by_type and created not in by_type
    by_text = dash.get(log, params={"q": "ZOE@example"}).text
    assert paid in by_text and created not in by_text
    by_endpoint = dash.get(log, params={"endpoint": shop.endpoint_id}).text
    assert paid in by_endpoint
    wait_until(lambda: len(attempts(shop, paid)) == 1 and len(attempts(shop, created)) == 1, "deliveries")
    assert paid in dash.get(log, params={"status": "success"}).text
    assert "No message matches" in dash.get(log, params={"status": "fail"}).text
    future = datetime.fromtimestamp(time.time() + 3600, UTC).strftime("%Y-%m-%dT%H:%M")
    assert "No message matches" in dash.get(log, params={"since": future}).text
    assert paid in dash.get(log, params={"until": future}).text
    assert "not a date" in dash.get(log, params={"since": "yesterday"}).text
    everywhere = dash.get("/dashboard/messages", params={"app": shop.app_id}).text
    assert paid in everywhere


def test_message_log_pages_with_a_cursor(shop: Shop, dash: httpx.Client) -> None:
    ids = [shop.send("order.created", n=i) for i in range(55)]
    first = dash.get(f"{shop.base}/messages").text
    assert ids[-1] in first and ids[0] not in first
    older = re.search(r'href="\?([^"]*before=[^"]+)"', first)
    assert older, "no link to older messages"
    second = dash.get(f"{shop.base}/messages?{older.group(1).replace('&amp;', '&')}").text
    assert ids[0] in second and ids[-1] not in second


def test_message_log_streams_new_messages(shop: Shop, dash: httpx.Client) -> None:
    page = dash.get(f"{shop.base}/messages").text
    stream = re.search(r'data-stream="([^"]+)"', page)
    assert stream
    sent: list[str] = []
    timer = threading.Timer(0.5, lambda: sent.append(shop.send("order.streamed")))
    timer.start()
    seen = ""
    with dash.stream("GET", stream.group(1).replace("&amp;", "&")) as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        for line in resp.iter_lines():
            seen += line + "\n"
            if "order.streamed" in line:
                break
    timer.join()
    assert "event: rows" in seen and sent[0] in seen


def test_message_detail_shows_attempts_and_why_not(shop: Shop, dash: httpx.Client) -> None:
    api = shop.api
    filtered = api.post(f"/api/v1/app/{shop.app_id}/endpoint",
                        json={"url": shop.receiver.url + "/paid", "filterTypes": ["order.paid"]}).json()  # fmt: skip
    channel = api.post(f"/api/v1/app/{shop.app_id}/endpoint",
                       json={"url": shop.receiver.url + "/eu", "channels": ["eu"]}).json()  # fmt: skip
    disabled = api.post(f"/api/v1/app/{shop.app_id}/endpoint",
                        json={"url": shop.receiver.url + "/off", "disabled": True}).json()  # fmt: skip
    msg_id = shop.send("order.created", id="ord_42")
    later = api.post(f"/api/v1/app/{shop.app_id}/endpoint", json={"url": shop.receiver.url + "/late"}).json()
    wait_until(lambda: len(attempts(shop, msg_id)) == 1, "an attempt")
    page = dash.get(f"{shop.base}/msg/{msg_id}").text
    assert "ord_42" in page and "webhook-id: " in page and "svix-id: " in page
    assert "Filtered by event type" in page and filtered["url"] in page
    assert "Channel mismatch" in page and channel["url"] in page
    assert "disabled" in page and disabled["url"] in page
    assert "created after the message" in page and later["url"] in page
    assert "200" in page and " ms" in page


def test_a_raw_payload_is_shown_as_sent_with_its_content_type(shop: Shop, dash: httpx.Client) -> None:
    xml = '<order id="7">caf\u00e9 &amp; <b>more</b></order>'
    body = {"eventType": "order.created", "payload": {},
            "transformationsParams": {"rawPayload": xml, "headers": {"content-type": "application/xml"}}}  # fmt: skip
    msg_id = shop.api.post(f"/api/v1/app/{shop.app_id}/msg", json=body).json()["id"]
    wait_until(lambda: len(attempts(shop, msg_id)) == 1, "an attempt")
    page = dash.get(f"{shop.base}/msg/{msg_id}").text
    assert "Content-Type: application/xml" in page
    assert "&lt;order id=&#34;7&#34;&gt;caf\u00e9 &amp;amp; &lt;b&gt;more&lt;/b&gt;&lt;/order&gt;" in page
    assert "<b>more</b>" not in page  # escaped, never markup


def test_resend_after_failure_and_recover(shop: Shop, dash: httpx.Client) -> None:
    shop.receiver.status = 500
    msg_id = shop.send()
    wait_until(
        lambda: any(
            d["status"] == 2
            for d in shop.api.get(f"/api/v1/app/{shop.app_id}/msg/{msg_id}/endpoint").json()["data"]
        ),
        "the retries to run out",
    )
    shop.receiver.status = 200
    page = dash.get(f"{shop.base}/msg/{msg_id}").text
    assert "fail" in page
    resp = dash.post(f"{shop.base}/msg/{msg_id}/resend/{shop.endpoint_id}", data={"csrf": csrf(page)})
    assert resp.status_code == 303
    wait_until(lambda: attempts(shop, msg_id)[0]["status"] == 0, "the resend to succeed")
    assert attempts(shop, msg_id)[0]["triggerType"] == 1
    # recover: fail again, then schedule every failed delivery since a time
    shop.receiver.status = 500
    second = shop.send()
    wait_until(
        lambda: any(
            d["status"] == 2
            for d in shop.api.get(f"/api/v1/app/{shop.app_id}/msg/{second}/endpoint").json()["data"]
        ),
        "the second message to fail",
    )
    shop.receiver.status = 200
    since = datetime.fromtimestamp(time.time() - 3600, UTC).strftime("%Y-%m-%dT%H:%M")
    back = f"{shop.base}/msg/{second}"
    resp = dash.post(
        f"{shop.base}/endpoint/{shop.endpoint_id}/recover",
        data={"csrf": csrf(page), "since": since, "back": back},
    )
    assert resp.status_code == 303 and resp.headers["location"].startswith(back)
    wait_until(lambda: attempts(shop, second)[0]["status"] == 0, "the recovered delivery")
    assert "scheduled again" in dash.get(resp.headers["location"]).text


def test_test_event_goes_to_the_chosen_endpoint_only(shop: Shop, dash: httpx.Client) -> None:
    make_app(shop.api, "Unused", "unused", shop.receiver.url + "/unused")
    second = shop.api.post(
        f"/api/v1/app/{shop.app_id}/endpoint", json={"url": shop.receiver.url + "/second"}
    ).json()
    page = dash.get(f"{shop.base}/test")
    assert page.status_code == 200
    form = {
        "csrf": csrf(page.text),
        "endpoint": second["id"],
        "event_type": "order.test",
        "payload": '{"hello": "world"}',
    }
    resp = dash.post(f"{shop.base}/test", data=form)
    assert resp.status_code == 303
    got = shop.receiver.wait_for(1, path="/second")
    assert b'"hello":"world"' in got[0].body
    detail = dash.get(resp.headers["location"]).text
    assert "order.test" in detail
    assert not [r for r in shop.receiver.requests if r.path == "/hook"]
    bad = dash.post(f"{shop.base}/test", data={**form, "payload": "[1, 2"})
    assert bad.status_code == 422 and "not a JSON object" in bad.text


def test_test_event_example_comes_from_the_event_type(shop: Shop, dash: httpx.Client) -> None:
    schema = {"1": {"type": "object", "examples": [{"order": "ord_example"}]}}
    assert (
        shop.api.post(
            "/api/v1/event-type", json={"name": "order.example", "description": "d", "schemas": schema}
        ).status_code
        == 201
    )
    frag = dash.get(
        f"{shop.base}/test/example", params={"event_type": "order.example"}, headers={"hx-request": "true"}
    )
    assert "ord_example" in frag.text


def test_unknown_things_are_404_with_a_next_step(shop: Shop, dash: httpx.Client) -> None:
    assert dash.get("/dashboard/app/app_missing").status_code == 404
    missing = dash.get(f"{shop.base}/msg/msg_missing")
    assert missing.status_code == 404 and "Search the message log" in missing.text
    assert dash.get(f"{shop.base}/endpoint/ep_missing").status_code == 404
    assert dash.get("/dashboard/users/user_missing").status_code == 404


def test_users_list_search_and_events(hookline_server: HooklineServer, dash: httpx.Client) -> None:
    assert "No users yet" in dash.get("/dashboard/users").text
    clerk = httpx.Client(
        base_url=hookline_server.url,
        headers={"authorization": f"Bearer {hookline_server.secret_key}"},
        timeout=20,
    )
    for email in ("grace@example.org", "linus@example.org"):
        resp = clerk.post(
            "/v1/users", json={"email_address": [email], "first_name": email.split("@")[0].title()}
        )
        assert resp.status_code == 200, resp.text
    clerk.close()
    users = dash.get("/dashboard/users").text
    assert "grace@example.org" in users and "linus@example.org" in users
    found = dash.get("/dashboard/users", params={"q": "GRACE"}).text
    assert "grace@example.org" in found and "linus@example.org" not in found
    assert "No user matches" in dash.get("/dashboard/users", params={"q": "nobody"}).text
    user_id = re.search(r'href="/dashboard/users/(user_[A-Za-z0-9]+)"', found)
    assert user_id
    detail = dash.get(f"/dashboard/users/{user_id.group(1)}").text
    assert "user.created" in detail and "grace@example.org" in detail
