"""Processes dying under load: workers SIGKILLed in a loop, the API SIGKILLed while accepting, and
PostgreSQL ending the server's sessions. Deliveries are at least once: a fault may repeat some,
it must never lose one the API answered 2xx for.

``HOOKLINE_FAULT_MESSAGES`` sets the size of the load (2,000 by default; ``bench/faults.py`` runs
50,000).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import aiohttp
import pytest

from tests.faults.harness import Client, FaultRun, fault_messages, setup_app
from tests.support import postgres


async def _until(done: asyncio.Task[list[str]], interval: float, action: Callable[[], None]) -> int:
    """Call ``action`` every ``interval`` seconds until ``done`` finishes; return how many times."""
    n = 0
    while not done.done():
        await asyncio.wait({done}, timeout=interval)
        if not done.done():
            action()
            n += 1
    return n


async def test_workers_killed_in_a_loop_lose_nothing(
    fault_db: tuple[str, str], fault_run: Callable[..., FaultRun]
) -> None:
    run = fault_run(fault_db[1], lease_seconds=2.0, fail_first=0)
    await run.start_receiver()
    await run.start_api(with_worker=False)
    workers = 2 if run.backend == "postgres" else 1
    for _ in range(workers):
        run.start_worker()
    n = fault_messages()
    async with aiohttp.ClientSession() as session:
        client = Client(session, run.api_url)
        app_id = await setup_app(client, run.receiver_url, ["ok"])
        sending = asyncio.create_task(client.send(app_id, n))
        # each time another twentieth of the load has reached the receiver, SIGKILL a worker (in the
        # middle of its deliveries, holding leases) and start another
        ids: list[str] = []
        kills, last, step = 0, 0, max(100, n // 20)
        deadline = time.monotonic() + 120 + n / 50
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            if sending.done() and not ids:
                ids = sending.result()
            got = len(run.received())
            if ids and got >= len(ids):
                break
            if got >= last + step:
                run.kill_worker(kills)
                kills, last = kills + 1, got
            assert not run.exited(), run.output()
    await run.wait_delivered(ids, ["/hook/ok"], timeout=120 + n / 50)
    assert kills, "every message arrived before a worker could be killed: raise HOOKLINE_FAULT_MESSAGES"
    report = run.report(f"worker-kill-9 x{kills}", ids)
    assert report.lost == 0, run.output()


async def test_api_killed_while_accepting_loses_no_answered_message(
    fault_db: tuple[str, str], fault_run: Callable[..., FaultRun]
) -> None:
    run = fault_run(fault_db[1], lease_seconds=2.0, fail_first=0)
    await run.start_receiver()
    await run.start_api()
    n = fault_messages()
    async with aiohttp.ClientSession() as session:
        client = Client(session, run.api_url)
        app_id = await setup_app(client, run.receiver_url, ["ok"])
        sending = asyncio.create_task(client.send(app_id, n))
        for _ in range(3):
            await asyncio.wait({sending}, timeout=0.3)
            if sending.done():
                break
            run.kill_api()
            await run.start_api()
        ids = await sending
    assert run.killed, "the load finished before the API could be killed: raise HOOKLINE_FAULT_MESSAGES"
    await run.wait_delivered(ids, ["/hook/ok"], timeout=120 + n / 50)
    report = run.report(f"api-kill-9 x{run.killed}", ids)
    assert report.lost == 0, run.output()


@pytest.mark.postgres
async def test_terminated_postgres_backends_lose_nothing(fault_run: Callable[..., FaultRun]) -> None:
    name, url = postgres.create_database("hl_faults")
    try:
        run = fault_run(url, lease_seconds=2.0, fail_first=0)
        await run.start_receiver()
        await run.start_api(with_worker=False)
        run.start_worker()
        run.start_worker()
        n = fault_messages()
        async with aiohttp.ClientSession() as session:
            client = Client(session, run.api_url)
            app_id = await setup_app(client, run.receiver_url, ["ok"])
            sending = asyncio.create_task(client.send(app_id, n))
            ended: list[int] = []
            await _until(sending, 0.7, lambda: ended.append(postgres.terminate_backends(name)))
            ids = sending.result()
            ended.append(postgres.terminate_backends(name))
        assert sum(ended), "no session was terminated"
        await run.wait_delivered(ids, ["/hook/ok"], timeout=120 + n / 50)
        report = run.report(f"pg_terminate_backend x{len(ended)} ({sum(ended)} sessions)", ids)
        assert report.lost == 0, run.output()
    finally:
        with contextlib.suppress(NameError):
            run.stop()
        postgres.drop_database(name)
