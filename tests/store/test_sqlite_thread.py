"""The SQLite driver: a connection owned by one thread, with whole transactions run there in one call."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hookline.store import db as db_module
from hookline.store.db import Conn, SqliteDatabase
from hookline.store.errors import ConflictError, StoreError, StoreUnavailableError
from hookline.store.sqlite_thread import DriverError, SqliteThread, ThreadConn, run_to_end


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    database = SqliteDatabase(str(tmp_path / "t.db"))
    await database.open()
    async with database.transaction() as tx:
        await tx.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)")
    yield database
    await database.close()


async def _count(db: SqliteDatabase) -> int:
    async with db.reader() as c:
        row = await c.fetchone("SELECT count(*) FROM t")
    assert row is not None
    return int(row[0])


async def test_a_transaction_job_runs_in_one_call_on_the_loop_while_the_write_lock_is_free(
    db: SqliteDatabase,
) -> None:
    threads: set[str] = set()

    async def job(tx: Conn) -> int:
        threads.add(threading.current_thread().name)
        await tx.executemany("INSERT INTO t VALUES (?, ?)", [("a", 1), ("b", 2)])
        changed = await tx.execute("UPDATE t SET v = v + 10 WHERE k = ?", ("a",))
        rows = await tx.fetchall("SELECT k, v FROM t ORDER BY k")
        assert [tuple(r) for r in rows] == [("a", 11), ("b", 2)]
        return changed

    assert await db.run_transaction(job) == 1
    assert threads == {threading.current_thread().name}
    assert await _count(db) == 2


async def test_waiting_for_another_process_s_write_lock_happens_off_the_loop(
    db: SqliteDatabase, tmp_path: Path
) -> None:
    other = sqlite3.connect(str(tmp_path / "t.db"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # as another process would hold it
    other.execute("INSERT INTO t VALUES ('other', 0)")
    threads: set[str] = set()

    async def job(tx: Conn) -> None:
        threads.add(threading.current_thread().name)
        await tx.execute("INSERT INTO t VALUES (?, ?)", ("mine", 1))

    pending = asyncio.create_task(db.run_transaction(job))
    ticks = 0
    for _ in range(20):  # the event loop keeps running while the transaction waits
        await asyncio.sleep(0.01)
        ticks += 1
    assert ticks == 20 and not pending.done()
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(pending, 10)
    assert threads == {"hookline-sqlite"}
    assert await _count(db) == 2


async def test_the_reader_checkpoints_every_so_many_writer_commits(
    db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "CHECKPOINT_EVERY", 3)
    runs = 0
    checkpoint = db._run_checkpoint

    async def counted() -> None:
        nonlocal runs
        runs += 1
        await checkpoint()

    monkeypatch.setattr(db, "_run_checkpoint", counted)
    for i in range(7):
        await db.run_transaction(lambda tx, i=i: tx.execute("INSERT INTO t VALUES (?, ?)", (f"k{i}", i)))
        await asyncio.sleep(0.01)
    assert runs == 2
    writer_setting = await db._require(db._writer).call(
        lambda c: c.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    )
    assert writer_setting == 0  # the writer never checkpoints as it commits


async def test_a_failing_job_leaves_nothing_behind(db: SqliteDatabase) -> None:
    async def job(tx: Conn) -> None:
        await tx.execute("INSERT INTO t VALUES (?, ?)", ("a", 1))
        raise ValueError("refused halfway")

    with pytest.raises(ValueError, match="refused halfway"):
        await db.run_transaction(job)
    assert await _count(db) == 0


async def test_a_constraint_violation_is_a_conflict_and_rolls_back(db: SqliteDatabase) -> None:
    async def job(tx: Conn) -> None:
        await tx.execute("INSERT INTO t VALUES (?, ?)", ("a", 1))
        await tx.execute("INSERT INTO t VALUES (?, ?)", ("a", 2))

    with pytest.raises(ConflictError):
        await db.run_transaction(job)
    assert await _count(db) == 0


async def test_a_job_that_awaits_anything_else_is_refused(db: SqliteDatabase) -> None:
    async def job(tx: Conn) -> None:
        await tx.execute("INSERT INTO t VALUES (?, ?)", ("a", 1))
        await asyncio.sleep(0)  # would run event-loop code on the database thread

    with pytest.raises(DriverError, match="awaited something other than its connection"):
        await db.run_transaction(job)
    assert await _count(db) == 0


async def test_jobs_and_statements_queued_together_run_in_order(db: SqliteDatabase) -> None:
    async def insert(i: int) -> None:
        async def job(tx: Conn) -> None:
            await tx.execute("INSERT INTO t VALUES (?, ?)", (f"k{i:03d}", i))

        await db.run_transaction(job)

    await asyncio.gather(*(insert(i) for i in range(100)))
    assert await _count(db) == 100


async def test_a_cancelled_caller_does_not_break_the_connection(db: SqliteDatabase, tmp_path: Path) -> None:
    async def slow(tx: Conn) -> None:
        await tx.fetchall("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 300000) "
                          "SELECT count(*) FROM n")  # fmt: skip

    # another connection holds the write lock, so the job waits on the writer's thread
    other = sqlite3.connect(str(tmp_path / "t.db"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    task = asyncio.create_task(db.run_transaction(slow))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    other.execute("COMMIT")
    other.close()

    async def job(tx: Conn) -> None:
        await tx.execute("INSERT INTO t VALUES (?, ?)", ("after", 1))

    await db.run_transaction(job)
    assert await _count(db) == 1


async def test_a_closed_database_says_so(tmp_path: Path) -> None:
    database = SqliteDatabase(str(tmp_path / "closed.db"))
    await database.open()
    await database.close()
    with pytest.raises(StoreUnavailableError, match="closed"):
        async with database.reader():
            pass
    conn = SqliteThread(str(tmp_path / "x.db"))
    with pytest.raises(DriverError, match="closed"):
        await conn.call(lambda db: db.execute("SELECT 1"))


async def test_an_unopenable_file_fails_on_open(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    database = SqliteDatabase(str(tmp_path / "dir.db"))
    with pytest.raises(StoreError, match="unable to open"):
        await database.open()


def test_run_to_end_returns_what_a_non_suspending_coroutine_returns(tmp_path: Path) -> None:
    import sqlite3

    raw = sqlite3.connect(str(tmp_path / "r.db"))

    async def job(c: ThreadConn) -> list[tuple[int]]:
        return await c.fetchall("SELECT 41 + 1")

    assert run_to_end(job(ThreadConn(raw))) == [(42,)]
    raw.close()


async def test_a_caller_cancelled_while_beginning_does_not_wedge_the_writer(
    db: SqliteDatabase, tmp_path: Path
) -> None:
    # another connection holds the write lock, so BEGIN waits on the writer's thread; the caller gives up
    other = sqlite3.connect(str(tmp_path / "t.db"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")

    async def begin_and_wait() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO t VALUES (?, ?)", ("never", 0))

    task = asyncio.create_task(begin_and_wait())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    other.execute("COMMIT")  # the abandoned BEGIN now gets the lock, on the writer's thread
    other.close()
    await asyncio.sleep(0.05)

    async def job(tx: Conn) -> None:
        await tx.execute("INSERT INTO t VALUES (?, ?)", ("after", 1))

    await db.run_transaction(job)
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO t VALUES (?, ?)", ("later", 2))
    assert await _count(db) == 2
