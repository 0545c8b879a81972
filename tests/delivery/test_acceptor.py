"""The acceptor's group commit: requests share a transaction, and are answered before the next one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from hookline.delivery import Wakeup
from hookline.delivery.acceptor import Acceptor
from hookline.ids import new_id
from hookline.store.records import Accepted, Lease, Message, NewMessage
from tests.delivery.helpers import Gate


class HeldStore:
    """A store whose first batch waits at a gate; it records each batch's size and what was answered."""

    def __init__(self, answered: list[str]) -> None:
        self.gate = Gate()
        self.answered = answered
        self.batches: list[tuple[int, int]] = []  # (size, requests answered when the batch began)

    async def accept_messages(
        self, batch: Sequence[NewMessage], lease: Lease | None = None
    ) -> list[BaseException | Accepted]:
        self.batches.append((len(batch), len(self.answered)))
        if len(self.batches) == 1:
            await self.gate.pass_through()
        return [Accepted(0) for _ in batch]


def _item(n: int) -> NewMessage:
    return NewMessage(Message(new_id("msg"), "app_1", "user.created", f'{{"n":{n}}}', created_at=time.time()))


async def test_a_batch_is_answered_before_the_next_one_starts_and_waiting_requests_share_it() -> None:
    answered: list[str] = []
    store = HeldStore(answered)
    acceptor = Acceptor(store, Wakeup())  # type: ignore[arg-type]
    acceptor.start()

    async def request(n: int) -> None:
        await acceptor.accept(_item(n))
        answered.append(f"request {n}")  # what a handler does next: write its response

    try:
        first = asyncio.create_task(request(0))
        await store.gate.reached.wait()
        waiting = [asyncio.create_task(request(n)) for n in range(1, 11)]
        await asyncio.sleep(0.01)
        store.gate.opened.set()
        await asyncio.gather(first, *waiting)
        # the ten that waited went in one batch, which began after the first request had been answered
        assert store.batches == [(1, 0), (10, 1)]
    finally:
        await acceptor.stop()
