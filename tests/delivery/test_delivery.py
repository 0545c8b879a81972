"""Delivery against a real receiver: signatures, headers, attempts, retries, receiver directives, health."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import standardwebhooks
import svix.webhooks
from aiohttp import web

from hookline.store.records import Dispatch, MessageStatus
from tests.delivery.conftest import Running
from tests.delivery.helpers import Api, in_store, operational_events, wait_until
from tests.support.servers import HooklineServer, Received, RecordingReceiver, free_port


def dispatches(database_url: str, msg_id: str) -> list[Dispatch]:
    return in_store(database_url, lambda s: s.dispatches_for_message(msg_id))


def settled(database_url: str, msg_id: str) -> Dispatch | None:
    """The message's only dispatch once it is final (success or fail), else None."""
    [d] = dispatches(database_url, msg_id)
    return d if d.status in (MessageStatus.SUCCESS, MessageStatus.FAIL) else None


def wait_settled(database_url: str, msg_id: str, timeout: float = 15) -> Dispatch:
    return wait_until(lambda: settled(database_url, msg_id), timeout, what=f"{msg_id} to settle")


def exhausted_for(database_url: str, msg_id: str) -> list[dict[str, Any]]:
    return [
        e["data"]
        for e in operational_events(database_url, "message.attempt.exhausted")
        if e["data"]["msgId"] == msg_id
    ]


def answer_in_turn(*answers: Any) -> Callable[[Received], Any]:
    """A receiver handler that gives these answers in order, then repeats the last one."""
    calls = 0

    def handler(_: Received) -> Any:
        nonlocal calls
        calls += 1
        answer = answers[min(calls, len(answers)) - 1]
        return answer() if callable(answer) else answer

    return handler


def setup(api: Api, receiver: RecordingReceiver, **endpoint: Any) -> tuple[str, dict[str, Any]]:
    app_id = api.create_app()
    return app_id, api.create_endpoint(app_id, f"{receiver.url}/hook", **endpoint)


# -- signing and headers -----------------------------------------------------------------------------


def test_delivery_carries_standard_and_svix_headers_that_verify(
    api: Api, receiver: RecordingReceiver
) -> None:
    app_id, ep = setup(api, receiver)
    secret = api.secret(app_id, ep["id"])
    msg = api.send(app_id, {"user": {"id": "user_1", "name": "Zoë"}}, "user.created")
    [got] = receiver.wait_for(1)
    h = {k.lower(): v for k, v in got.headers.items()}
    assert got.path == "/hook"
    assert h["webhook-id"] == h["svix-id"] == msg["id"]
    assert h["webhook-timestamp"] == h["svix-timestamp"]
    assert abs(int(h["webhook-timestamp"]) - time.time()) < 300
    assert h["webhook-signature"] == h["svix-signature"]
    assert h["content-type"].startswith("application/json")
    assert json.loads(got.body) == {"user": {"id": "user_1", "name": "Zoë"}}
    # the official verifiers accept it: standardwebhooks on webhook-*, svix on svix-*
    assert standardwebhooks.Webhook(secret).verify(got.body, h) == json.loads(got.body)
    svix_only = {k: v for k, v in h.items() if not k.startswith("webhook-")}
    svix.webhooks.Webhook(secret).verify(got.body, svix_only)


def test_after_rotation_every_active_secret_signs(api: Api, receiver: RecordingReceiver) -> None:
    app_id, ep = setup(api, receiver)
    old = api.secret(app_id, ep["id"])
    api.ok(api.http.post(f"/api/v1/app/{app_id}/endpoint/{ep['id']}/secret/rotate", json={}))
    new = api.secret(app_id, ep["id"])
    assert new != old
    api.send(app_id)
    [got] = receiver.wait_for(1)
    h = {k.lower(): v for k, v in got.headers.items()}
    signatures = h["webhook-signature"].split(" ")
    assert len(signatures) == 2
    when = datetime.fromtimestamp(int(h["webhook-timestamp"]), UTC)
    for secret in (old, new):
        expected = standardwebhooks.Webhook(secret).sign(h["webhook-id"], when, got.body.decode())
        assert expected in signatures, "each active secret contributes its own signature"
        standardwebhooks.Webhook(secret).verify(got.body, h)
    assert {s.split(",")[0] for s in signatures} == {"v1"}
    assert all(len(base64.b64decode(s.split(",")[1])) == 32 for s in signatures)


