"""Retention's message deletes on SQLite: key ranges, no per-id lists, foreign-key checks off.

A batch deletes the attempts, dispatches and messages of one range of message ids (ids are
time-sortable, and every table holds them in an index), so each statement walks one index range
instead of probing it once per id. Foreign-key enforcement is turned off for the batch's
transaction: the batch deletes every row that references a message itself, children first, so the
checks (a probe of ``messages`` for every deleted child row, and of both child tables for every
deleted message) would find nothing; they cost about a third of the batch. The whole batch runs on
the writer's thread in one call, so the write lock is held for the statements alone.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from hookline.store.db import SqliteDatabase

LIVE = (1, 3)  # dispatch status: pending, sending
# every table with a foreign key to messages; a batch deletes from each of them itself
CHILDREN = ("attempts", "dispatches")


@dataclass(frozen=True)
class RangeBatch:
    """What one batch removed: rows per table, messages looked at, and the last id looked at."""

    messages: int
    dispatches: int
    attempts: int
    scanned: int
    last: str | None


def children_of_messages(conn: sqlite3.Connection) -> set[str]:
    """The tables with a foreign key to ``messages``."""
    rows = conn.execute(
        "SELECT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f "
        "WHERE m.type = 'table' AND f.\"table\" = 'messages'"
    ).fetchall()
    return {str(r[0]) for r in rows}


def _delete_range(conn: sqlite3.Connection, start: str, cutoff: str, batch: int) -> RangeBatch:
    row = conn.execute(
        "SELECT MAX(id), COUNT(*) FROM (SELECT id FROM messages WHERE id > ? AND id < ? ORDER BY id LIMIT ?)",
        (start, cutoff, batch),
    ).fetchone()
    scanned = int(row[1]) if row else 0
    if not scanned:
        return RangeBatch(0, 0, 0, 0, None)
    last = str(row[0])
    live = [
        str(r[0])
        for r in conn.execute(
            "SELECT DISTINCT msg_id FROM dispatches WHERE msg_id > ? AND msg_id <= ? AND status IN (?, ?)",
            (start, last, *LIVE),
        )
    ]
    # messages still being delivered stay (with their rows) until they are done
    keep = f" AND {{col}} NOT IN ({', '.join('?' * len(live))})" if live else ""
    span = (start, last, *live)
    attempts = conn.execute(
        f"DELETE FROM attempts WHERE msg_id > ? AND msg_id <= ?{keep.format(col='msg_id')}", span
    )
    dispatches = conn.execute(
        f"DELETE FROM dispatches WHERE msg_id > ? AND msg_id <= ?{keep.format(col='msg_id')}", span
    )
    messages = conn.execute(f"DELETE FROM messages WHERE id > ? AND id <= ?{keep.format(col='id')}", span)
    return RangeBatch(messages.rowcount, dispatches.rowcount, attempts.rowcount, scanned, last)


def _batch_job(
    start: str, cutoff: str, batch: int, checks_off: bool
) -> Callable[[sqlite3.Connection], RangeBatch]:
    def job(conn: sqlite3.Connection) -> RangeBatch:
        if checks_off:
            conn.execute("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction: set before BEGIN
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = _delete_range(conn, start, cutoff, batch)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        finally:
            if checks_off:
                conn.execute("PRAGMA foreign_keys = ON")
        return result

    return job


# per database: whether a batch deletes every row referencing a message itself (a table added later
# with a foreign key to messages would not be), so that the checks may go off
_CHECKS_OFF: weakref.WeakKeyDictionary[SqliteDatabase, bool] = weakref.WeakKeyDictionary()


async def delete_range(db: SqliteDatabase, start: str, cutoff: str, batch: int) -> RangeBatch:
    """Delete up to ``batch`` messages with ids in (``start``, ``cutoff``) and their rows, in one transaction;
    messages with a delivery pending or being sent are kept."""
    checks_off = _CHECKS_OFF.get(db)
    if checks_off is None:
        checks_off = _CHECKS_OFF[db] = (await db.run_on_writer(children_of_messages)) <= set(CHILDREN)
    return await db.run_on_writer(_batch_job(start, cutoff, batch, checks_off))


_SPACE = (
    "SELECT s.page_size, c.page_count, f.freelist_count, v.auto_vacuum FROM pragma_page_size() s, "
    "pragma_page_count() c, pragma_freelist_count() f, pragma_auto_vacuum() v"
)


async def file_pages(db: SqliteDatabase) -> tuple[int, int, int, int]:
    """Page size, pages, free pages and auto-vacuum mode, read in one call on the writer's thread (the
    reader's may be busy checkpointing what retention just wrote)."""

    def read(conn: sqlite3.Connection) -> tuple[int, int, int, int]:
        row = conn.execute(_SPACE).fetchone()
        return (int(row[0]), int(row[1]), int(row[2]), int(row[3]))

    return await db.run_on_writer(read)


async def execute_alone(db: SqliteDatabase, sql: str, params: tuple[object, ...]) -> int:
    """Run one statement in its own transaction, in a single call to the writer's thread; return its row count."""

    def job(conn: sqlite3.Connection) -> int:
        conn.execute("BEGIN IMMEDIATE")
        try:
            count = conn.execute(sql, params).rowcount
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return int(count)

    return await db.run_on_writer(job)
