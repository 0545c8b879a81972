"""When a worker claims: at once when it has little in flight, after announcements have gathered when
it is busy, and standing by (taking only work left waiting) when other workers take the work first."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

from hookline.config import DeliverySettings, parse_networks
from hookline.delivery import Wakeup, Worker
from hookline.ids import new_id
from hookline.store.records import Application, Endpoint, Message, NewMessage
from hookline.store.store import Store
from tests.delivery.helpers import BatchLog
from tests.support.servers import RecordingReceiver


class RecordingWakeup(Wakeup):
    """The in-process wake-up, recording what its worker tells it about standing by."""

    def __init__(self) -> None:
        super().__init__()
        self.told: list[bool] = []

    def stand_by(self, standing_by: bool) -> None:
        self.told.append(standing_by)


SETTINGS = DeliverySettings(allowed_targets=parse_networks("127.0.0.0/8"), idle_recheck_seconds=30)


@contextlib.asynccontextmanager
async def _two_workers(
    tmp_path: Path, receiver: RecordingReceiver
) -> AsyncIterator[tuple[Store, str, list[Worker]]]:
    """Two running workers on one SQLite store with one application and endpoint; all closed after."""
    store = await Store.connect(f"sqlite:///{tmp_path / 'h.db'}")
    now = time.time()
    app = await store.create_app(Application(new_id("app"), "a", created_at=now, updated_at=now))
    ep = Endpoint(new_id("ep"), app.id, receiver.url + "/hook", created_at=now, updated_at=now)
    await store.create_endpoint(ep, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    workers = [Worker(BatchLog(store.db), SETTINGS, RecordingWakeup()) for _ in range(2)]
    for w in workers:
        await w.start()
    try:
        yield store, app.id, workers
    finally:
        for w in workers:
            await w.stop()  # stopping twice is harmless
        await store.close()


async def _announce_one(store: Store, app_id: str, workers: list[Worker], n: int) -> None:
    """Store one message and announce it to every worker, as PostgreSQL's NOTIFY does."""
    msg = Message(new_id("msg"), app_id, "user.created", f'{{"n":{n}}}', created_at=time.time())
    await store.accept_messages([NewMessage(msg)])
    for w in workers:
        w.wakeup.ring()


async def _announce(
    store: Store, app_id: str, workers: list[Worker], numbers: range, every: float = 0.01
) -> None:
    """Announce a message every ``every`` seconds (plus the time storing it takes)."""
    for n in numbers:
        await _announce_one(store, app_id, workers, n)
        await asyncio.sleep(every)


async def _announce_all_delivered(
    store: Store,
    app_id: str,
    workers: list[Worker],
    receiver: RecordingReceiver,
    numbers: range,
    every: float = 0.01,
) -> None:
    """Announce ``numbers`` as ``_announce`` does, then wait until the receiver has them all."""
    await _announce(store, app_id, workers, numbers, every)
    await _delivered(receiver, numbers.stop)


async def _delivered(receiver: RecordingReceiver, n: int, within: float = 10) -> None:
    deadline = time.time() + within
    while time.time() < deadline and len(receiver.requests) < n:
        await asyncio.sleep(0.01)
    assert len(receiver.requests) == n


async def test_the_worker_whose_claims_come_back_empty_stops_racing_for_every_announcement(
    tmp_path: Path, receiver: RecordingReceiver
) -> None:
    async with _two_workers(tmp_path, receiver) as (store, app_id, workers):
        await asyncio.sleep(0.1)
        before = [len(w.store.claims) for w in workers]  # type: ignore[attr-defined]
        await _announce_all_delivered(store, app_id, workers, receiver, range(60))
        logs = [w.store.claims[b:] for w, b in zip(workers, before, strict=True)]  # type: ignore[attr-defined]
        empty = sum(size == 0 for log in logs for size in log)
        # racing, the loser of each announcement claims nothing: about 60 empty claims
        assert empty <= 20, logs
        # standing by, it claims less and less often while the other takes everything
        idle = min(workers, key=lambda w: sum(w.store.claims[-10:]))  # type: ignore[attr-defined]
        idle_before = len(idle.store.claims)  # type: ignore[attr-defined]
        await _announce_all_delivered(
            store, app_id, workers, receiver, range(60, 160)
        )  # 1 s of announcements, 10 ms apart
        assert len(idle.store.claims) - idle_before <= 12  # type: ignore[attr-defined]
        assert sorted(r.headers["webhook-id"] for r in receiver.requests) == sorted(
            {r.headers["webhook-id"] for r in receiver.requests}
        )


