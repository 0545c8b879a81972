"""A worker keeps the leases of its deliveries while their sends are under way, so no other worker
claims one of them, even when the receiver takes longer than the lease."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path

from hookline.config import DeliverySettings, parse_networks
from hookline.delivery import Wakeup, Worker
from hookline.store.store import Store
from tests.delivery.helpers import one_message_for
from tests.support.servers import RecordingReceiver

LEASE = 2.0  # checked every 0.5 s, extended with less than 1 s left
SEND = 2.5 * LEASE


class PassesByFirst(Store):
    """A store whose first extension passes every delivery by, as when their outcomes are being
    recorded at that moment; it logs the keys it is asked to extend."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.asked: list[set[tuple[str, str]]] = []

    async def extend_leases(self, keys: Sequence[tuple[str, str]], until: float) -> set[tuple[str, str]]:
        self.asked.append(set(keys))
        if len(self.asked) == 1:
            return set()
        return await super().extend_leases(keys, until)


async def test_a_send_longer_than_the_lease_is_claimed_by_no_other_worker(
    tmp_path: Path, receiver: RecordingReceiver
) -> None:
    async def slow(_: object) -> int:
        await asyncio.sleep(SEND)
        return 200

    receiver.handler = slow
    url = f"sqlite:///{tmp_path / 'h.db'}"
    store, other = await Store.connect(url), await Store.connect(url, run_migrations=False)
    _, ep, msg = await one_message_for(store, receiver.url + "/hook")
    logged = PassesByFirst(store.db)
    settings = DeliverySettings(allowed_targets=parse_networks("127.0.0.0/8"), lease_seconds=LEASE)
    worker = Worker(logged, settings, Wakeup())
    await worker.start()
    try:
        taken = []
        while not (await store.dispatches_for_message(msg.id))[0].attempts:
            # another worker, claiming all along, a little ahead of time: a lease that ran out would be
            # its to take before this worker's own claim loop could reclaim (and so renew) it
            taken += await other.claim(10, LEASE, now=time.time() + LEASE / 16)
            await asyncio.sleep(0.05)
    finally:
        await worker.stop()
        await other.close()
        await store.close()
    assert taken == [], "another worker claimed a delivery that was still being sent"
    assert len(receiver.requests) == 1
    # the first extension passed the delivery by; the next round asked for it again
    assert len(logged.asked) >= 2 and all(a == {(msg.id, ep.id)} for a in logged.asked[:2]), logged.asked
