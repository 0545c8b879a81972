"""PostgreSQL daily partitions of messages and attempts: a live conversion that holds writers back only
for a moment (on a table of a million rows), partitions made ahead, and whole days dropped."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import AsyncIterator

import pytest

from hookline.ids import new_id
from hookline.ops.retention import RetentionRunner
from hookline.opsconfig import DAY, RetentionSettings
from hookline.store import pg_partitions
from hookline.store.postgres import parse_url
from hookline.store.records import MessageStatus, NewMessage
from hookline.store.store import Store
from tests.store.helpers import accept, make_app, make_endpoint, message

pytestmark = pytest.mark.postgres

MESSAGES, ATTEMPTS = pg_partitions.TABLES
ROWS = 1_000_000


@pytest.fixture
async def pg_store(pg_url: str) -> AsyncIterator[Store]:
    s = await Store.connect(pg_url)
    yield s
    await s.close()


async def _no_pause(_seconds: float) -> None:
    return None


async def _count(store: Store, sql: str, params: tuple[object, ...] = ()) -> int:
    async with store.db.reader() as c:
        row = await c.fetchone(sql, params)
    return int(row[0]) if row else 0


async def _fill(url: str, app_id: str, rows: int, newest: float) -> None:
    """``rows`` messages, one per 100 ms back from ``newest``, written with COPY."""
    import asyncpg

    dsn, schema = parse_url(url)
    conn = await asyncpg.connect(dsn, server_settings={"search_path": schema or "public"})
    try:
        records = []
        payload = json.dumps({"type": "user.created", "data": {"id": "user_1"}})
        for i in range(rows):
            at = newest - i * 0.1
            records.append((new_id("msg", at), app_id, "user.created", payload, at, at + 90 * DAY))
        await conn.copy_records_to_table(
            "messages",
            records=records,
            columns=("id", "app_id", "event_type", "payload", "created_at", "expires_at"),
        )
        await conn.execute("ANALYZE messages")
    finally:
        await conn.close()


async def test_a_million_row_table_is_partitioned_while_messages_keep_coming(
    pg_store: Store, pg_url: str
) -> None:
    app = await make_app(pg_store)
    await make_endpoint(pg_store, app)
    now = time.time()
    await _fill(pg_url, app.id, ROWS, now - 1)
    writer = await Store.connect(pg_url, run_migrations=False)
    written: list[str] = []
    stalls: list[float] = []
    stop = asyncio.Event()

    async def write() -> None:
        # accepting goes on, batch after batch, through the whole conversion
        while not stop.is_set():
            batch = [message(app) for _ in range(20)]
            began = time.perf_counter()
            await writer.accept_messages([NewMessage(m) for m in batch])
            stalls.append(time.perf_counter() - began)
            written.extend(m.id for m in batch)
            await asyncio.sleep(0.005)

    task = asyncio.create_task(write())
    try:
        await asyncio.sleep(0.2)
        began = time.perf_counter()
        assert await pg_partitions.convert(pg_store.db, MESSAGES, now)
        took = time.perf_counter() - began
        await asyncio.sleep(0.2)
    finally:
        stop.set()
        await task
        await writer.close()
    print(
        f"converted {ROWS} rows in {took:.1f} s; {len(stalls)} accepts of 20 meanwhile: "
        f"median {statistics.median(stalls) * 1000:.0f} ms, longest {max(stalls) * 1000:.0f} ms"
    )
    assert await pg_partitions.is_partitioned(pg_store.db, MESSAGES)
    # no row lost or doubled, old or new; every new one can be read back by id
    assert await _count(pg_store, "SELECT COUNT(*) FROM messages") == ROWS + len(written)
    assert await _count(pg_store, "SELECT COUNT(*) FROM messages_legacy") == ROWS + len(written)
    for msg_id in written[:: max(1, len(written) // 20)]:
        assert await pg_store.get_message(app.id, msg_id) is not None
    names = await pg_partitions.partitions(pg_store.db, MESSAGES)
    assert "messages_legacy" in names and "messages_default" in names
    assert pg_partitions.part_name(MESSAGES, pg_partitions.day_start(now) + 2 * DAY) in names
    # writers were held back for a moment, not for the conversion: generous bound for a loaded machine
    assert max(stalls) < 5.0
    # the old table's indexes were adopted, not rebuilt: the parent has them, the legacy partition kept its own
    async with pg_store.db.reader() as c:
        rows = await c.fetchall(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'messages_legacy'::regclass"
        )
    assert {r[0].split(".")[-1] for r in rows} >= {
        "messages_legacy_messages_pkey",
        "messages_legacy_messages_event_id",
    }
    # converting again does nothing
    assert not await pg_partitions.convert(pg_store.db, MESSAGES, now)


async def test_whole_days_past_the_horizon_are_dropped_unless_still_delivering(pg_store: Store) -> None:
    app = await make_app(pg_store)
    await make_endpoint(pg_store, app)
    t = time.time()
    clock = [t]
    runner = RetentionRunner(
        pg_store.db, RetentionSettings(days=1.0, pause_seconds=0.0), clock=lambda: clock[0], sleep=_no_pause
    )
    before = message(app, created_at=t - 3600)  # in the legacy partition
    await accept(pg_store, before)
    report = await runner.run_once()
    assert report is not None
    first = pg_partitions.day_start(t) + 2 * DAY
    # the first pass partitioned both tables, with days ready from the day after tomorrow
    assert pg_partitions.part_name(MESSAGES, first) in await pg_partitions.partitions(pg_store.db, MESSAGES)
    assert pg_partitions.part_name(ATTEMPTS, first + 3 * DAY) in await pg_partitions.partitions(
        pg_store.db, ATTEMPTS
    )
    done = message(app, created_at=first + 3600)
    retrying = message(app, created_at=first + DAY + 3600)
    await accept(pg_store, done, retrying)
    async with pg_store.db.transaction() as tx:
        await tx.execute(
            "UPDATE dispatches SET status = ? WHERE msg_id IN (?, ?)",
            (int(MessageStatus.SUCCESS), done.id, before.id),
        )
    # the new messages are in their days' partitions
    assert await _count(pg_store, f"SELECT COUNT(*) FROM {pg_partitions.part_name(MESSAGES, first)}") == 1
    # a day and a bit after both days ended: the first day goes whole, the second waits for its delivery
    clock[0] = first + 3 * DAY + 60
    report = await runner.run_once()
    assert report is not None
    assert set(report.partitions_dropped) >= {"messages_legacy", pg_partitions.part_name(MESSAGES, first)}
    assert await pg_store.get_message(app.id, done.id) is None
    assert await pg_store.get_message(app.id, before.id) is None
    assert await pg_store.dispatches_for_message(done.id) == []
    assert await pg_store.get_message(app.id, retrying.id) is not None
    assert pg_partitions.part_name(MESSAGES, first + DAY) in await pg_partitions.partitions(
        pg_store.db, MESSAGES
    )
    # the days ahead of the new time are ready
    assert pg_partitions.part_name(MESSAGES, pg_partitions.day_start(clock[0]) + 3 * DAY) in (
        await pg_partitions.partitions(pg_store.db, MESSAGES)
    )
    async with pg_store.db.transaction() as tx:
        await tx.execute(
            "UPDATE dispatches SET status = ? WHERE msg_id = ?", (int(MessageStatus.SUCCESS), retrying.id)
        )
    report = await runner.run_once()
    assert report is not None and pg_partitions.part_name(MESSAGES, first + DAY) in report.partitions_dropped
    assert await pg_store.get_message(app.id, retrying.id) is None


async def test_event_ids_stay_unique_within_a_day_partition(pg_store: Store) -> None:
    app = await make_app(pg_store)
    t = time.time()
    await pg_partitions.convert(pg_store.db, MESSAGES, t)
    day = pg_partitions.day_start(t) + 2 * DAY
    first = await accept(pg_store, message(app, event_id="evt-1", created_at=day + 10))
    again = await accept(pg_store, message(app, event_id="evt-1", created_at=day + 20))
    assert not isinstance(first[0], Exception) and isinstance(again[0], Exception)


async def test_two_converters_at_once_partition_the_table_once(pg_url: str, pg_store: Store) -> None:
    app = await make_app(pg_store)
    other = await Store.connect(pg_url)  # another process's retention pass on the same schema
    try:
        t = time.time()
        results = await asyncio.gather(
            pg_partitions.convert(pg_store.db, MESSAGES, t),
            pg_partitions.convert(other.db, MESSAGES, t),
            return_exceptions=True,
        )
    finally:
        await other.close()
    assert sorted(results, key=str) == [False, True]  # one converts; the other finds it done
    assert await pg_partitions.is_partitioned(pg_store.db, MESSAGES)
    day = pg_partitions.day_start(time.time()) + 3 * DAY  # past the legacy bound: a daily partition
    done = await accept(pg_store, message(app, created_at=day))
    assert not isinstance(done[0], Exception), done
    assert (
        await _count(
            pg_store, "SELECT count(*) FROM pg_constraint WHERE conname LIKE 'messages_legacy_bound'"
        )
        == 0
    )
