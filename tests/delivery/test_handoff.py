"""New dispatches go straight to the accepting process's worker, leased as they are stored."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from hookline.config import DeliverySettings, parse_networks
from hookline.delivery import Wakeup, Worker
from hookline.delivery.acceptor import Acceptor
from hookline.ids import new_id
from hookline.store.db import Database
from hookline.store.records import Application, Claim, Endpoint, Lease, Message, MessageStatus, NewMessage
from hookline.store.store import Store
from tests.delivery.helpers import Gate
from tests.support.servers import RecordingReceiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class ClaimCountingStore(Store):
    """A real SQLite store that counts the dispatches workers claim (rather than get leased on accept)."""

    claimed = 0

    async def claim(
        self, limit: int, lease_seconds: float, now: float | None = None, *, waited: float = 0.0
    ) -> list[Claim]:
        claims = await super().claim(limit, lease_seconds, now, waited=waited)
        self.claimed += len(claims)
        return claims


async def engine(
    tmp_path: Path, receiver: RecordingReceiver, **delivery: object
) -> tuple[ClaimCountingStore, str]:
    base = await Store.connect(f"sqlite:///{tmp_path / 'h.db'}")
    store = ClaimCountingStore(base.db)
    now = time.time()
    app = await store.create_app(Application(new_id("app"), "a", created_at=now, updated_at=now))
    ep = Endpoint(new_id("ep"), app.id, receiver.url + "/hook", created_at=now, updated_at=now)
    await store.create_endpoint(ep, SECRET)
    return store, app.id


class TakeCountingWorker(Worker):
    """A worker that records how many claims each lease brought it."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.taken: list[int] = []

    def take(self, lease: Lease, claims: Sequence[Claim]) -> None:
        self.taken.append(len(claims))
        super().take(lease, claims)


def settings(**fields: object) -> DeliverySettings:
    return DeliverySettings(allowed_targets=parse_networks("127.0.0.0/8"), idle_recheck_seconds=30, **fields)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def accepting_with(store: Store, worker: Worker) -> AsyncIterator[Acceptor]:
    """An acceptor handing to ``worker`` (sharing its wake-up), both running; the store closes after."""
    acceptor = Acceptor(store, worker.wakeup)
    await worker.start()
    acceptor.start()
    acceptor.hand_to(worker)
    try:
        yield acceptor
    finally:
        await acceptor.stop()
        await worker.stop()
        await store.close()


async def wait_for(receiver: RecordingReceiver, n: int) -> None:
    deadline = time.time() + 10
    while time.time() < deadline and len(receiver.requests) < n:
        await asyncio.sleep(0.01)


async def test_an_accepted_message_is_sent_without_being_claimed(
    tmp_path: Path, receiver: RecordingReceiver
) -> None:
    store, app_id = await engine(tmp_path, receiver)
    async with accepting_with(store, Worker(store, settings(), Wakeup())) as acceptor:
        await asyncio.sleep(0.1)  # the claim loop is asleep on its 30 s fallback timer
        msg = Message(new_id("msg"), app_id, "user.created", '{"n":1}', created_at=time.time())
        accepted = await acceptor.accept(NewMessage(msg))
        assert accepted.fan_out == 1
        await wait_for(receiver, 1)
        assert [r.headers["webhook-id"] for r in receiver.requests] == [msg.id]
        deadline = time.time() + 5
        while (
            time.time() < deadline
            and (await store.dispatches_for_message(msg.id))[0].status != MessageStatus.SUCCESS
        ):
            await asyncio.sleep(0.01)
        assert (await store.dispatches_for_message(msg.id))[0].status == MessageStatus.SUCCESS
        assert store.claimed == 0


async def test_what_the_worker_has_no_room_for_is_claimed_and_everything_goes_out_once(
    tmp_path: Path, receiver: RecordingReceiver
) -> None:
    store, app_id = await engine(tmp_path, receiver)
    worker = TakeCountingWorker(store, settings(max_in_flight=2), Wakeup())
    async with accepting_with(store, worker) as acceptor:
        msgs = [
            Message(new_id("msg"), app_id, "user.created", f'{{"n":{i}}}', created_at=time.time())
            for i in range(6)
        ]
        await asyncio.gather(*(acceptor.accept(NewMessage(m)) for m in msgs))
        await wait_for(receiver, 6)
        await asyncio.sleep(0.2)
        assert sorted(r.headers["webhook-id"] for r in receiver.requests) == sorted(m.id for m in msgs)
        assert max(worker.taken) <= 2  # never more than the free slots
        assert sum(worker.taken) + store.claimed == 6  # the rest was claimed


async def test_a_failed_accept_gives_the_reserved_slots_back(
    tmp_path: Path, receiver: RecordingReceiver
) -> None:
    store, _ = await engine(tmp_path, receiver)
    worker = Worker(store, settings(max_in_flight=8), Wakeup())
    await worker.start()
    try:
        lease = worker.reserve(500)
        assert lease is not None and lease.slots == 6  # a quarter of the slots stay the claim loop's
        assert worker.reserve(500) is None  # nothing left while the accept is under way
        worker.take(lease, [])  # storing failed: nothing was leased
        again = worker.reserve(3)
        assert again is not None and again.slots == 3
        worker.take(again, [])
    finally:
        await worker.stop()
        await store.close()


async def test_a_stopped_worker_takes_no_lease(tmp_path: Path, receiver: RecordingReceiver) -> None:
    store, _ = await engine(tmp_path, receiver)
    worker = Worker(store, settings(), Wakeup())
    assert worker.reserve(500) is None  # not started
    await worker.start()
    await worker.stop()
    assert worker.reserve(500) is None
    await store.close()


class SlowClaimStore(ClaimCountingStore):
    """A store whose claims wait until the test lets them finish."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.gate = Gate()

    async def claim(
        self, limit: int, lease_seconds: float, now: float | None = None, *, waited: float = 0.0
    ) -> list[Claim]:
        await self.gate.pass_through()
        return await super().claim(limit, lease_seconds, now, waited=waited)


async def test_slots_a_claim_may_fill_are_not_promised_to_the_acceptor_meanwhile(
    tmp_path: Path, receiver: RecordingReceiver
) -> None:
    base, _ = await engine(tmp_path, receiver)
    store = SlowClaimStore(base.db)
    worker = Worker(store, settings(max_in_flight=8), Wakeup())
    await worker.start()
    try:
        await asyncio.wait_for(store.gate.reached.wait(), 5)
        assert worker.reserve(500) is None  # the claim under way may fill every slot
        store.gate.opened.set()
        await asyncio.sleep(0.1)
        lease = worker.reserve(500)
        assert lease is not None and lease.slots == 6
        worker.take(lease, [])
    finally:
        store.gate.opened.set()
        await worker.stop()
        await store.close()
