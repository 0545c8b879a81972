"""Retention on both backends, driven by an injected clock: payloads expunged, old rows deleted in
small batches, one runner at a time, and on SQLite free pages reused and given back."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest

from hookline.ids import new_id
from hookline.ops.retention import RetentionRunner
from hookline.opsconfig import DAY, RetentionSettings
from hookline.store import ops_runs, retention
from hookline.store.db import SqliteDatabase
from hookline.store.records import MessageStatus
from hookline.store.store import Store
from tests.store.helpers import accept, make_app, make_endpoint, message

NOW = time.time()


async def _no_pause(_seconds: float) -> None:
    return None


def runner(store: Store, now: float = NOW, **settings: object) -> RetentionRunner:
    """A runner on ``store`` whose clock stands at ``now`` and that never waits."""
    options: dict[str, object] = {"days": 90.0, "batch": 500, "pause_seconds": 0.0}
    options.update(settings)
    return RetentionRunner(
        store.db, RetentionSettings(**options),  # type: ignore[arg-type]
        idempotency_seconds=DAY, clock=lambda: now, sleep=_no_pause,
    )  # fmt: skip


@pytest.fixture
async def rstore(store: Store) -> AsyncIterator[Store]:
    """The store, with no lease left over from another test of the module."""
    async with store.db.transaction() as tx:
        await tx.execute("DELETE FROM ops_runs")
        await tx.execute("DELETE FROM identity_sessions")
        await tx.execute("DELETE FROM identity_users")
        await tx.execute("DELETE FROM message_traces")
    yield store


async def _finish(store: Store, *msgs: object) -> None:
    """Mark every delivery of these messages done (as the worker would after a success)."""
    async with store.db.transaction() as tx:
        for m in msgs:
            await tx.execute(
                "UPDATE dispatches SET status = ?, next_attempt_at = NULL WHERE msg_id = ?",
                (int(MessageStatus.SUCCESS), m.id),  # type: ignore[attr-defined]
            )


async def _count(store: Store, sql: str, params: tuple[object, ...] = ()) -> int:
    async with store.db.reader() as c:
        row = await c.fetchone(sql, params)
    return int(row[0]) if row else 0


async def _attempt(store: Store, msg_id: str, ep_id: str, app_id: str, at: float) -> None:
    async with store.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO attempts (id, msg_id, endpoint_id, app_id, url, status, response_status_code, "
            "response, response_duration_ms, trigger_type, created_at) VALUES (?, ?, ?, ?, ?, 0, 200, '', 3, 0, ?)",
            (new_id("atmpt", at), msg_id, ep_id, app_id, "https://example.com/hook", at),
        )


async def test_expired_payloads_are_expunged_and_the_messages_stay(rstore: Store) -> None:
    app = await make_app(rstore)
    await make_endpoint(rstore, app)
    expired = message(app, created_at=NOW - 2 * DAY, expires_at=NOW - DAY)
    kept = message(app, created_at=NOW - 2 * DAY, expires_at=NOW + DAY)
    await accept(rstore, expired, kept)
    passes = runner(rstore)
    report = await passes.run_once()
    assert report is not None and report.payloads_expunged == 1
    gone = await rstore.get_message(app.id, expired.id)
    assert gone is not None and gone.payload is None and gone.event_type == expired.event_type
    assert (await rstore.get_message(app.id, kept.id)) == kept
    assert len(await rstore.dispatches_for_message(expired.id)) == 1
    # a second pass finds nothing more
    again = await passes.run_once()
    assert again is not None and again.payloads_expunged == 0


async def test_old_messages_go_with_their_deliveries_unless_still_being_delivered(rstore: Store) -> None:
    app = await make_app(rstore)
    ep = await make_endpoint(rstore, app)
    old = [message(app, created_at=NOW - 100 * DAY + i, expires_at=NOW - 10 * DAY) for i in range(7)]
    retrying = message(app, created_at=NOW - 95 * DAY, expires_at=NOW + DAY)
    recent = message(app, created_at=NOW - 89 * DAY, expires_at=NOW + DAY)
    await accept(rstore, *old, retrying, recent)
    await _finish(rstore, *old, recent)
    for m in old:
        await _attempt(rstore, m.id, ep.id, app.id, m.created_at + 1)
    # batches of 2 with a kept message among them: the scan moves past it
    passes = runner(rstore, batch=2)
    report = await passes.run_once()
    assert report is not None
    assert (report.messages, report.dispatches, report.attempts) == (7, 7, 7)
    assert report.kept_in_delivery == 1
    for m in old:
        assert await rstore.get_message(app.id, m.id) is None
        assert await rstore.dispatches_for_message(m.id) == []
    assert await _count(rstore, "SELECT COUNT(*) FROM attempts") == 0
    assert await rstore.get_message(app.id, retrying.id) is not None
    assert await rstore.get_message(app.id, recent.id) is not None
    # once its delivery is over, the old message goes too
    await _finish(rstore, retrying)
    later = await passes.run_once()
    assert later is not None and later.messages == 1
    assert await rstore.get_message(app.id, retrying.id) is None


async def test_days_zero_keeps_messages_forever(rstore: Store) -> None:
    app = await make_app(rstore)
    await make_endpoint(rstore, app)
    old = message(app, created_at=NOW - 400 * DAY, expires_at=NOW - 300 * DAY)
    await accept(rstore, old)
    await _finish(rstore, old)
    report = await runner(rstore, days=0.0).run_once()
    assert report is not None and report.messages == 0 and report.payloads_expunged == 1
    assert await rstore.get_message(app.id, old.id) is not None


async def test_side_tables_past_their_horizons_are_deleted_and_users_never(rstore: Store) -> None:
    old_ms, new_ms = int((NOW - 100 * DAY) * 1000), int(NOW * 1000)
    async with rstore.db.transaction() as tx:
        for key, at in (("old-key", NOW - 2 * DAY), ("new-key", NOW - 3600)):
            await tx.execute(
                "INSERT INTO idempotency (key, status_code, body, created_at) VALUES (?, 202, '{}', ?)",
                (key, at),
            )
        for at in (NOW - 100 * DAY, NOW - DAY):
            await tx.execute(
                "INSERT INTO operational_events (id, event_type, payload, created_at) VALUES (?, 'x', '{}', ?)",
                (new_id("opevt", at), at),
            )
        await tx.execute(
            "INSERT INTO identity_users (id, created_at, updated_at) VALUES ('user_old', ?, ?)",
            (old_ms, old_ms),
        )
        for at in (NOW - 91 * DAY, NOW - 89 * DAY):  # trace contexts go with the messages' horizon
            await tx.execute(
                "INSERT INTO message_traces (msg_id, traceparent, created_at) VALUES (?, '00-x-y-01', ?)",
                (new_id("msg", at), at),
            )
        for sid, expire in (("sess_old", old_ms), ("sess_new", new_ms + 1000)):
            await tx.execute(
                "INSERT INTO identity_sessions (id, user_id, client_id, secret_hash, status, last_active_at, "
                "expire_at, abandon_at, created_at, updated_at) VALUES (?, 'user_old', 'client_1', 'h', 'ended', "
                "?, ?, ?, ?, ?)",
                (sid, old_ms, expire, expire, old_ms, old_ms),
            )
    report = await runner(rstore).run_once()
    assert report is not None
    assert report.other == {
        "idempotency": 1, "operational_events": 1, "tasks": 0, "identity_sessions": 1, "message_traces": 1
    }  # fmt: skip
    assert await _count(rstore, "SELECT COUNT(*) FROM message_traces") == 1
    assert await _count(rstore, "SELECT COUNT(*) FROM idempotency WHERE key = 'new-key'") == 1
    assert await _count(rstore, "SELECT COUNT(*) FROM operational_events") == 1
    assert await _count(rstore, "SELECT COUNT(*) FROM identity_sessions WHERE id = 'sess_new'") == 1
    assert await _count(rstore, "SELECT COUNT(*) FROM identity_users") == 1


async def test_one_process_runs_retention_at_a_time(rstore: Store, other: Store) -> None:
    first, second = runner(rstore), runner(other)
    assert await first.run_once() is not None
    # the first holds the lease for lease_seconds: the second stands by
    assert await second.run_once() is None
    assert await first.run_once() is not None  # renewing its own lease
    later = RetentionRunner(
        other.db, RetentionSettings(pause_seconds=0.0), clock=lambda: NOW + 1000, sleep=_no_pause
    )
    assert await later.run_once() is not None  # the first's lease ran out unrenewed
    last = await ops_runs.last_run(rstore.db, "retention")
    assert last is not None and last.holder == later.holder and last.finished_at == NOW + 1000
    assert set(last.report) >= {"payloads_expunged", "messages", "other"}


async def test_a_released_lease_is_taken_at_once(rstore: Store, other: Store) -> None:
    assert await ops_runs.take_lease(rstore.db, "job", "a", NOW, 60)
    assert not await ops_runs.take_lease(other.db, "job", "b", NOW + 1, 60)
    await ops_runs.release_lease(rstore.db, "job", "a")
    assert await ops_runs.take_lease(other.db, "job", "b", NOW + 1, 60)


async def test_a_stopping_process_gives_its_lease_up(rstore: Store, other: Store) -> None:
    passes: list[object] = []
    first = RetentionRunner(
        rstore.db, RetentionSettings(pause_seconds=0.0, interval_seconds=3600.0), clock=lambda: NOW,
        on_report=passes.append,
    )  # fmt: skip
    loop = asyncio.create_task(first.run_forever())
    while not passes:
        await asyncio.sleep(0.01)
    assert await runner(other).run_once() is None  # held while the first runs
    loop.cancel()
    with pytest.raises(asyncio.CancelledError):
        await loop
    assert await runner(other).run_once() is not None  # at once, not once the lease has run out


async def test_sqlite_reuses_freed_pages_and_gives_them_back_in_incremental_mode(rstore: Store) -> None:
    if rstore.dialect != "sqlite":
        pytest.skip("pages are SQLite's; PostgreSQL's space is vacuum's")
    space = await retention.file_space(rstore.db)
    # a new file is in SQLite's default mode: free pages are reused, never given back
    assert space is not None and not space.incremental
    app = await make_app(rstore)
    await make_endpoint(rstore, app)
    body = json.dumps({"pad": "x" * 2000})

    async def a_day_of_messages(day: float) -> None:
        msgs = [message(app, created_at=day + i, payload=body, expires_at=day + DAY) for i in range(400)]
        await accept(rstore, *msgs)
        await _finish(rstore, *msgs)

    clock = [NOW - 2 * DAY]
    passes = RetentionRunner(
        rstore.db, RetentionSettings(days=1.0, pause_seconds=0.0), clock=lambda: clock[0], sleep=_no_pause
    )
    await a_day_of_messages(NOW - 3 * DAY)
    # a steady state: each day's messages take the pages the previous day's left (the file holds two
    # days at its fullest: a new day arrives before the pass that deletes the day before)
    sizes = []
    for day in range(5):
        await a_day_of_messages(NOW - 2 * DAY + day * DAY)
        clock[0] = NOW + day * DAY - DAY
        report = await passes.run_once()
        assert report is not None and report.messages == 400 and report.pages_given_back == 0
        space = await retention.file_space(rstore.db)
        assert space is not None
        sizes.append(space.pages)
    assert sizes[-1] <= sizes[0] * 1.1, sizes
    # switched to incremental mode (docs/operations.md), a file gives back what a shorter horizon freed
    assert isinstance(rstore.db, SqliteDatabase)
    await rstore.db.run_script("PRAGMA auto_vacuum=INCREMENTAL; VACUUM;")
    before = await retention.file_space(rstore.db)
    assert before is not None and before.incremental
    clock[0] = NOW + 10 * DAY
    report = await passes.run_once()
    assert report is not None and report.messages == 400 and report.pages_given_back > 0
    after = await retention.file_space(rstore.db)
    assert after is not None and after.pages < before.pages * 0.6
