"""The endpoint forms over real HTTP, for the administrator and the portal: add, edit, delete, send an
example, replay missing and recover failed with a preview; hostile input gets a rendered 4xx page."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from svix.api import AppPortalAccessIn, Svix, SvixOptions

from tests.dashboard.conftest import Shop, csrf
from tests.support.portal import open_portal


@pytest.fixture
def svix(shop: Shop) -> Svix:
    return Svix(shop.server.token, SvixOptions(server_url=shop.server.url))


def catalog(shop: Shop) -> None:
    for name, group, desc in (("order.created", "Orders", "An order was placed"),
                              ("order.paid", "Orders", "An order was paid"),
                              ("refund.made", None, "Money went back")):  # fmt: skip
        body = {"name": name, "description": desc, "schemas": {"1": {"examples": [{"name": name}]}}}
        if group:
            body["groupName"] = group
        assert shop.api.post("/api/v1/event-type", json=body).status_code == 201


def portal_client(shop: Shop, svix: Svix, **options: object) -> tuple[httpx.Client, str]:
    """A browser holding a portal link (no cookie kept), and the base of its pages."""
    out = svix.authentication.app_portal_access(shop.app_id, AppPortalAccessIn(**options))  # type: ignore[arg-type]
    client = httpx.Client(base_url=shop.server.url, follow_redirects=False, timeout=20)
    location = open_portal(client, out.url).headers["location"]
    client.cookies.clear()
    return client, location


def test_add_endpoint_form_groups_the_catalog_and_creates_it(shop: Shop, dash: httpx.Client) -> None:
    catalog(shop)
    page = dash.get(f"{shop.base}/endpoint/new")
    assert page.status_code == 200
    text = page.text
    assert (
        text.index("Orders") < text.index("order.created") < text.index("Other") < text.index("refund.made")
    )
    assert "An order was paid" in text and 'type="checkbox" name="event_types" value="order.paid"' in text
    form = {"csrf": csrf(text), "url": shop.receiver.url + "/new", "description": "Billing",
            "event_types": ["order.paid", "refund.made"], "channels": "eu, us", "rate_limit": "5",
            "headers": "X-Team: billing"}  # fmt: skip
    made = dash.post(f"{shop.base}/endpoint/new", data=form)
    assert made.status_code == 303, made.text
    ep_id = made.headers["location"].split("/endpoint/")[1].split("?")[0]
    got = shop.api.get(f"/api/v1/app/{shop.app_id}/endpoint/{ep_id}").json()
    assert got["filterTypes"] == ["order.paid", "refund.made"] and got["channels"] == ["eu", "us"]
    assert got["rateLimit"] == 5 and got["description"] == "Billing"
    headers = shop.api.get(f"/api/v1/app/{shop.app_id}/endpoint/{ep_id}/headers").json()["headers"]
    assert headers == {"X-Team": "billing"}
    # the edit form shows the choices ticked, and saving unticks one
    edit = dash.get(f"{shop.base}/endpoint/{ep_id}").text
    assert re.search(r'value="order.paid" checked', edit) and not re.search(
        r'value="order.created" checked', edit
    )
    saved = dash.post(
        f"{shop.base}/endpoint/{ep_id}", data={**form, "csrf": csrf(edit), "event_types": ["refund.made"]}
    )
    assert saved.status_code == 303
    assert shop.api.get(f"/api/v1/app/{shop.app_id}/endpoint/{ep_id}").json()["filterTypes"] == [
        "refund.made"
    ]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"url": "not a url"}, "URL"),
        ({"url": "javascript:alert(1)"}, ""),
        ({"rate_limit": "-3"}, "rate limit"),
        ({"rate_limit": "99999999999999999999"}, "rate limit"),
        ({"rate_limit": "²"}, "rate limit"),
        ({"event_types": "<script>alert(1)</script>"}, "Event types"),
        ({"channels": "a b c d e f g h i j k l"}, "Channels"),
        ({"headers": "no colon here"}, "is not a header"),
        ({"headers": "svix-id: forged"}, "reserved"),
        ({"headers": "X-A: b\r\nX-C: d\r\nHost: evil"}, "reserved"),
    ],
)
def test_hostile_endpoint_input_is_a_rendered_422(
    shop: Shop, dash: httpx.Client, change: dict[str, str], says: str
) -> None:
    page = dash.get(f"{shop.base}/endpoint/new").text
    form = {"csrf": csrf(page), "url": shop.receiver.url + "/x", **change}
    resp = dash.post(f"{shop.base}/endpoint/new", data=form)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("text/html") and 'role="alert"' in resp.text
    assert says.lower() in resp.text.lower()
    assert "<script>alert(1)</script>" not in resp.text  # echoed back escaped
    assert len(shop.api.get(f"/api/v1/app/{shop.app_id}/endpoint").json()["data"]) == 1


def test_forms_without_the_csrf_token_are_refused(shop: Shop, dash: httpx.Client) -> None:
    for path, data in ((f"{shop.base}/endpoint/new", {"url": shop.receiver.url + "/x"}),
                       (f"{shop.base}/endpoint/{shop.endpoint_id}/delete", {}),
                       (f"{shop.base}/endpoint/{shop.endpoint_id}/replay", {"kind": "missing", "since": "1h"})):  # fmt: skip
        assert dash.post(path, data=data).status_code == 403, path
    assert len(shop.api.get(f"/api/v1/app/{shop.app_id}/endpoint").json()["data"]) == 1


def test_delete_asks_first_then_deletes(shop: Shop, dash: httpx.Client) -> None:
    ask = dash.get(f"{shop.base}/endpoint/{shop.endpoint_id}/delete")
    assert ask.status_code == 200 and "Delete this endpoint?" in ask.text and "deliveries waiting" in ask.text
    assert shop.api.get(f"/api/v1/app/{shop.app_id}/endpoint/{shop.endpoint_id}").status_code == 200
    done = dash.post(f"{shop.base}/endpoint/{shop.endpoint_id}/delete", data={"csrf": csrf(ask.text)})
    assert done.status_code == 303 and done.headers["location"] == shop.base
    assert shop.api.get(f"/api/v1/app/{shop.app_id}/endpoint/{shop.endpoint_id}").status_code == 404


def test_replay_missing_and_recover_preview_their_counts(shop: Shop, dash: httpx.Client) -> None:
    catalog(shop)
    for n in range(3):
        shop.send("order.paid", n=n)
    shop.receiver.wait_for(3)
    # a second endpoint made afterwards never got them: the preview counts them, the button sends them
    page = dash.get(f"{shop.base}/endpoint/new").text
    made = dash.post(
        f"{shop.base}/endpoint/new", data={"csrf": csrf(page), "url": shop.receiver.url + "/late"}
    )
    late = made.headers["location"].split("/endpoint/")[1].split("?")[0]
    for preset in ("1h", "24h", "7d"):
        preview = dash.get(f"{shop.base}/endpoint/{late}/replay", params={"kind": "missing", "since": preset})
        assert preview.status_code == 200 and "3 messages this endpoint never got" in preview.text, preset
    old = dash.get(
        f"{shop.base}/endpoint/{late}/replay", params={"kind": "missing", "since": "2020-01-01T00:00"}
    )
    assert "3 messages" in old.text and "2020-01-01 00:00 UTC" in old.text
    future = time.strftime("%Y-%m-%dT%H:%M", time.gmtime(time.time() + 7200))
    none = dash.get(f"{shop.base}/endpoint/{late}/replay", params={"kind": "missing", "since": future})
    assert none.status_code == 200 and "Nothing to send" in none.text
    since = re.search(r'name="since" value="([^"]+)"', preview.text).group(1)  # type: ignore[union-attr]
    sent = dash.post(
        f"{shop.base}/endpoint/{late}/replay",
        data={"csrf": csrf(preview.text), "kind": "missing", "since": since},
    )
    assert sent.status_code == 303 and "done=replayed&n=3" in sent.headers["location"]
    shop.receiver.wait_for(3, path="/late")
    assert "3 missing messages scheduled" in dash.get(sent.headers["location"]).text
    # recover counts only the failed deliveries
    recover = dash.get(
        f"{shop.base}/endpoint/{shop.endpoint_id}/replay", params={"kind": "recover", "since": "24h"}
    )
    assert "0 failed deliveries" in recover.text and "Nothing to send" in recover.text
    far = dash.get(
        f"{shop.base}/endpoint/{late}/replay", params={"kind": "missing", "since": "9999-12-31T23:59"}
    )
    assert far.status_code == 200 and "Nothing to send" in far.text
    for bad in (
        {"kind": "everything", "since": "1h"},
        {"kind": "recover", "since": "yesterday"},
        {"kind": "recover"},
        {"kind": "missing", "since": "nan"},
        {"kind": "missing", "since": "1e999"},
        {"kind": "missing", "since": "1e18"},
    ):
        resp = dash.get(f"{shop.base}/endpoint/{late}/replay", params=bad)
        assert resp.status_code == 422 and resp.headers["content-type"].startswith("text/html"), bad


def test_send_example_sends_the_event_types_example_to_this_endpoint_only(
    shop: Shop, dash: httpx.Client
) -> None:
    catalog(shop)
    page = dash.get(f"{shop.base}/endpoint/{shop.endpoint_id}").text
    assert "Send example" in page
    sent = dash.post(f"{shop.base}/endpoint/{shop.endpoint_id}/example",
                     data={"csrf": csrf(page), "event_type": "refund.made"})  # fmt: skip
    assert sent.status_code == 303 and "/msg/msg_" in sent.headers["location"]
    got = shop.receiver.wait_for(1)
    assert b'"name":"refund.made"' in got[0].body
    missing = dash.post(f"{shop.base}/endpoint/{shop.endpoint_id}/example",
                        data={"csrf": csrf(page), "event_type": "no.such"})  # fmt: skip
    assert missing.status_code == 422 and "does not exist" in missing.text


def test_portal_forms_follow_the_links_capabilities(shop: Shop, svix: Svix) -> None:
    catalog(shop)
    full, base = portal_client(shop, svix)
    page = full.get(f"{base}/endpoint/{shop.endpoint_id}").text
    for action in (
        "Send example",
        "Replay missing",
        "Recover failed",
        "Delete endpoint",
        "Reveal secret",
        "Save",
    ):
        assert action in page, action
    assert "Add endpoint" in full.get(base).text
    new = full.get(f"{base}/endpoint/new")
    made = full.post(f"{base}/endpoint/new", data={"csrf": csrf(new.text), "url": shop.receiver.url + "/p"})
    assert made.status_code == 303 and made.headers["location"].startswith(base + "/endpoint/ep_")
    full.close()

    msg_id = shop.send("order.paid")
    shop.receiver.wait_for(1)
    read_only, ro_base = portal_client(shop, svix, read_only=True)
    home = read_only.get(ro_base).text
    # no page of a read-only link offers anything it would refuse
    for path in ("", "/messages", f"/msg/{msg_id}", f"/endpoint/{shop.endpoint_id}"):
        shown = read_only.get(ro_base + path)
        assert shown.status_code == 200, path
        assert 'method="post"' not in shown.text and "Resend" not in shown.text, path
    assert read_only.get(ro_base + "/test").status_code == 403
    page = read_only.get(f"{ro_base}/endpoint/{shop.endpoint_id}").text
    for action in ("Add endpoint", "Send a test event"):
        assert action not in home, action
    for action in ("Send example", "Replay missing", "Recover failed", "Delete endpoint", "Reveal secret",
                   "Rotate secret", "Disable", "Send a test event", "<form"):  # fmt: skip
        assert action not in page, action
    for path in (
        "/endpoint/new",
        f"/endpoint/{shop.endpoint_id}/delete",
        f"/endpoint/{shop.endpoint_id}/replay",
    ):
        assert read_only.get(ro_base + path, params={"kind": "missing", "since": "1h"}).status_code == 403, (
            path
        )
        assert read_only.post(ro_base + path, data={"kind": "missing", "since": "1h"}).status_code == 403, (
            path
        )
    read_only.close()

    senders, s_base = portal_client(shop, svix, capabilities=["ViewBase", "CreateAttempts"])
    page = senders.get(f"{s_base}/endpoint/{shop.endpoint_id}").text
    assert "Send example" in page and "Replay missing" in page
    assert "Delete endpoint" not in page and "Add endpoint" not in senders.get(s_base).text
    senders.close()
    assert len(shop.api.get(f"/api/v1/app/{shop.app_id}/endpoint").json()["data"]) == 2


def test_a_preview_over_a_long_log_says_it_counted_part_of_it(
    shop: Shop, dash: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hookline.services import replay

    monkeypatch.setattr(replay, "PREVIEW_SCAN", 2)  # as 5,000 is to a log of millions
    for n in range(3):
        shop.send("order.paid", n=n)
    shop.receiver.wait_for(3)
    page = dash.get(f"{shop.base}/endpoint/new").text
    made = dash.post(
        f"{shop.base}/endpoint/new", data={"csrf": csrf(page), "url": shop.receiver.url + "/late"}
    )
    late = made.headers["location"].split("/endpoint/")[1].split("?")[0]
    preview = dash.get(f"{shop.base}/endpoint/{late}/replay", params={"kind": "missing", "since": "1h"})
    assert "2 or more messages this endpoint never got" in preview.text
    assert "Counted among the first 2 messages" in preview.text and "Nothing to send" not in preview.text
    since = re.search(r'name="since" value="([^"]+)"', preview.text).group(1)  # type: ignore[union-attr]
    sent = dash.post(f"{shop.base}/endpoint/{late}/replay",
                     data={"csrf": csrf(preview.text), "kind": "missing", "since": since})  # fmt: skip
    assert "n=3" in sent.headers["location"]  # sending goes through all of them
