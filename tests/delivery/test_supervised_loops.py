"""Background loops under the supervisor: an unexpected error is logged, the loop starts again, and
the health endpoint answers 503 while it is down.

Each test makes one store call of one loop raise an error no loop handles (a ``RuntimeError``, not a
``StoreError``) and checks that the server keeps delivering afterwards.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from hookline.supervisor import Supervisor
from tests.support.servers import HooklineServer, RecordingReceiver

BACK_OFF = 1.5  # long enough for a request to see the loop down


def _fail_once(obj: Any, name: str) -> list[int]:
    """Make ``obj.name`` raise RuntimeError on its next call only; return the list its calls are counted in."""
    real = getattr(obj, name)
    calls: list[int] = []

    async def failing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError(f"injected failure in {name}")
        return await real(*args, **kwargs)

    setattr(obj, name, failing)
    return calls


def _wait(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, "condition not reached"
        time.sleep(0.02)


def _health(server: HooklineServer) -> httpx.Response:
    return httpx.get(f"{server.url}/api/v1/health")


def _send(server: HooklineServer, receiver: RecordingReceiver, app: str) -> None:
    headers = {"authorization": f"Bearer {server.token}"}
    httpx.post(f"{server.url}/api/v1/app", headers=headers, json={"name": app, "uid": app}).raise_for_status()
    httpx.post(
        f"{server.url}/api/v1/app/{app}/endpoint", headers=headers, json={"url": f"{receiver.url}/{app}"}
    ).raise_for_status()
    httpx.post(
        f"{server.url}/api/v1/app/{app}/msg", headers=headers, json={"eventType": "t", "payload": {"a": 1}}
    ).raise_for_status()


def _check_restart(server: HooklineServer, loop: str) -> None:
    sup = server.app.state.runtime.supervisor
    _wait(lambda: loop in sup.down())
    down = _health(server)
    assert down.status_code == 503
    assert down.json() == {"code": "background_task_down", "detail": f"background loops down: {loop}"}
    _wait(lambda: sup.restarts[loop] >= 1 and not sup.down())
    assert _health(server).status_code == 204


@pytest.fixture
def server(hookline_server: HooklineServer) -> HooklineServer:
    hookline_server.app.state.runtime.supervisor.first_delay = BACK_OFF
    return hookline_server


def test_the_claim_loop_starts_again_after_an_unexpected_error(
    server: HooklineServer, receiver: RecordingReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    rt = server.app.state.runtime
    calls = _fail_once(rt.store, "claim")

    async def ring() -> None:
        rt.wakeup.ring()

    with caplog.at_level(logging.ERROR, logger="hookline.supervisor"):
        server.run(ring())
        _check_restart(server, "claim")
    assert "background loop 'claim' failed" in caplog.text
    assert "injected failure in claim" in caplog.text
    _wait(lambda: len(calls) >= 2)  # the restarted loop claims again
    _send(server, receiver, "after-claim")
    assert len(receiver.wait_for(1, path="/after-claim")) == 1


def test_the_record_loop_starts_again_and_records_what_was_waiting(
    server: HooklineServer, receiver: RecordingReceiver
) -> None:
    rt = server.app.state.runtime
    calls = _fail_once(rt.store, "complete")
    _send(server, receiver, "record")
    assert len(receiver.wait_for(1, path="/record")) == 1
    _check_restart(server, "record")
    _wait(lambda: len(calls) >= 2)
    headers = {"authorization": f"Bearer {server.token}"}
    # the outcome held back by the failure is recorded by the restarted loop: the message succeeded
    _wait(
        lambda: (
            httpx.get(f"{server.url}/api/v1/app/record/msg", headers=headers).json()["data"] != []
            and httpx.get(
                f"{server.url}/api/v1/app/record/attempt/endpoint/"
                + httpx.get(f"{server.url}/api/v1/app/record/endpoint", headers=headers).json()["data"][0][
                    "id"
                ],
                headers=headers,
            ).json()["data"]
            != []
        )
    )
    assert len(receiver.requests) == 1  # recorded once, never sent again


def test_the_acceptor_starts_again_and_answers_the_batch_it_failed(
    server: HooklineServer, receiver: RecordingReceiver
) -> None:
    rt = server.app.state.runtime
    worker = rt.worker
    real_reserve = worker.reserve
    failed: list[int] = []

    def reserve(most: int) -> Any:
        # outside the acceptor's own error handling: this ends its loop
        if not failed:
            failed.append(1)
            raise RuntimeError("injected failure in the acceptor")
        return real_reserve(most)

    worker.reserve = reserve
    headers = {"authorization": f"Bearer {server.token}"}
    httpx.post(
        f"{server.url}/api/v1/app", headers=headers, json={"name": "acc", "uid": "acc"}
    ).raise_for_status()
    answer = httpx.post(
        f"{server.url}/api/v1/app/acc/msg", headers=headers, json={"eventType": "t", "payload": {}}
    )
    assert answer.status_code == 500  # the request of the failed batch is answered, not left waiting
    _check_restart(server, "acceptor")
    _send(server, receiver, "after-acceptor")
    assert len(receiver.wait_for(1, path="/after-acceptor")) == 1


async def test_a_loop_that_keeps_failing_backs_off_and_one_that_returns_ends() -> None:
    sup = Supervisor(first_delay=0.01, max_delay=0.04)
    runs: list[float] = []

    async def failing() -> None:
        runs.append(asyncio.get_running_loop().time())
        raise ValueError("always")

    async def finishing() -> None:
        return

    sup.start("failing", failing)
    done = sup.start("finishing", finishing)
    while len(runs) < 5:
        await asyncio.sleep(0.01)
    await asyncio.wait_for(done, 1)
    assert sup.restarts["finishing"] == 0
    gaps = [b - a for a, b in itertools.pairwise(runs)]
    assert gaps[-1] >= 0.03  # doubled up to the cap
    await sup.stop()
    assert sup.down() == []


def test_the_renew_loop_starts_again_and_still_extends_the_leases_of_slow_deliveries(
    sqlite_url: str, receiver: RecordingReceiver
) -> None:
    # a lease of 2 s is checked every 0.5 s; the receiver takes 3 s, so its lease must be extended
    server = HooklineServer(database_url=sqlite_url).start(lease_seconds=2.0)
    try:
        sup = server.app.state.runtime.supervisor
        sup.first_delay = 0.2
        calls = _fail_once(server.app.state.runtime.store, "extend_leases")

        async def slow(_: Any) -> int:
            await asyncio.sleep(3.0)
            return 200

        receiver.handler = slow
        _send(server, receiver, "renew")
        _wait(lambda: sup.restarts["renew"] >= 1)
        _wait(lambda: len(calls) >= 2)  # the restarted loop extends the lease again
        assert len(receiver.wait_for(1, path="/renew")) == 1
    finally:
        server.stop()


def test_the_token_watcher_starts_again_and_still_reads_issued_tokens(server: HooklineServer) -> None:
    rt = server.app.state.runtime
    calls = _fail_once(rt, "load_issued_tokens")
    _check_restart(server, "api-tokens")
    _wait(lambda: len(calls) >= 2)  # the restarted loop reads the issued tokens again


def test_housekeeping_starts_again_after_an_unexpected_error(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hookline.services import runtime

    real = runtime.forget_old
    calls: list[int] = []
    armed = threading.Event()  # fail only once the back-off is long enough for the test to see the loop down

    async def failing(*args: Any) -> None:
        if armed.is_set():
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("injected failure in housekeeping")
        await real(*args)

    monkeypatch.setattr(runtime, "HOUSEKEEPING_SECONDS", 0.2)
    monkeypatch.setattr(runtime, "forget_old", failing)
    server = HooklineServer(database_url=sqlite_url).start()
    try:
        server.app.state.runtime.supervisor.first_delay = BACK_OFF
        armed.set()
        _check_restart(server, "housekeeping")
        _wait(lambda: len(calls) >= 2)
    finally:
        server.stop()


@pytest.mark.postgres
def test_the_postgres_listener_starts_again_and_hears_notifications(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    server = HooklineServer(database_url=pg_url).start()
    try:
        rt = server.app.state.runtime
        rt.supervisor.first_delay = BACK_OFF
        wakeup = rt.wakeup
        assert wakeup.listening.is_set()
        heard: list[str] = []
        on_notify = wakeup._on_notify

        def hear(conn: Any, pid: int, channel: str, payload: str) -> None:
            heard.append(channel)
            on_notify(conn, pid, channel, payload)

        # the listener is added anew on each connection: the restarted loop's is this one
        wakeup._on_notify = hear
        calls = _fail_once(wakeup.db, "connect")

        async def drop_listening_connection() -> None:
            async with rt.store.db.reader() as c:
                await c.execute("SELECT pg_terminate_backend(?)", (wakeup._conn.get_server_pid(),))

        with caplog.at_level(logging.ERROR, logger="hookline.supervisor"):
            server.run(drop_listening_connection())
            _check_restart(server, "wakeup")
        assert "injected failure in connect" in caplog.text
        assert len(calls) >= 2
        _wait(wakeup.listening.is_set)
        heard.clear()
        server.run(rt.store.db.notify([wakeup.channel, wakeup.standby_channel]))
        _wait(lambda: heard != [])
    finally:
        server.stop()
