"""How large a worker's batches are: a busy worker working off a backlog claims a quarter of its slots
at a time and records many outcomes per statement, as sends complete one by one; a worker with little
in flight claims and records at once."""

from __future__ import annotations

import asyncio
import contextlib
import random
import statistics
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

from hookline.config import DeliverySettings, parse_networks
from hookline.delivery import Wakeup, Worker
from hookline.ids import new_id
from hookline.store.records import (
    Application,
    Endpoint,
    Message,
    NewMessage,
)
from hookline.store.store import Store
from tests.delivery.helpers import BatchLog
from tests.support.servers import RecordingReceiver

SLOTS = 16  # busy from 2 in flight; a quarter is 4


@contextlib.asynccontextmanager
async def _worker(
    tmp_path: Path, receiver: RecordingReceiver, backlog: int, **settings: float
) -> AsyncIterator[tuple[Store, str, Worker]]:
    """A running worker with ``SLOTS`` delivery slots, started on ``backlog`` messages already due."""
    store = await Store.connect(f"sqlite:///{tmp_path / 'h.db'}")
    now = time.time()
    app = await store.create_app(Application(new_id("app"), "a", created_at=now, updated_at=now))
    ep = Endpoint(new_id("ep"), app.id, receiver.url + "/hook", created_at=now, updated_at=now)
    await store.create_endpoint(ep, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    if backlog:
        await store.accept_messages(
            [
                NewMessage(Message(new_id("msg"), app.id, "user.created", f'{{"n":{n}}}', created_at=now))
                for n in range(backlog)
            ]
        )
    base = DeliverySettings(
        allowed_targets=parse_networks("127.0.0.0/8"), idle_recheck_seconds=30, max_in_flight=SLOTS
    )
    worker = Worker(BatchLog(store.db), replace(base, **settings), Wakeup())
    await worker.start()
    try:
        yield store, app.id, worker
    finally:
        await worker.stop()
        await store.close()


async def _delivered(receiver: RecordingReceiver, n: int, within: float = 30) -> None:
    deadline = time.time() + within
    while time.time() < deadline and len(receiver.requests) < n:
        await asyncio.sleep(0.01)
    assert len(receiver.requests) == n


async def _answered_one_by_one(_: object) -> int:
    # each send takes a different time, so the slots come free one by one, a few milliseconds apart
    await asyncio.sleep(random.uniform(0.0, 0.04))
    return 200


async def test_a_busy_worker_with_a_backlog_claims_a_quarter_of_its_slots_and_records_many_outcomes_at_a_time(
    tmp_path: Path, receiver: RecordingReceiver
) -> None:
    receiver.handler = _answered_one_by_one
    # waiting at most a second for a quarter of the slots, and outcomes gathering 100 ms (20 and 10 ms
    # by default, in which a loaded machine may complete fewer sends)
    async with _worker(
        tmp_path, receiver, backlog=400, claim_gather_seconds=1.0, outcome_gather_seconds=0.1
    ) as (_, _, worker):
        await _delivered(receiver, 400)
        log: BatchLog = worker.store  # type: ignore[assignment]
        await asyncio.sleep(0.5)  # the last outcomes are still gathering
        assert sum(log.claims) == sum(log.recorded) == 400
        # Claiming the slots that just came free and recording each outcome as it came, it made claims
        # and batches of one or two all the way. Only the last few dozen, sent once the backlog was
        # ending (its last claim came back short), go out and are recorded as they come.
        tail = 3 * SLOTS
        assert sum(n for n in log.claims if n >= SLOTS // 4) >= 400 - tail, log.claims
        assert sum(n for n in log.recorded if n >= SLOTS // 4) >= 400 - tail, log.recorded


async def test_a_busy_worker_claims_once_a_quarter_of_its_slots_are_free_however_long_it_may_wait(
    tmp_path: Path, receiver: RecordingReceiver
) -> None:
    # waiting is bounded by claim_gather_seconds, but a quarter of the slots coming free ends it sooner
    receiver.handler = _answered_one_by_one
    started = time.time()
    async with _worker(tmp_path, receiver, backlog=200, claim_gather_seconds=60) as (_, _, worker):
        await _delivered(receiver, 200)
        log: BatchLog = worker.store  # type: ignore[assignment]
        # it claimed as soon as a quarter of the slots were free, not once all of them were
        assert statistics.median(log.claims[1:-1]) <= SLOTS // 2, log.claims
    assert time.time() - started < 30


async def test_a_worker_with_little_in_flight_claims_and_records_at_once(
    tmp_path: Path, receiver: RecordingReceiver
) -> None:
    # with a minute of gathering, any gathering at light load would hold these for a minute
    async with _worker(tmp_path, receiver, backlog=0, claim_gather_seconds=60, outcome_gather_seconds=60) as (
        store,
        app_id,
        worker,
    ):
        log: BatchLog = worker.store  # type: ignore[assignment]
        for n in range(3):
            msg = Message(new_id("msg"), app_id, "user.created", f'{{"n":{n}}}', created_at=time.time())
            await store.accept_messages([NewMessage(msg)])
            worker.wakeup.ring()
            await _delivered(receiver, n + 1, within=10)
            deadline = time.time() + 10
            while sum(log.recorded) < n + 1 and time.time() < deadline:
                await asyncio.sleep(0.01)
            assert sum(log.recorded) == n + 1