def test_custom_endpoint_headers_are_sent(api: Api, receiver: RecordingReceiver) -> None:
    app_id, _ = setup(api, receiver, headers={"X-Tenant": "acme", "Authorization": "Basic YWJjOmRlZg=="})
    api.send(app_id)
    [got] = receiver.wait_for(1)
    h = {k.lower(): v for k, v in got.headers.items()}
    assert h["x-tenant"] == "acme"
    assert h["authorization"] == "Basic YWJjOmRlZg=="
    assert "webhook-signature" in h


def test_each_delivery_of_a_message_keeps_its_id_and_is_signed_afresh(
    api: Api, receiver: RecordingReceiver
) -> None:
    receiver.handler = answer_in_turn(500, 200)
    app_id, ep = setup(api, receiver)
    secret = api.secret(app_id, ep["id"])
    msg = api.send(app_id)
    first, second = receiver.wait_for(2)
    for got in (first, second):
        assert got.headers["webhook-id"] == msg["id"]
        standardwebhooks.Webhook(secret).verify(got.body, got.headers)
    assert first.body == second.body


# -- outcomes and attempts -----------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_any_2xx_succeeds_on_the_first_try(
    api: Api, hookline_server: HooklineServer, receiver: RecordingReceiver, status: int
) -> None:
    receiver.status = status
    app_id, ep = setup(api, receiver)
    msg = api.send(app_id)
    done = wait_settled(hookline_server.database_url, msg["id"])
    assert done.status == MessageStatus.SUCCESS and done.next_attempt_at is None
    [attempt] = api.attempts(app_id, msg["id"])
    assert attempt["status"] == 0 and attempt["responseStatusCode"] == status
    assert attempt["endpointId"] == ep["id"] and attempt["url"] == f"{receiver.url}/hook"
    assert len(receiver.requests) == 1


def test_attempt_records_status_duration_and_response_body(api: Api, receiver: RecordingReceiver) -> None:
    async def slow(_: Received) -> web.Response:
        await asyncio.sleep(0.25)
        return web.Response(status=201, text="accepted, thanks")

    receiver.handler = slow
    app_id, _ = setup(api, receiver)
    msg = api.send(app_id)
    [attempt] = api.wait_attempts(app_id, msg["id"], 1)
    assert attempt["responseStatusCode"] == 201
    assert attempt["response"] == "accepted, thanks"
    assert attempt["responseDurationMs"] >= 250
    assert attempt["triggerType"] == 0
    assert attempt["msgId"] == msg["id"]


def test_a_long_response_body_is_truncated_in_the_attempt(
    start_server: Callable[..., Running], receiver: RecordingReceiver
) -> None:
    body = "".join(f"{i:05d}," for i in range(20_000))  # 120 kB
    receiver.handler = lambda _: web.Response(status=500, text=body)
    hl = start_server(retry_schedule=(), response_body_limit=1000)
    app_id, _ = setup(hl.api, receiver)
    msg = hl.api.send(app_id)
    [attempt] = hl.api.wait_attempts(app_id, msg["id"], 1)
    assert attempt["responseStatusCode"] == 500
    assert attempt["response"] == body[:1000]


def test_default_response_limit_keeps_attempts_small(api: Api, receiver: RecordingReceiver) -> None:
    receiver.handler = lambda _: web.Response(status=200, text="x" * 1_000_000)
    app_id, _ = setup(api, receiver)
    msg = api.send(app_id)
    [attempt] = api.wait_attempts(app_id, msg["id"], 1)
    assert attempt["status"] == 0
    assert 0 < len(attempt["response"]) <= 4096
    assert set(attempt["response"]) == {"x"}


