"""The worker's fallback timer: it knows the retries it schedules and reads the store's due time sparingly."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from hookline.config import DeliverySettings, parse_networks
from hookline.delivery import Wakeup, Worker
from hookline.ids import new_id
from hookline.store.db import Database
from hookline.store.records import Application, Endpoint, Message, NewMessage
from hookline.store.store import Store
from tests.delivery.helpers import Gate
from tests.support.servers import RecordingReceiver


class CountingStore(Store):
    """A real SQLite store that counts how often the worker asks when the next dispatch is due."""

    due_reads = 0

    async def next_due(self) -> float | None:
        self.due_reads += 1
        return await super().next_due()


async def test_a_burst_of_wake_ups_reads_the_due_time_once_and_retries_stay_on_time(
    tmp_path: Path, receiver: RecordingReceiver
) -> None:
    base = await Store.connect(f"sqlite:///{tmp_path / 'h.db'}")
    store = CountingStore(base.db)
    now = time.time()
    app = await store.create_app(Application(new_id("app"), "a", created_at=now, updated_at=now))
    failing = Endpoint(new_id("ep"), app.id, receiver.url + "/hook", created_at=now, updated_at=now)
    await store.create_endpoint(failing, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    settings = DeliverySettings(
        allowed_targets=parse_networks("127.0.0.0/8"),
        retry_schedule=(0.3,),
        jitter=0.0,
        idle_recheck_seconds=30,
    )
    receiver.status = 500
    wakeup = Wakeup()
    worker = Worker(store, settings, wakeup)
    await worker.start()
    try:
        await asyncio.sleep(0.2)
        reads_before = store.due_reads
        for _ in range(50):  # wake-ups with nothing to claim
            wakeup.ring()
            await asyncio.sleep(0.002)
        assert store.due_reads - reads_before <= 2
        # a failure schedules a retry 0.3 s later; the idle timer (30 s fallback) must wake for it
        msg = Message(new_id("msg"), app.id, "user.created", '{"n":1}', created_at=time.time())
        await store.accept_messages([NewMessage(msg)])
        wakeup.ring()
        deadline = time.time() + 10
        while time.time() < deadline and len(receiver.requests) < 2:
            await asyncio.sleep(0.02)
        assert len(receiver.requests) == 2, "the retry did not go out"
        first, second = receiver.requests[0], receiver.requests[1]
        assert 0.25 < second.at - first.at < 2.0
    finally:
        await worker.stop()
        await store.close()


class SlowDueStore(Store):
    """A real SQLite store whose due-time read is held until the test releases it, then answers late."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.gate = Gate()

    async def next_due(self) -> float | None:
        await self.gate.pass_through()
        return time.time() + 3600  # what the store held when the read began: a lease far off


async def test_a_retry_noted_while_the_due_time_is_read_is_not_forgotten(tmp_path: Path) -> None:
    base = await Store.connect(f"sqlite:///{tmp_path / 'h.db'}")
    store = SlowDueStore(base.db)
    worker = Worker(store, DeliverySettings(idle_recheck_seconds=30), Wakeup())
    try:
        reading = asyncio.create_task(worker._idle_timeout())
        await asyncio.wait_for(store.gate.reached.wait(), 5)
        worker._note_due(time.time() + 0.3)  # a send failed meanwhile; its retry is due shortly
        store.gate.opened.set()
        assert await reading <= 0.3
    finally:
        await store.close()
