"""Endpoint health: failing with no success for too long disables an endpoint; a success resets the clock."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hookline.store.records import MessageStatus
from tests.delivery.conftest import Running
from tests.delivery.helpers import in_store, operational_events, wait_until
from tests.support.servers import Received, RecordingReceiver


def test_endpoint_failing_too_long_is_disabled_with_an_operational_event(
    start_server: Callable[..., Running], receiver: RecordingReceiver
) -> None:
    receiver.status = 500
    hl = start_server(retry_schedule=(0.2, 0.2, 0.2, 0.2, 0.2), disable_after_seconds=0.3)
    app_id = hl.api.create_app()
    ep = hl.api.create_endpoint(app_id, f"{receiver.url}/hook", uid="billing-hook")
    msg = hl.api.send(app_id)
    wait_until(lambda: hl.api.endpoint(app_id, ep["id"])["disabled"], what="the endpoint to be disabled")
    [event] = operational_events(hl.database_url, "endpoint.disabled")
    assert event["type"] == "endpoint.disabled"
    assert event["data"]["endpointId"] == ep["id"]
    assert event["data"]["endpointUid"] == "billing-hook"
    assert event["data"]["appId"] == app_id
    assert "failing" in event["data"]["reason"]
    assert event["data"]["failSince"] <= receiver.requests[0].at + 0.5
    # it took failures spanning more than disable_after_seconds, not a single one
    assert receiver.requests[-1].at - receiver.requests[0].at >= 0.3
    # the pending retry of a disabled endpoint is dropped, and new messages do not go to it
    wait_until(
        lambda: [
            d
            for d in in_store(hl.database_url, lambda s: s.dispatches_for_message(msg["id"]))
            if d.status == MessageStatus.FAIL
        ],
        what="the pending retry to be dropped",
    )
    delivered = len(receiver.requests)
    later = hl.api.send(app_id)
    assert in_store(hl.database_url, lambda s: s.dispatches_for_message(later["id"])) == []
    assert len(receiver.requests) == delivered


def test_a_single_failure_does_not_disable(
    start_server: Callable[..., Running], receiver: RecordingReceiver
) -> None:
    receiver.status = 500
    hl = start_server(retry_schedule=(), disable_after_seconds=3600)
    app_id = hl.api.create_app()
    ep = hl.api.create_endpoint(app_id, f"{receiver.url}/hook")
    for _ in range(5):
        msg = hl.api.send(app_id)
        hl.api.wait_attempts(app_id, msg["id"], 1)
    assert hl.api.endpoint(app_id, ep["id"])["disabled"] is False
    assert operational_events(hl.database_url, "endpoint.disabled") == []


@pytest.mark.parametrize("success_between", [True, False], ids=["with-a-success", "without"])
def test_a_success_resets_the_failure_clock(
    start_server: Callable[..., Running], receiver: RecordingReceiver, success_between: bool
) -> None:
    # "bad" fails at 0, 1, 2 and 3 s: alone, that disables the endpoint at 2 s (over 1.5 s of failing).
    # "good" succeeding at about 1 s restarts the failing stretch at 2 s, so it never reaches 1.5 s.
    def handler(rec: Received) -> int:
        return 500 if b'"bad"' in rec.body else 200

    receiver.handler = handler
    hl = start_server(retry_schedule=(1.0, 1.0, 1.0), disable_after_seconds=1.5)
    app_id = hl.api.create_app()
    ep = hl.api.create_endpoint(app_id, f"{receiver.url}/hook")
    bad = hl.api.send(app_id, {"kind": "bad"})
    receiver.wait_for(2)  # two failures of "bad"
    if success_between:
        good = hl.api.send(app_id, {"kind": "good"})
        assert hl.api.wait_attempts(app_id, good["id"], 1)[0]["status"] == 0
    wait_until(
        lambda: (
            in_store(hl.database_url, lambda s: s.dispatches_for_message(bad["id"]))[0].status
            == MessageStatus.FAIL
        ),
        what="bad to stop being retried",
    )
    disabled = operational_events(hl.database_url, "endpoint.disabled")
    if success_between:
        codes = [a["responseStatusCode"] for a in hl.api.attempts(app_id, bad["id"])]
        assert codes == [500, 500, 500, 500], "bad ran its whole schedule"
        assert hl.api.endpoint(app_id, ep["id"])["disabled"] is False
        assert disabled == []
    else:
        assert hl.api.endpoint(app_id, ep["id"])["disabled"] is True
        assert [e["data"]["endpointId"] for e in disabled] == [ep["id"]]


def test_reenabling_an_endpoint_restarts_its_health(
    start_server: Callable[..., Running], receiver: RecordingReceiver
) -> None:
    receiver.status = 500
    hl = start_server(retry_schedule=(0.2, 0.2, 0.2), disable_after_seconds=0.3)
    app_id = hl.api.create_app()
    ep = hl.api.create_endpoint(app_id, f"{receiver.url}/hook")
    hl.api.send(app_id)
    wait_until(lambda: hl.api.endpoint(app_id, ep["id"])["disabled"], what="the endpoint to be disabled")
    hl.api.ok(hl.api.http.patch(f"/api/v1/app/{app_id}/endpoint/{ep['id']}", json={"disabled": False}))
    receiver.status = 200
    msg = hl.api.send(app_id)
    [attempt] = hl.api.wait_attempts(app_id, msg["id"], 1)
    assert attempt["status"] == 0
    assert hl.api.endpoint(app_id, ep["id"])["disabled"] is False
