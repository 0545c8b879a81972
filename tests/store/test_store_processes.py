"""Processes seen recently, on both backends: each beat renews one row, a stopping process removes
its own, and rows of processes that stopped without saying so are shown as not answering, then forgotten."""

from __future__ import annotations

import asyncio

from hookline.ops.heartbeat import FORGET_EVERY, FORGET_SECONDS, STALE_SECONDS, Heartbeat
from hookline.ops.status import read_status
from hookline.store import processes
from hookline.store.store import Store

NOW = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


async def _empty(store: Store) -> None:
    async with store.db.transaction() as tx:
        await tx.execute("DELETE FROM processes")


async def test_beats_renew_one_row_and_stale_processes_age_out(store: Store, other: Store) -> None:
    await _empty(store)
    clock = Clock()
    api = Heartbeat(store.db, "api", clock=clock)
    worker = Heartbeat(other.db, "worker", clock=clock)
    await api.beat_once()
    await worker.beat_once()
    clock.now += 4
    await api.beat_once()
    seen = await processes.seen_since(store.db, 0)
    assert [(p.kind, p.id) for p in seen] == [("api", api.row.id), ("worker", worker.row.id)]
    assert seen[0].last_seen == NOW + 4 and seen[0].started_at == NOW and seen[1].last_seen == NOW
    # the worker stops beating: past three missed beats it is listed as not answering
    clock.now += STALE_SECONDS
    for _ in range(3):
        await api.beat_once()
    status = await read_status(store.db, clock.now)
    assert {p.kind: status.answering(p) for p in status.processes} == {"api": True, "worker": False}
    # and once it has not been seen for FORGET_SECONDS, the next forgetting beat deletes its row
    clock.now = NOW + FORGET_SECONDS + 1
    for _ in range(FORGET_EVERY):
        await api.beat_once()
    assert [p.kind for p in await processes.seen_since(store.db, 0)] == ["api"]


async def test_a_stopping_process_removes_its_row(store: Store) -> None:
    await _empty(store)
    beat = Heartbeat(store.db, "api+worker", every=0.01)
    task = asyncio.create_task(beat.run_forever())
    for _ in range(200):
        if await processes.seen_since(store.db, 0):
            break
        await asyncio.sleep(0.01)
    assert [p.pid for p in await processes.seen_since(store.db, 0)] == [beat.row.pid]
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert await processes.seen_since(store.db, 0) == []