def test_failures_are_retried_on_the_schedule_then_exhausted(
    start_server: Callable[..., Running], receiver: RecordingReceiver
) -> None:
    schedule = (0.1, 0.2, 0.3)
    receiver.handler = lambda _: web.Response(status=500, text="database down")
    hl = start_server(retry_schedule=schedule)
    app_id, ep = setup(hl.api, receiver)
    msg = hl.api.send(app_id)
    done = wait_settled(hl.database_url, msg["id"])
    assert done.status == MessageStatus.FAIL and done.attempts == 4
    arrivals = [r.at for r in receiver.requests]
    assert len(arrivals) == 4, "one first try and one per scheduled delay"
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    for gap, delay in zip(gaps, schedule, strict=True):
        assert gap >= delay - 0.01, f"retried after {gap:.3f} s, before its {delay} s delay"
    attempts = hl.api.attempts(app_id, msg["id"])
    assert [(a["status"], a["responseStatusCode"], a["response"]) for a in attempts] == [
        (2, 500, "database down")
    ] * 4
    [event] = wait_until(lambda: exhausted_for(hl.database_url, msg["id"]), what="exhausted event")
    assert event["endpointId"] == ep["id"] and event["appId"] == app_id
    assert event["lastAttempt"]["id"] == attempts[-1]["id"]
    assert event["lastAttempt"]["responseStatusCode"] == 500


def test_retries_stop_at_the_first_success(
    api: Api, hookline_server: HooklineServer, receiver: RecordingReceiver
) -> None:
    receiver.handler = answer_in_turn(503, 500, 200)
    app_id, _ = setup(api, receiver)
    msg = api.send(app_id)
    done = wait_settled(hookline_server.database_url, msg["id"])
    assert done.status == MessageStatus.SUCCESS and done.attempts == 3
    codes = [a["responseStatusCode"] for a in api.attempts(app_id, msg["id"])]
    assert codes == [503, 500, 200]
    assert exhausted_for(hookline_server.database_url, msg["id"]) == []


def test_a_4xx_is_a_failure_and_retried_too(
    api: Api, hookline_server: HooklineServer, receiver: RecordingReceiver
) -> None:
    receiver.handler = answer_in_turn(400, 404, 200)
    app_id, _ = setup(api, receiver)
    msg = api.send(app_id)
    assert wait_settled(hookline_server.database_url, msg["id"]).status == MessageStatus.SUCCESS
    assert [a["status"] for a in api.attempts(app_id, msg["id"])] == [2, 2, 0]


def test_receiver_slower_than_the_timeout_is_a_failed_attempt_and_retried(
    start_server: Callable[..., Running], receiver: RecordingReceiver
) -> None:
    async def hang() -> int:
        await asyncio.sleep(1.5)
        return 200

    receiver.handler = answer_in_turn(hang, 200)
    hl = start_server(retry_schedule=(0.05,), request_timeout=0.3)
    app_id, _ = setup(hl.api, receiver)
    msg = hl.api.send(app_id)
    assert wait_settled(hl.database_url, msg["id"]).status == MessageStatus.SUCCESS
    timed_out, ok = hl.api.attempts(app_id, msg["id"])
    assert timed_out["status"] == 2 and timed_out["responseStatusCode"] == 0
    assert "timed out" in timed_out["response"]
    assert timed_out["responseDurationMs"] >= 300
    assert ok["status"] == 0 and ok["responseStatusCode"] == 200


