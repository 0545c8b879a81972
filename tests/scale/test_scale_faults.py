"""Fault tests with real processes on the real PostgreSQL: an API-only server, two workers, a receiver.

Each test sends a few thousand messages through the API and judges delivery from the receiver's log
of webhook-ids. Deliveries are at least once: a failure may repeat some, it must never lose any.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp
import pytest

from tests.scale.cluster import Client, Cluster, wait_delivered
from tests.support import postgres

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

MESSAGES = 3000


async def _receiver_count(session: aiohttp.ClientSession, cluster: Cluster) -> int:
    async with session.get(cluster.receiver_url + "/_count") as r:
        return int((await r.json())["count"])


async def _when_received(session: aiohttp.ClientSession, cluster: Cluster, n: int) -> None:
    while await _receiver_count(session, cluster) < n:
        assert not cluster.alive(), f"a process exited: {cluster.alive()}\n{cluster.output()}"
        await asyncio.sleep(0.05)


def _undelivered(url: str) -> int:
    return int(postgres.fetch("SELECT count(*) FROM dispatches WHERE status <> 0", url)[0][0])


async def test_no_message_is_delivered_twice_without_failures(
    cluster: Callable[..., Cluster], pg_database: tuple[str, str]
) -> None:
    c = await cluster(workers=2)
    async with aiohttp.ClientSession() as session:
        client = Client(session, c.api_url)
        app_id = await client.setup(c.receiver_url)
        ids = await client.send(app_id, MESSAGES)
    assert len(set(ids)) == MESSAGES and client.retried == 0
    await wait_delivered(c, ids)
    # once every delivery is recorded as a success nothing can be sent again: the log is final
    while _undelivered(pg_database[1]):
        await asyncio.sleep(0.1)
    counts = c.received()
    assert set(counts) == set(ids)
    assert [i for i, n in counts.items() if n > 1] == []
    assert not c.alive()


async def test_a_receiver_slower_than_the_lease_gets_each_message_once(
    cluster: Callable[..., Cluster], pg_database: tuple[str, str]
) -> None:
    # each send takes three leases: without its lease extended, the other worker would claim it again
    c = await cluster(workers=2, lease_seconds=1, answer_after=3)
    async with aiohttp.ClientSession() as session:
        client = Client(session, c.api_url)
        app_id = await client.setup(c.receiver_url)
        ids = await client.send(app_id, 20, concurrency=4)
    while _undelivered(pg_database[1]):
        assert not c.alive(), f"a process exited: {c.alive()}\n{c.output()}"
        await asyncio.sleep(0.1)
    counts = c.received()
    assert set(counts) == set(ids)
    assert [i for i, n in counts.items() if n > 1] == []


def _in_flight(c: Cluster) -> int:
    return int(postgres.fetch("SELECT count(*) FROM dispatches WHERE status = 3", c.database_url)[0][0])


async def test_a_worker_killed_mid_load_loses_nothing(cluster: Callable[..., Cluster]) -> None:
    c = await cluster(workers=2, lease_seconds=3)
    async with aiohttp.ClientSession() as session:
        client = Client(session, c.api_url)
        app_id = await client.setup(c.receiver_url)
        sending = asyncio.create_task(client.send(app_id, MESSAGES))
        await _when_received(session, c, MESSAGES // 5)
        # kill while deliveries are under way: with each endpoint's cap, a fast receiver can leave
        # none in flight at a given instant
        for _ in range(200):
            if _in_flight(c):
                break
            await asyncio.sleep(0.01)
        c.kill_worker(0)
        leased = _in_flight(c)
        ids = await sending
    assert leased > 0, "nothing was in flight when the worker died: the test proved nothing"
    assert len(set(ids)) == MESSAGES
    # the survivor takes the victim's deliveries over when their leases expire
    counts = await wait_delivered(c, ids, timeout=60)
    assert set(ids) <= set(counts)
    assert c.workers[1].poll() is None


async def test_terminated_database_connections_lose_nothing(
    cluster: Callable[..., Cluster], pg_database: tuple[str, str]
) -> None:
    name, url = pg_database
    c = await cluster(workers=2, lease_seconds=3)
    async with aiohttp.ClientSession() as session:
        client = Client(session, c.api_url)
        app_id = await client.setup(c.receiver_url)
        sending = asyncio.create_task(client.send(app_id, MESSAGES))
        terminated = 0
        for share in (5, 2):
            await _when_received(session, c, MESSAGES // share)
            terminated += postgres.terminate_backends(name)
        ids = await sending
    assert terminated >= 6, "expected the API's, both workers' and the listeners' connections"
    assert len(set(ids)) == MESSAGES
    counts = await wait_delivered(c, ids, timeout=60)
    assert set(ids) <= set(counts)
    assert not c.alive(), "a process died instead of reconnecting"
    # every process is connected again and working: a message sent now is delivered too
    async with aiohttp.ClientSession() as session:
        more = await Client(session, c.api_url).send(app_id, 20, concurrency=4)
    await wait_delivered(c, more, timeout=30)
    while _undelivered(url):
        await asyncio.sleep(0.1)
