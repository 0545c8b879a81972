"""Crash safety with a real process: SIGKILL mid-delivery or mid-accept loses no accepted message."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.delivery.helpers import wait_until
from tests.delivery.processes import ServeProcess
from tests.support.servers import Received, RecordingReceiver

pytestmark = pytest.mark.slow

TOKEN = "tok_crash_test_0123456789abcdefghij"
AUTH = {"authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[ServeProcess]:
    """``hookline serve`` over one SQLite file that survives restarts; short leases so reclaims are quick."""
    server = ServeProcess(
        tmp_path,
        HOOKLINE_DATABASE_URL=f"sqlite:///{tmp_path / 'crash.db'}",
        HOOKLINE_API_TOKEN=TOKEN,
        HOOKLINE_ALLOWED_TARGETS="127.0.0.0/8",
        HOOKLINE_LEASE_SECONDS="2",
        HOOKLINE_RETRY_SCHEDULE="0.2,0.5,1,1,1",
    )
    yield server
    server.stop()


def make_endpoint(server: ServeProcess, receiver: RecordingReceiver) -> tuple[str, str]:
    with httpx.Client(base_url=server.url, headers=AUTH) as http:
        app_id = http.post("/api/v1/app", json={"name": "Crash"}).json()["id"]
        ep = http.post(f"/api/v1/app/{app_id}/endpoint", json={"url": f"{receiver.url}/hook"})
        assert ep.status_code == 201, ep.text
        return app_id, ep.json()["id"]


def delivered_ids(receiver: RecordingReceiver) -> set[str]:
    return {r.headers["webhook-id"] for r in list(receiver.requests)}


def test_kill_mid_delivery_loses_no_accepted_message(
    serve: ServeProcess, receiver: RecordingReceiver
) -> None:
    started: list[tuple[float, str]] = []  # when each delivery reached the receiver, before it answers
    killed = threading.Event()

    async def answer_late(rec: Received) -> int:
        started.append((time.time(), rec.headers["webhook-id"]))
        if len(started) > 20:
            # past the first few, the receiver works until the process dies: those are under way
            while not killed.is_set():
                await asyncio.sleep(0.02)
        return 200

    receiver.handler = answer_late
    serve.start()
    app_id, _ = make_endpoint(serve, receiver)
    accepted: list[str] = []
    with httpx.Client(base_url=serve.url, headers=AUTH) as http:
        for n in range(300):
            response = http.post(
                f"/api/v1/app/{app_id}/msg", json={"eventType": "user.created", "payload": {"n": n}}
            )
            assert response.status_code == 202, response.text
            accepted.append(response.json()["id"])
    wait_until(lambda: len(started) > 20, what="deliveries to be under way")
    serve.kill()
    restarted_at = time.time()
    reached = {msg for _, msg in started}
    in_flight = reached - delivered_ids(receiver)
    killed.set()
    assert in_flight, "some deliveries are under way when the process dies"
    # at most 256 sends are in flight at once, so some messages had not even left when it died
    assert len(reached) < len(accepted)

    serve.start()
    wait_until(lambda: set(accepted) <= delivered_ids(receiver), timeout=60, what="every accepted message")
    assert delivered_ids(receiver) == set(accepted)
    # a delivery cut off by the kill has no recorded outcome: its lease expires and it is sent again
    wait_until(
        lambda: in_flight <= {msg for at, msg in list(started) if at >= restarted_at},
        timeout=60,
        what="the deliveries cut off by the kill to be sent again",
    )


def test_kill_while_accepting_loses_no_answered_message(
    serve: ServeProcess, receiver: RecordingReceiver
) -> None:
    serve.start()
    app_id, ep_id = make_endpoint(serve, receiver)
    accepted: list[str] = []
    cut: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def post_until_refused(worker: int) -> None:
        with httpx.Client(base_url=serve.url, headers=AUTH, timeout=10) as http:
            for n in range(10_000):
                if stop.is_set():
                    return
                try:
                    response = http.post(
                        f"/api/v1/app/{app_id}/msg",
                        json={"eventType": "user.created", "payload": {"worker": worker, "n": n}},
                    )
                except httpx.TransportError:
                    with lock:
                        cut.append(worker)
                    return  # the server died under this request: it was never answered
                if response.status_code == 202:
                    with lock:
                        accepted.append(response.json()["id"])

    threads = [threading.Thread(target=post_until_refused, args=(w,)) for w in range(12)]
    for t in threads:
        t.start()
    wait_until(lambda: len(accepted) >= 300, timeout=60, what="300 accepted messages")
    serve.kill()
    for t in threads:
        t.join(30)
    stop.set()
    answered = set(accepted)
    assert cut, "the kill must come while requests are being accepted"

    serve.start()
    wait_until(lambda: not (answered - delivered_ids(receiver)), timeout=60, what="every answered message")
    # nothing committed is stuck either: every stored message reaches a final success
    with httpx.Client(base_url=serve.url, headers=AUTH) as http:

        def all_done() -> dict[str, int] | None:
            stats = http.get(f"/api/v1/app/{app_id}/endpoint/{ep_id}/stats").json()
            return stats if stats["pending"] == stats["sending"] == stats["fail"] == 0 else None

        stats = wait_until(all_done, timeout=60, what="every stored delivery to finish")
    assert stats["success"] >= len(answered)
    assert delivered_ids(receiver) >= answered


def test_restart_with_nothing_pending_sends_nothing_again(
    serve: ServeProcess, receiver: RecordingReceiver
) -> None:
    serve.start()
    app_id, ep_id = make_endpoint(serve, receiver)
    with httpx.Client(base_url=serve.url, headers=AUTH) as http:
        for n in range(20):
            assert (
                http.post(
                    f"/api/v1/app/{app_id}/msg", json={"eventType": "e", "payload": {"n": n}}
                ).status_code
                == 202
            )
        wait_until(
            lambda: http.get(f"/api/v1/app/{app_id}/endpoint/{ep_id}/stats").json()["success"] == 20,
            what="20 recorded successes",
        )
    serve.kill()
    serve.start()
    time.sleep(2.5)  # longer than a lease: a finished delivery wrongly left leased would be sent again by now
    assert len(receiver.requests) == 20