def test_nothing_listening_is_a_failed_attempt(start_server: Callable[..., Running]) -> None:
    hl = start_server(retry_schedule=(0.05, 0.05))
    app_id = hl.api.create_app()
    hl.api.create_endpoint(app_id, f"http://127.0.0.1:{free_port()}/hook")
    msg = hl.api.send(app_id)
    assert wait_settled(hl.database_url, msg["id"]).status == MessageStatus.FAIL
    attempts = hl.api.attempts(app_id, msg["id"])
    assert len(attempts) == 3
    for attempt in attempts:
        assert attempt["status"] == 2 and attempt["responseStatusCode"] == 0
        assert "connect" in attempt["response"].lower()
    wait_until(lambda: exhausted_for(hl.database_url, msg["id"]), what="exhausted event")


def test_a_delivery_slower_than_its_lease_is_not_sent_twice(
    start_server: Callable[..., Running], receiver: RecordingReceiver
) -> None:
    started: list[float] = []

    async def slow(_: Received) -> int:
        started.append(time.time())
        await asyncio.sleep(2.5)
        return 200

    receiver.handler = slow
    # the lease runs out twice while the receiver works; the worker sending it must not send it again
    hl = start_server(lease_seconds=1, request_timeout=5)
    app_id, _ = setup(hl.api, receiver)
    msg = hl.api.send(app_id)
    assert wait_settled(hl.database_url, msg["id"]).status == MessageStatus.SUCCESS
    assert len(started) == 1
    assert len(hl.api.attempts(app_id, msg["id"])) == 1


# -- receiver directives and Retry-After --------------------------------------------------------


def test_abort_message_header_stops_retries(
    api: Api, hookline_server: HooklineServer, receiver: RecordingReceiver
) -> None:
    receiver.status = 500
    receiver.response_headers = {"webhook-delivery": "abort-message"}
    app_id, ep = setup(api, receiver)
    msg = api.send(app_id)
    done = wait_settled(hookline_server.database_url, msg["id"])
    assert done.status == MessageStatus.FAIL and done.next_attempt_at is None
    assert done.attempts == 1, "no retry was scheduled after the receiver aborted the message"
    [attempt] = api.attempts(app_id, msg["id"])
    assert attempt["responseStatusCode"] == 500
    assert api.endpoint(app_id, ep["id"])["disabled"] is False, "only the message stops, not the endpoint"
    # the endpoint still gets new messages
    receiver.response_headers = {}
    receiver.status = 200
    second = api.send(app_id)
    assert wait_settled(hookline_server.database_url, second["id"]).status == MessageStatus.SUCCESS


def test_disable_header_disables_the_endpoint(
    api: Api, hookline_server: HooklineServer, receiver: RecordingReceiver
) -> None:
    receiver.status = 410
    receiver.response_headers = {"Webhook-Delivery": "disable"}
    app_id, ep = setup(api, receiver)
    msg = api.send(app_id)
    done = wait_settled(hookline_server.database_url, msg["id"])
    assert done.status == MessageStatus.FAIL and done.attempts == 1
    assert api.endpoint(app_id, ep["id"])["disabled"] is True
    [event] = wait_until(
        lambda: operational_events(hookline_server.database_url, "endpoint.disabled"), what="disabled event"
    )
    assert event["data"]["endpointId"] == ep["id"]
    assert "webhook-delivery" in event["data"]["reason"]
    later = api.send(app_id)
    assert dispatches(hookline_server.database_url, later["id"]) == [], "a disabled endpoint gets nothing"
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_pushes_the_retry_later(
    start_server: Callable[..., Running], receiver: RecordingReceiver, status: int
) -> None:
    receiver.handler = answer_in_turn(web.Response(status=status, headers={"Retry-After": "1"}), 200)
    hl = start_server(retry_schedule=(0.05,))
    app_id, _ = setup(hl.api, receiver)
    msg = hl.api.send(app_id)
    first, second = receiver.wait_for(2)
    assert second.at - first.at >= 0.95, "the receiver asked for one second, the schedule said 0.05"
    assert wait_settled(hl.database_url, msg["id"]).status == MessageStatus.SUCCESS


