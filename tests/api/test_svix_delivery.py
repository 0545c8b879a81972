"""What a receiver gets when messages are created through the official ``svix`` SDK."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook
from svix.api import (
    ApplicationIn,
    ApplicationOut,
    EndpointIn,
    MessageIn,
    MessageStatus,
    Svix,
    SvixAsync,
)
from svix.webhooks import Webhook

from tests.api.helpers import attempts_of, ids, lower, settled_destinations, wait_until
from tests.support.servers import Received, RecordingReceiver

pytestmark = pytest.mark.usefixtures("event_types")


def by_msg(received: list[Received], msg_id: str) -> list[Received]:
    return [r for r in received if lower(r.headers).get("webhook-id") == msg_id]


def send(
    svix: Svix,
    app_id: str,
    event_type: str = "user.created",
    channels: list[str] | None = None,
    **payload: Any,
) -> str:
    extra: dict[str, Any] = {} if channels is None else {"channels": channels}
    msg = MessageIn(event_type=event_type, payload=payload or {"n": 0}, **extra)
    return svix.message.create(app_id, msg).id


def test_message_arrives_signed_with_webhook_and_svix_headers(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/hooks/clerk"))
    secret = svix.endpoint.get_secret(app.id, ep.id).key
    payload = {
        "data": {"id": "user_29w83sxmDNGwOuEthce5gg56FcC", "object": "user", "first_name": "Zoë"},
        "object": "event",
        "type": "user.created",
    }
    msg = svix.message.create(app.id, MessageIn(event_type="user.created", payload=payload))
    [rec] = receiver.wait_for(1)
    h = lower(rec.headers)
    assert rec.path == "/hooks/clerk"
    assert h["webhook-id"] == h["svix-id"] == msg.id
    assert h["webhook-timestamp"] == h["svix-timestamp"]
    assert h["webhook-timestamp"].isdigit()
    assert h["webhook-signature"] == h["svix-signature"]
    assert h["webhook-signature"].startswith("v1,")
    assert h["content-type"].startswith("application/json")
    assert json.loads(rec.body) == payload
    Webhook(secret).verify(rec.body, rec.headers)
    Webhook(secret).verify(rec.body, {k: v for k, v in h.items() if not k.startswith("svix-")})
    Webhook(secret).verify(rec.body, {k: v for k, v in h.items() if not k.startswith("webhook-")})
    assert StandardWebhook(secret).verify(rec.body, h) == payload


def test_one_message_reaches_every_matching_endpoint_each_with_its_own_secret(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    eps = [svix.endpoint.create(app.id, EndpointIn(url=f"{receiver.url}/e{i}")) for i in range(3)]
    msg_id = send(svix, app.id)
    receiver.wait_for(3)
    for i, ep in enumerate(eps):
        [rec] = receiver.wait_for(1, path=f"/e{i}")
        assert lower(rec.headers)["webhook-id"] == msg_id
        Webhook(svix.endpoint.get_secret(app.id, ep.id).key).verify(rec.body, rec.headers)


def test_event_type_filter_skips_other_event_types(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    only_created = svix.endpoint.create(
        app.id, EndpointIn(url=receiver.url + "/created", event_types=["user.created"])
    )
    everything = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/all"))
    deleted = send(svix, app.id, "user.deleted")
    created = send(svix, app.id, "user.created")
    assert ids(settled_destinations(svix, app.id, deleted, 1)) == [everything.id]
    assert sorted(ids(settled_destinations(svix, app.id, created, 2))) == sorted(
        [only_created.id, everything.id]
    )
    receiver.wait_for(2, path="/all")
    got = receiver.wait_for(1, path="/created")
    assert [lower(r.headers)["webhook-id"] for r in got] == [created]


def test_channels_filter_deliveries(svix: Svix, app: ApplicationOut, receiver: RecordingReceiver) -> None:
    project_1 = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/p1", channels=["project_1"]))
    everything = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/all"))
    other = send(svix, app.id, channels=["project_2"], n=1)
    none = send(svix, app.id, n=2)
    matching = send(svix, app.id, channels=["project_2", "project_1"], n=3)
    assert ids(settled_destinations(svix, app.id, other, 1)) == [everything.id]
    assert ids(settled_destinations(svix, app.id, none, 1)) == [everything.id]
    assert sorted(ids(settled_destinations(svix, app.id, matching, 2))) == sorted(
        [project_1.id, everything.id]
    )
    receiver.wait_for(3, path="/all")
    got = receiver.wait_for(1, path="/p1")
    assert [lower(r.headers)["webhook-id"] for r in got] == [matching]


def test_failing_receiver_is_retried_per_schedule_and_attempts_record_the_status(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    receiver.status = 500
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/down"))
    msg_id = send(svix, app.id, n=5)
    [dest] = settled_destinations(svix, app.id, msg_id, 1)
    assert dest.status == MessageStatus.FAIL
    tries = by_msg(receiver.requests, msg_id)
    # the first try and one retry per entry of the (0.05, 0.1, 0.2) s schedule
    assert len(tries) == 4
    assert all(t.body == tries[0].body for t in tries)
    secret = svix.endpoint.get_secret(app.id, ep.id).key
    for t in tries:
        Webhook(secret).verify(t.body, t.headers)
    attempts = attempts_of(svix, app.id, msg_id)
    assert len(attempts) == 4
    assert {a.response_status_code for a in attempts} == {500}
    assert {a.status for a in attempts} == {MessageStatus.FAIL}
    assert {a.endpoint_id for a in attempts} == {ep.id}


def test_receiver_recovering_mid_schedule_ends_in_success(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    answers = iter([503, 500])
    receiver.handler = lambda rec: next(answers, 200)
    svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/flaky"))
    msg_id = send(svix, app.id)
    [dest] = settled_destinations(svix, app.id, msg_id, 1)
    assert dest.status == MessageStatus.SUCCESS
    assert len(by_msg(receiver.requests, msg_id)) == 3
    attempts = attempts_of(svix, app.id, msg_id)
    assert sorted(a.response_status_code for a in attempts) == [200, 500, 503]
    assert sorted(a.status for a in attempts) == [
        MessageStatus.SUCCESS,
        MessageStatus.FAIL,
        MessageStatus.FAIL,
    ]


def test_abort_message_response_header_stops_retries(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    receiver.status = 500
    receiver.response_headers = {"webhook-delivery": "abort-message"}
    svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/abort"))
    msg_id = send(svix, app.id)
    [dest] = settled_destinations(svix, app.id, msg_id, 1)
    assert dest.status not in (MessageStatus.SUCCESS, MessageStatus.PENDING, MessageStatus.SENDING)
    assert len(by_msg(receiver.requests, msg_id)) == 1
    [attempt] = attempts_of(svix, app.id, msg_id)
    assert attempt.response_status_code == 500


def test_disable_response_header_disables_the_endpoint(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    receiver.status = 500
    receiver.response_headers = {"webhook-delivery": "disable"}
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/gone"))
    msg_id = send(svix, app.id)
    receiver.wait_for(1)
    wait_until(lambda: svix.endpoint.get(app.id, ep.id).disabled, what="the endpoint to be disabled")
    settled_destinations(svix, app.id, msg_id, 1)
    later = send(svix, app.id)
    assert svix.message_attempt.list_attempted_destinations(app.id, later).data == []


def test_messages_to_one_application_do_not_reach_another(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    other = svix.application.create(ApplicationIn(name="Other"))
    svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/acme"))
    svix.endpoint.create(other.id, EndpointIn(url=receiver.url + "/other"))
    mine = send(svix, app.id)
    theirs = send(svix, other.id)
    settled_destinations(svix, app.id, mine, 1)
    settled_destinations(svix, other.id, theirs, 1)
    assert [lower(r.headers)["webhook-id"] for r in receiver.wait_for(1, path="/acme")] == [mine]
    assert [lower(r.headers)["webhook-id"] for r in receiver.wait_for(1, path="/other")] == [theirs]


async def test_async_client_sends_a_message_that_arrives_signed(
    svix_async: SvixAsync, receiver: RecordingReceiver
) -> None:
    app = await svix_async.application.create(ApplicationIn(name="Async", uid="async"))
    ep = await svix_async.endpoint.create("async", EndpointIn(url=receiver.url + "/async"))
    msg = await svix_async.message.create(app.id, MessageIn(event_type="session.created", payload={"s": 1}))
    secret = (await svix_async.endpoint.get_secret(app.id, ep.id)).key
    [rec] = await asyncio.to_thread(receiver.wait_for, 1)
    assert lower(rec.headers)["webhook-id"] == msg.id
    Webhook(secret).verify(rec.body, rec.headers)
    assert json.loads(rec.body) == {"s": 1}
