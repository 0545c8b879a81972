"""Wake-ups are pushed: an idle worker sleeps without polling and still sends a new message at once."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.delivery.conftest import Running
from tests.support.servers import RecordingReceiver


def test_new_message_arrives_without_waiting_for_the_idle_timer(
    start_server: Callable[..., Running], receiver: RecordingReceiver
) -> None:
    hl = start_server(idle_recheck_seconds=30)
    app_id = hl.api.create_app()
    hl.api.create_endpoint(app_id, f"{receiver.url}/hook")
    time.sleep(0.5)  # let the worker find nothing to do and go to sleep on its 30 s timer
    for n in range(3):
        msg = hl.api.send(app_id, {"n": n})
        # far under the 30 s timer: only a pushed wake-up can explain the arrival
        got = receiver.wait_for(n + 1, timeout=10)
        assert got[-1].headers["webhook-id"] == msg["id"]
        time.sleep(0.3)


def test_retries_are_due_driven_not_polled(
    start_server: Callable[..., Running], receiver: RecordingReceiver
) -> None:
    receiver.status = 500
    hl = start_server(retry_schedule=(0.2, 0.4), idle_recheck_seconds=30)
    app_id = hl.api.create_app()
    hl.api.create_endpoint(app_id, f"{receiver.url}/hook")
    hl.api.send(app_id)
    # the worker sleeps until the next retry is due, not until its 30 s timer
    assert len(receiver.wait_for(3, timeout=10)) == 3


def test_resend_wakes_the_worker(start_server: Callable[..., Running], receiver: RecordingReceiver) -> None:
    hl = start_server(retry_schedule=(), idle_recheck_seconds=30)
    app_id = hl.api.create_app()
    ep = hl.api.create_endpoint(app_id, f"{receiver.url}/hook")
    msg = hl.api.send(app_id)
    receiver.wait_for(1, timeout=10)
    time.sleep(0.3)
    hl.api.ok(hl.api.http.post(f"/api/v1/app/{app_id}/msg/{msg['id']}/endpoint/{ep['id']}/resend"))
    second = receiver.wait_for(2, timeout=10)[-1]
    assert second.headers["webhook-id"] == msg["id"]
    [manual] = [a for a in hl.api.wait_attempts(app_id, msg["id"], 2) if a["triggerType"] == 1]
    assert manual["status"] == 0
