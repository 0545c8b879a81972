"""SQLite's retention batches: key-range deletes with foreign-key checks off for their transaction only,
and on again (with cascades doing their part) when some other table references messages."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hookline.opsconfig import DAY
from hookline.store import retention
from hookline.store.db import SqliteDatabase
from hookline.store.records import MessageStatus
from hookline.store.store import Store
from tests.store.helpers import accept, make_app, make_endpoint, message

NOW = time.time()


@pytest.fixture
async def lite(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.connect(f"sqlite:///{tmp_path / 'r.db'}")
    yield s
    await s.close()


async def _old_messages(store: Store, n: int, delivering: int = 0) -> list[str]:
    app = await make_app(store)
    await make_endpoint(store, app)
    msgs = [message(app, created_at=NOW - 10 * DAY + i) for i in range(n)]
    await accept(store, *msgs)
    async with store.db.transaction() as tx:
        for m in msgs[delivering:]:
            await tx.execute(
                "UPDATE dispatches SET status = ? WHERE msg_id = ?", (int(MessageStatus.SUCCESS), m.id)
            )
    return [m.id for m in msgs]


def _foreign_keys(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA foreign_keys").fetchone()[0])


async def _count(store: Store, table: str) -> int:
    async with store.db.reader() as c:
        row = await c.fetchone(f"SELECT COUNT(*) FROM {table}")
    return int(row[0]) if row else 0


async def test_batches_delete_key_ranges_and_leave_checks_on(lite: Store) -> None:
    db = lite.db
    assert isinstance(db, SqliteDatabase)
    ids = await _old_messages(lite, 9, delivering=2)
    start, total = retention.FIRST_MESSAGE, 0
    while True:
        b = await retention.delete_messages(db, NOW - DAY, start, 4)
        total += b.messages
        assert await db.run_on_writer(_foreign_keys) == 1  # back on after every batch
        if b.scanned < 4:
            break
        start = b.next_from
    assert total == 7 and await _count(lite, "dispatches") == 2
    assert [str(r[0]) for r in await _all(lite, "SELECT id FROM messages ORDER BY id")] == ids[:2]


async def test_another_table_referencing_messages_keeps_the_checks(lite: Store) -> None:
    db = lite.db
    assert isinstance(db, SqliteDatabase)
    ids = await _old_messages(lite, 3)
    async with db.transaction() as tx:
        await tx.execute(
            "CREATE TABLE notes (msg_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE, body TEXT)"
        )
        for i in ids:
            await tx.execute("INSERT INTO notes (msg_id, body) VALUES (?, 'x')", (i,))
    b = await retention.delete_messages(db, NOW - DAY, retention.FIRST_MESSAGE, 10)
    assert b.messages == 3 and await _count(lite, "notes") == 0  # the cascade ran: checks stayed on


async def _all(store: Store, sql: str) -> list[object]:
    async with store.db.reader() as c:
        return list(await c.fetchall(sql))
