"""The PostgreSQL driver's own duties: errors, reconnecting after a drop, LISTEN/NOTIFY wake-ups."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hookline.store.db import Database
from hookline.store.errors import ConflictError, StoreError, StoreUnavailableError
from hookline.store.postgres import PostgresDatabase, PostgresWakeup, parse_url
from hookline.store.store import Store
from tests.store.helpers import announce_reaches_another_store, make_app, two_wakeups

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg_store(pg_module_url: str) -> AsyncIterator[Store]:
    s = await Store.connect(pg_module_url)
    yield s
    await s.close()


async def _terminate(db: Database, pid: int) -> None:
    """End one server session, as a failover or an operator would (only ours: others share the server)."""
    async with db.reader() as c:
        await c.execute("SELECT pg_terminate_backend(?)", (pid,))


def test_schema_parameter_is_hooklines_not_a_server_setting() -> None:
    assert parse_url("postgres://u@h:1/db?schema=s1&sslmode=disable") == (
        "postgresql://u@h:1/db?sslmode=disable",
        "s1",
    )
    assert parse_url("postgresql://u@h/db") == ("postgresql://u@h/db", None)
    with pytest.raises(StoreError):
        parse_url("postgresql://u@h/db?schema=bad;name")


async def test_unique_violation_is_a_conflict(pg_store: Store) -> None:
    await make_app(pg_store, uid="dup")
    with pytest.raises(ConflictError):
        await make_app(pg_store, uid="dup")


async def test_a_bad_statement_is_a_store_error(pg_store: Store) -> None:
    with pytest.raises(StoreError) as info:
        async with pg_store.db.reader() as c:
            await c.fetchall("SELECT no_such_column FROM applications")
    assert not isinstance(info.value, StoreUnavailableError)


async def test_terminated_connections_fail_as_unavailable_then_reconnect(pg_store: Store) -> None:
    app = await make_app(pg_store)
    async with pg_store.db.reader() as holder:
        # end the session under a pooled connection while it is checked out
        row = await holder.fetchone("SELECT pg_backend_pid()")
        assert row is not None
        other = await Store.connect(pg_store.db.url, run_migrations=False)  # type: ignore[attr-defined]
        try:
            await _terminate(other.db, row[0])
        finally:
            await other.close()
        with pytest.raises(StoreUnavailableError):
            await holder.fetchone("SELECT 1")
    # the dead connection left the pool; the next use gets a fresh one
    for _ in range(50):
        try:
            assert await pg_store.get_app(app.id) == app
            break
        except StoreUnavailableError:
            await asyncio.sleep(0.1)
    else:
        raise AssertionError("the store did not reconnect")


async def test_transaction_on_a_dead_connection_rolls_back_and_raises_unavailable(pg_store: Store) -> None:
    with pytest.raises(StoreUnavailableError):
        async with pg_store.db.transaction() as tx:
            await tx.execute("INSERT INTO settings (key, value) VALUES ('half', 'done')")
            await tx.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    assert await pg_store.get_setting("half") is None


async def test_a_transaction_cancelled_while_it_begins_leaves_no_connection_checked_out(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from asyncpg.transaction import Transaction

    db = PostgresDatabase(pg_url, max_size=2, keyed_size=1)
    await db.open()
    begun = asyncio.Event()
    real_start = Transaction.start

    async def start_then_hang(self: Any) -> None:
        await real_start(self)
        begun.set()
        await asyncio.sleep(3600)  # the task is cancelled here, as if BEGIN's answer were still on its way

    async def job() -> None:
        async with db.transaction() as tx:
            await tx.execute("SELECT 1")

    monkeypatch.setattr(Transaction, "start", start_then_hang)
    task = asyncio.create_task(job())
    await asyncio.wait_for(begun.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    monkeypatch.undo()
    pool = db._pool
    assert pool is not None and pool.get_idle_size() == pool.get_size()  # nothing left checked out
    await job()  # and the pool still serves transactions
    started = time.monotonic()
    await db.close()
    # a connection left checked out would hold the close for its 10 s timeout
    assert time.monotonic() - started < 5


async def test_announce_wakes_a_worker_in_another_process(pg_module_url: str) -> None:
    await announce_reaches_another_store(pg_module_url)


async def test_schemas_do_not_wake_each_other(pg_module_url: str, pg_url: str) -> None:
    a, b = await Store.connect(pg_module_url), await Store.connect(pg_url)
    wa, wb = PostgresWakeup(a), PostgresWakeup(b)
    assert wa.channel != wb.channel
    await a.close()
    await b.close()


async def test_listener_comes_back_after_its_connection_is_terminated(pg_module_url: str) -> None:
    async with two_wakeups(pg_module_url, reconnect_delay=0.05) as (wa, wb):
        assert wb.listening.is_set()
        await wb.wait(0)
        await _terminate(wa.db, wb._conn.get_server_pid())
        # after the drop the listener reconnects and rings once, since it may have missed something
        assert await wb.wait(10)
        for _ in range(100):
            if wb.listening.is_set():
                break
            await asyncio.sleep(0.05)
        await wb.wait(0)
        await wa.announce()
        assert await wb.wait(10)
