"""Receivers that misbehave: down for several retries, slow past the timeout, answering 500, 429 with
``Retry-After``, garbage bytes, or closing the connection mid-response. Every accepted message
must still reach the receiver once it behaves."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable

import aiohttp

from tests.faults.harness import Client, FaultRun, setup_app

FAULTS = ["ok", "500", "429", "slow", "garbage", "close"]


async def test_misbehaving_receiver_loses_nothing(
    fault_db: tuple[str, str], fault_run: Callable[..., FaultRun]
) -> None:
    run = fault_run(fault_db[1], request_timeout=1.0, slow_seconds=2.0, fail_first=2)
    await run.start_receiver()
    await run.start_api()
    paths = [f"/hook/{f}" for f in FAULTS]
    async with aiohttp.ClientSession() as session:
        client = Client(session, run.api_url)
        app_id = await setup_app(client, run.receiver_url, FAULTS)
        ids = await client.send(app_id, 100, concurrency=8)
    await run.wait_delivered(ids, paths, timeout=90)
    reports = [run.report(f, ids, f"/hook/{f}") for f in FAULTS]
    assert [r.fault for r in reports if r.lost] == [], run.output()
    tries = run.tries()
    for fault in FAULTS[1:]:
        got = [t for t in tries if t[1] == f"/hook/{fault}" and t[3] == fault]
        assert len(got) >= 2 * len(ids), f"{fault}: only {len(got)} faulty tries"
    # a 429's Retry-After: 1 holds the next try back at least that long (the schedule says 0.2 s)
    by_id: dict[str, list[float]] = {}
    for msg_id, path, at, _ in tries:
        if path == "/hook/429":
            by_id.setdefault(msg_id, []).append(at)
    gaps = [b - a for times in by_id.values() for a, b in itertools.pairwise(times)]
    assert gaps and min(gaps) >= 0.9, min(gaps)


async def test_receiver_down_for_several_retries_then_up(
    fault_db: tuple[str, str], fault_run: Callable[..., FaultRun]
) -> None:
    run = fault_run(fault_db[1], retry_schedule="0.3,0.3,0.3,0.5,1,1,1,1,1,1", fail_first=0)
    await run.start_api()
    async with aiohttp.ClientSession() as session:
        client = Client(session, run.api_url)
        app_id = await setup_app(client, run.receiver_url, ["ok"])
        ids = await client.send(app_id, 200, concurrency=8)
        # long enough for the first tries and three retries to find nobody listening
        started = time.monotonic()
        await asyncio.sleep(1.5)
        await run.start_receiver()
    await run.wait_delivered(ids, ["/hook/ok"], timeout=60)
    assert time.monotonic() - started >= 1.5
    report = run.report("receiver-down", ids)
    assert report.lost == 0, run.output()
