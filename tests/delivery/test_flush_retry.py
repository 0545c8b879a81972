"""Recording outcomes survives a database outage: the batch is recorded again, not sent again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path

from hookline.config import DeliverySettings, parse_networks
from hookline.delivery import Wakeup, Worker
from hookline.store.errors import StoreUnavailableError
from hookline.store.records import (
    MessageStatus,
    OperationalEvent,
    Outcome,
)
from hookline.store.store import Store
from tests.delivery.helpers import one_message_for
from tests.support.servers import RecordingReceiver


class FlakyStore(Store):
    """A real SQLite store whose first ``failures`` calls to ``complete`` fail as a dropped database would."""

    failures = 2

    async def complete(self, outcomes: Sequence[Outcome], disable_after: float) -> list[OperationalEvent]:
        if self.failures > 0:
            self.failures -= 1
            raise StoreUnavailableError("the database cannot take writes now")
        return await super().complete(outcomes, disable_after)


async def test_outcomes_are_recorded_once_the_database_is_back(
    tmp_path: Path, receiver: RecordingReceiver
) -> None:
    base = await Store.connect(f"sqlite:///{tmp_path / 'h.db'}")
    store = FlakyStore(base.db)
    app, _, _ = await one_message_for(store, receiver.url + "/hook")
    settings = DeliverySettings(allowed_targets=parse_networks("127.0.0.0/8"), lease_seconds=0.5, jitter=0.0)
    worker = Worker(store, settings, Wakeup())
    await worker.start()
    try:
        deadline = time.time() + 15
        while time.time() < deadline:
            page = await store.list_attempts(app.id, 10, None)
            if page.data:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # longer than the lease: a lost record would have been sent again by now
    finally:
        await worker.stop()
    attempts = (await store.list_attempts(app.id, 10, None)).data
    assert store.failures == 0
    assert [a.status for a in attempts] == [MessageStatus.SUCCESS]
    assert len(receiver.requests) == 1
    await store.close()
