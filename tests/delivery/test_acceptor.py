"""The acceptor's group commit: requests share a transaction, and are answered before the next one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path

from hookline.delivery import Wakeup
from hookline.delivery.acceptor import Acceptor
from hookline.ids import new_id
from hookline.store.records import Accepted, Application, Lease, Message, NewMessage
from hookline.store.store import Store
from tests.delivery.helpers import Gate


class HeldStore(Store):
    """A real SQLite store whose first batch waits at a gate; it records each batch's size and how many
    requests had been answered when it began."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.gate = Gate()
        self.answered: list[int] = []
        self.batches: list[tuple[int, int]] = []

    async def accept_messages(
        self, batch: Sequence[NewMessage], lease: Lease | None = None
    ) -> list[BaseException | Accepted]:
        self.batches.append((len(batch), len(self.answered)))
        if len(self.batches) == 1:
            await self.gate.pass_through()
        return await super().accept_messages(batch, lease)


async def test_a_batch_is_answered_before_the_next_one_starts_and_waiting_requests_share_it(
    tmp_path: Path,
) -> None:
    base = await Store.connect(f"sqlite:///{tmp_path / 'h.db'}")
    store = HeldStore(base.db)
    now = time.time()
    app = await store.create_app(Application(new_id("app"), "a", created_at=now, updated_at=now))
    acceptor = Acceptor(store, Wakeup())
    acceptor.start()

    async def request(n: int) -> None:
        msg = Message(new_id("msg"), app.id, "user.created", f'{{"n":{n}}}', created_at=time.time())
        await acceptor.accept(NewMessage(msg))
        store.answered.append(n)  # what a handler does next: write its response

    try:
        first = asyncio.create_task(request(0))
        await store.gate.reached.wait()
        waiting = [asyncio.create_task(request(n)) for n in range(1, 11)]
        await asyncio.sleep(0.01)
        store.gate.opened.set()
        await asyncio.gather(first, *waiting)
        # the ten that waited went in one batch, which began after the first request had been answered
        assert store.batches == [(1, 0), (10, 1)]
        assert len((await store.list_messages(app.id, 20, None)).data) == 11  # all stored
    finally:
        await acceptor.stop()
        await store.close()
