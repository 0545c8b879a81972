"""Message attempts through the official ``svix`` SDK: list, get, resend, attempted destinations."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from svix.api import (
    ApplicationOut,
    EndpointIn,
    MessageAttemptListAttemptedMessagesOptions,
    MessageAttemptListByEndpointOptions,
    MessageAttemptListByMsgOptions,
    MessageAttemptOut,
    MessageAttemptTriggerType,
    MessageIn,
    MessageStatus,
    MessageStatusText,
    Svix,
)
from svix.exceptions import HttpError
from svix.webhooks import Webhook

from tests.api.helpers import attempts_of, collect_pages, id_pattern, lower, settled_destinations, wait_until
from tests.support.servers import RecordingReceiver


def deliver(svix: Svix, app_id: str, endpoints: int = 1, **payload: int) -> str:
    msg = svix.message.create(app_id, MessageIn(event_type="user.created", payload=payload or {"n": 0}))
    settled_destinations(svix, app_id, msg.id, endpoints)
    return msg.id


def test_attempts_are_listed_by_endpoint(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/a"))
    msg_id = deliver(svix, app.id)
    page = svix.message_attempt.list_by_endpoint(app.id, ep.id)
    assert page.done is True
    [attempt] = page.data
    assert id_pattern("atmpt").match(attempt.id), attempt.id
    assert attempt.msg_id == msg_id
    assert attempt.endpoint_id == ep.id
    assert attempt.url == receiver.url + "/a"
    assert attempt.status == MessageStatus.SUCCESS
    assert attempt.status_text == MessageStatusText.SUCCESS
    assert attempt.response_status_code == 200
    assert attempt.response_duration_ms >= 0
    assert attempt.trigger_type == MessageAttemptTriggerType.SCHEDULED
    assert attempt.timestamp.tzinfo is not None


def test_attempt_response_body_is_included_with_content(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/a"))
    deliver(svix, app.id)
    [attempt] = svix.message_attempt.list_by_endpoint(
        app.id, ep.id, MessageAttemptListByEndpointOptions(with_content=True)
    ).data
    assert attempt.response == "ok"


def test_attempts_by_endpoint_paginate_and_filter_by_status(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/a"))
    for n in range(3):
        deliver(svix, app.id, n=n)
    pages = collect_pages(
        lambda it: svix.message_attempt.list_by_endpoint(
            app.id, ep.id, MessageAttemptListByEndpointOptions(limit=2, iterator=it)
        )
    )
    assert [len(p.data) for p in pages] == [2, 1]
    assert len({a.id for p in pages for a in p.data}) == 3
    failed = svix.message_attempt.list_by_endpoint(
        app.id, ep.id, MessageAttemptListByEndpointOptions(status=MessageStatus.FAIL)
    )
    assert failed.data == []


def test_attempts_are_listed_by_message_and_filtered_by_endpoint(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    a = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/a"))
    b = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/b"))
    msg_id = deliver(svix, app.id, endpoints=2)
    attempts = attempts_of(svix, app.id, msg_id)
    assert sorted(x.endpoint_id for x in attempts) == sorted([a.id, b.id])
    assert all(x.msg_id == msg_id for x in attempts)
    only_b = svix.message_attempt.list_by_msg(
        app.id, msg_id, MessageAttemptListByMsgOptions(endpoint_id=b.id)
    )
    assert [x.endpoint_id for x in only_b.data] == [b.id]


def test_get_returns_one_attempt_by_message_id_or_event_id(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/a"))
    msg = svix.message.create(app.id, MessageIn(event_type="user.created", payload={}, event_id="evt-a"))
    settled_destinations(svix, app.id, msg.id, 1)
    [listed] = attempts_of(svix, app.id, msg.id)
    got = svix.message_attempt.get(app.id, msg.id, listed.id)
    assert isinstance(got, MessageAttemptOut)
    assert got.id == listed.id
    assert got.msg_id == msg.id
    assert got.response_status_code == 200
    assert svix.message_attempt.get("acme", "evt-a", listed.id).id == listed.id


def test_get_of_an_unknown_attempt_is_not_found(svix: Svix, app: ApplicationOut, receiver) -> None:
    svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/a"))
    msg_id = deliver(svix, app.id)
    with pytest.raises(HttpError) as err:
        svix.message_attempt.get(app.id, msg_id, "atmpt_2ZXj7lO3d0ZGrcHuHwVrLkD0Ab1")
    assert err.value.status_code == 404


def test_resend_delivers_the_message_again_to_one_endpoint(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    a = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/a"))
    svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/b"))
    msg_id = deliver(svix, app.id, endpoints=2, n=42)
    receiver.wait_for(2)
    assert svix.message_attempt.resend(app.id, msg_id, a.id) is not None
    again = receiver.wait_for(2, path="/a")[1]
    assert lower(again.headers)["webhook-id"] == msg_id
    assert again.body == receiver.wait_for(1, path="/a")[0].body
    Webhook(svix.endpoint.get_secret(app.id, a.id).key).verify(again.body, again.headers)

    def both_attempts() -> list[MessageAttemptOut] | None:
        found = attempts_of(svix, app.id, msg_id, endpoint_id=a.id)
        return found if len(found) == 2 else None

    attempts = wait_until(both_attempts, what="the manual attempt")
    assert sorted(x.trigger_type for x in attempts) == [
        MessageAttemptTriggerType.SCHEDULED,
        MessageAttemptTriggerType.MANUAL,
    ]
    assert len(receiver.wait_for(1, path="/b")) == 1


def test_resend_by_uids(svix: Svix, app: ApplicationOut, receiver: RecordingReceiver) -> None:
    svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/a", uid="ep-a"))
    msg = svix.message.create(app.id, MessageIn(event_type="user.created", payload={}, event_id="evt-r"))
    settled_destinations(svix, app.id, msg.id, 1)
    svix.message_attempt.resend("acme", "evt-r", "ep-a")
    assert lower(receiver.wait_for(2)[1].headers)["webhook-id"] == msg.id


def test_attempted_destinations_list_every_endpoint_of_a_message(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    a = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/a", description="A"))
    b = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/b", description="B"))
    msg_id = deliver(svix, app.id, endpoints=2)
    page = svix.message_attempt.list_attempted_destinations(app.id, msg_id)
    assert page.done is True
    by_id = {d.id: d for d in page.data}
    assert set(by_id) == {a.id, b.id}
    assert by_id[a.id].url == receiver.url + "/a"
    assert by_id[a.id].description == "A"
    assert all(d.status == MessageStatus.SUCCESS for d in page.data)
    assert all(d.status_text == MessageStatusText.SUCCESS for d in page.data)


def test_attempted_messages_list_what_an_endpoint_got(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/a"))
    first = deliver(svix, app.id, n=1)
    second = deliver(svix, app.id, n=2)
    page = svix.message_attempt.list_attempted_messages(
        app.id, ep.id, MessageAttemptListAttemptedMessagesOptions(with_content=True)
    )
    assert sorted(m.id for m in page.data) == sorted([first, second])
    assert all(m.status == MessageStatus.SUCCESS for m in page.data)
    assert sorted(m.payload["n"] for m in page.data) == [1, 2]


def raw_pages(raw: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every page of a list route, following ``iterator`` until ``done``, as the JSON the server sent."""
    pages: list[dict[str, Any]] = []
    iterator = None
    while not pages or not pages[-1]["done"]:
        query = {**params, **({"iterator": iterator} if iterator else {})}
        pages.append(raw.get(path, params=query).raise_for_status().json())
        iterator = pages[-1]["iterator"]
        assert len(pages) < 20, "pagination did not finish"
    return pages