async def test_a_standing_by_worker_takes_over_at_once_when_the_other_stops(
    tmp_path: Path, receiver: RecordingReceiver
) -> None:
    async with _two_workers(tmp_path, receiver) as (store, app_id, workers):
        await _announce_all_delivered(store, app_id, workers, receiver, range(20))
        # stop whichever worker did the recent work; the other one has been standing by
        busy = max(workers, key=lambda w: sum(w.store.claims[-5:]))  # type: ignore[attr-defined]
        await busy.stop()
        started = time.time()
        await _announce_all_delivered(
            store, app_id, [w for w in workers if w is not busy], receiver, range(20, 40)
        )
        assert time.time() - started < 5  # the fallback timer is 30 s: the announcements were answered


async def test_a_worker_tells_its_wake_up_when_it_stands_by_and_when_it_is_back(
    tmp_path: Path, receiver: RecordingReceiver
) -> None:
    # on PostgreSQL the wake-up then hears only the standby channel, about once a second; a worker
    # is told so once its stand-by interval is the longest (3 + 5 empty answers: about 1.5 s here)
    async with _two_workers(tmp_path, receiver) as (store, app_id, workers):
        await _announce_all_delivered(store, app_id, workers, receiver, range(10))
        assert [w.wakeup.told for w in workers] == [[], []]  # type: ignore[attr-defined]
        await _announce_all_delivered(store, app_id, workers, receiver, range(10, 26), every=0.25)
        idle = min(workers, key=lambda w: sum(w.store.claims[-10:]))  # type: ignore[attr-defined]
        busy = next(w for w in workers if w is not idle)
        # (either may have stood by for a moment while both raced for the first announcements)
        assert idle.wakeup.told[-1:] == [True]  # type: ignore[attr-defined]
        assert busy.wakeup.told[-1:] in ([], [False])  # type: ignore[attr-defined]
        told = len(idle.wakeup.told)  # type: ignore[attr-defined]
        await busy.stop()
        await _announce_all_delivered(store, app_id, [idle], receiver, range(26, 46), every=0.05)
        assert idle.wakeup.told[told:] == [False]  # type: ignore[attr-defined]


async def test_a_lone_worker_hearing_an_announcement_late_keeps_taking_fresh_work(
    tmp_path: Path, receiver: RecordingReceiver
) -> None:
    # An announcement can arrive after the claim that already took its work: that claim answers it
    # with nothing, though no other worker exists. Now and then that must not make the worker stand by.
    async with _two_workers(tmp_path, receiver) as (store, app_id, workers):
        await workers[1].stop()
        worker = workers[0]
        for n in range(30):
            await _announce_one(store, app_id, [worker], n)
            await _delivered(receiver, n + 1)
            worker.wakeup.ring()  # the same announcement again, late: its work is gone
            await asyncio.sleep(0.01)
        log: BatchLog = worker.store  # type: ignore[assignment]
        assert 0 in log.claims  # the late announcements were answered with empty claims
        assert set(log.waited) == {0.0}  # and the worker never left fresh work to others


async def test_a_busy_worker_answers_several_announcements_with_one_claim(
    tmp_path: Path, receiver: RecordingReceiver
) -> None:
    async def slow(_: object) -> int:
        await asyncio.sleep(1.0)  # keeps what was sent in flight
        return 200

    receiver.handler = slow
    async with _two_workers(tmp_path, receiver) as (store, app_id, workers):
        await workers[1].stop()
        worker = workers[0]
        log: BatchLog = worker.store  # type: ignore[assignment]
        # max_in_flight is 256: from 32 in flight the worker counts as busy
        await _announce(store, app_id, [worker], range(40))
        busy_from = len(log.claims)
        # 2 ms apart, plus storing each (more on a loaded machine); gathering takes 20 ms
        await _announce_all_delivered(store, app_id, [worker], receiver, range(40, 80), every=0.002)
        later = log.claims[busy_from:]
        assert sum(later) >= 40 - 1  # the second half (bar one still counted in the first) came this way
        assert len([n for n in later if n]) <= 30, later  # fewer claims than announcements