def test_retry_after_is_bounded(start_server: Callable[..., Running], receiver: RecordingReceiver) -> None:
    receiver.handler = answer_in_turn(web.Response(status=429, headers={"Retry-After": "86400"}), 200)
    hl = start_server(retry_schedule=(0.05,), retry_after_cap_seconds=0.5)
    app_id, _ = setup(hl.api, receiver)
    msg = hl.api.send(app_id)
    first, second = receiver.wait_for(2, timeout=20)
    assert second.at - first.at >= 0.45
    assert wait_settled(hl.database_url, msg["id"]).status == MessageStatus.SUCCESS


def test_retry_after_beyond_the_default_cap_waits_one_hour(
    api: Api, hookline_server: HooklineServer, receiver: RecordingReceiver
) -> None:
    receiver.handler = lambda _: web.Response(status=429, headers={"Retry-After": "99999999"})
    app_id, _ = setup(api, receiver)
    before = time.time()
    msg = api.send(app_id)
    api.wait_attempts(app_id, msg["id"], 1)
    after = time.time()
    [d] = dispatches(hookline_server.database_url, msg["id"])
    assert d.status == MessageStatus.PENDING and d.next_attempt_at is not None
    assert before + 3600 <= d.next_attempt_at <= after + 3600


def test_retry_after_on_other_failures_is_ignored(
    api: Api, hookline_server: HooklineServer, receiver: RecordingReceiver
) -> None:
    receiver.handler = answer_in_turn(web.Response(status=500, headers={"Retry-After": "3600"}), 200)
    app_id, _ = setup(api, receiver)
    msg = api.send(app_id)
    receiver.wait_for(2)
    assert wait_settled(hookline_server.database_url, msg["id"]).status == MessageStatus.SUCCESS


# -- fan-out -------------------------------------------------------------------------------------


def test_a_message_goes_to_every_matching_endpoint_and_no_other(
    api: Api, hookline_server: HooklineServer, receiver: RecordingReceiver
) -> None:
    app_id = api.create_app()
    everything = api.create_endpoint(app_id, f"{receiver.url}/all")
    users = api.create_endpoint(app_id, f"{receiver.url}/users", filterTypes=["user.created"])
    api.create_endpoint(app_id, f"{receiver.url}/sessions", filterTypes=["session.created"])
    api.create_endpoint(app_id, f"{receiver.url}/eu", channels=["eu"])
    api.create_endpoint(app_id, f"{receiver.url}/off", disabled=True)
    msg = api.send(app_id, {"n": 1}, "user.created", channels=["us"])
    got = receiver.wait_for(2)
    routed = {d.endpoint_id for d in dispatches(hookline_server.database_url, msg["id"])}
    assert routed == {everything["id"], users["id"]}
    wait_until(lambda: all(settled_all(hookline_server.database_url, msg["id"])), what="both deliveries")
    assert sorted(r.path for r in receiver.requests) == ["/all", "/users"]
    assert {r.headers["webhook-id"] for r in got} == {msg["id"]}


def settled_all(database_url: str, msg_id: str) -> list[bool]:
    return [d.status == MessageStatus.SUCCESS for d in dispatches(database_url, msg_id)]


def test_each_endpoint_is_signed_with_its_own_secret(api: Api, receiver: RecordingReceiver) -> None:
    app_id = api.create_app()
    one = api.create_endpoint(app_id, f"{receiver.url}/one")
    two = api.create_endpoint(app_id, f"{receiver.url}/two")
    api.send(app_id)
    receiver.wait_for(2)
    for ep, path in ((one, "/one"), (two, "/two")):
        [got] = [r for r in receiver.requests if r.path == path]
        secret = api.secret(app_id, ep["id"])
        standardwebhooks.Webhook(secret).verify(got.body, got.headers)
        other = api.secret(app_id, (two if ep is one else one)["id"])
        with pytest.raises(standardwebhooks.WebhookVerificationError):
            standardwebhooks.Webhook(other).verify(got.body, got.headers)