def test_attempted_destinations_page_through_several_endpoints(
    svix: Svix, raw: httpx.Client, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    eps = [
        svix.endpoint.create(app.id, EndpointIn(url=f"{receiver.url}/{n}", description=f"ep {n}"))
        for n in range(5)
    ]
    msg_id = deliver(svix, app.id, endpoints=5)
    pages = raw_pages(raw, f"/api/v1/app/{app.id}/msg/{msg_id}/endpoint", limit=2)
    assert [len(p["data"]) for p in pages] == [2, 2, 1]
    assert [p["done"] for p in pages] == [False, False, True]
    assert all(p["iterator"] == p["data"][-1]["id"] and p["prevIterator"] is None for p in pages)
    rows = [row for p in pages for row in p["data"]]
    assert [row["id"] for row in rows] == sorted(ep.id for ep in eps)
    for row in rows:
        endpoint = raw.get(f"/api/v1/app/{app.id}/endpoint/{row['id']}").json()
        assert row == {**endpoint, "status": 0, "statusText": "success", "nextAttempt": None}
    past_the_end = raw.get(
        f"/api/v1/app/{app.id}/msg/{msg_id}/endpoint", params={"iterator": rows[-1]["id"]}
    ).json()
    assert past_the_end == {"data": [], "iterator": None, "prevIterator": None, "done": True}


def test_attempted_messages_are_one_row_per_message_through_several_attempts(
    svix: Svix, raw: httpx.Client, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    failed_once: list[bool] = []

    def fail_the_first_request(_: Any) -> int:
        failed_once.append(True)
        return 500 if len(failed_once) == 1 else 200

    receiver.handler = fail_the_first_request
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/a"))
    msg_ids = [deliver(svix, app.id, n=n) for n in range(4)]
    attempts = collect_pages(
        lambda it: svix.message_attempt.list_by_endpoint(
            app.id, ep.id, MessageAttemptListByEndpointOptions(limit=250, iterator=it)
        )
    )
    attempts = [a for p in attempts for a in p.data]
    assert len(attempts) == 5, "the first message is attempted twice"
    path = f"/api/v1/app/{app.id}/endpoint/{ep.id}/msg"
    for with_content in (True, False):
        pages = raw_pages(raw, path, limit=2, with_content=with_content)
        assert [len(p["data"]) for p in pages] == [2, 2]
        assert [p["done"] for p in pages] == [False, True]
        rows = [row for p in pages for row in p["data"]]
        # newest message first, each once; pages go by message id
        assert [row["id"] for row in rows] == msg_ids[::-1]
        assert [(p["iterator"], p["prevIterator"]) for p in pages] == [
            (p["data"][-1]["id"], "-" + p["data"][0]["id"]) for p in pages
        ]
        for row in rows:
            message = raw.get(
                f"/api/v1/app/{app.id}/msg/{row['id']}", params={"with_content": with_content}
            ).json()
            # the first message failed, then was delivered: its delivery is a success
            assert row == {**message, "status": 0, "statusText": "success"}
