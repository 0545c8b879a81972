"""Retention statements: expunge payloads past their expiry and delete rows past their horizon.

Every function does one small batch in its own short transaction and returns what it changed, so a
caller loops until a batch comes back short. On SQLite that keeps the write lock free between
batches (the API and the workers keep answering); on PostgreSQL it keeps transactions and the dead
tuples of each one small. The same SQL serves both backends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hookline.ids import ksuid_floor
from hookline.store import sqlite_retention
from hookline.store.db import Conn, Database, SqliteDatabase

# status 1 pending, 3 sending: a message with a dispatch in either is still being delivered
_LIVE = (1, 3)


def _marks(n: int) -> str:
    return ", ".join("?" * n)


async def expunge_payloads(db: Database, now: float, batch: int) -> int:
    """Clear the payload of up to ``batch`` messages whose retention ended before ``now``.

    The message, its dispatches and attempts stay; the API then shows the payload as expired.
    """
    sql = (
        "UPDATE messages SET payload = NULL WHERE id IN (SELECT id FROM messages "
        "WHERE payload IS NOT NULL AND expires_at < ? ORDER BY expires_at LIMIT ?)"
    )
    if isinstance(db, SqliteDatabase):
        return await sqlite_retention.execute_alone(db, sql, (now, batch))
    async with db.transaction() as tx:
        return await tx.execute(sql, (now, batch))


@dataclass(frozen=True)
class MessageBatch:
    """What one batch of ``delete_messages`` removed, and where the next batch starts."""

    messages: int
    dispatches: int
    attempts: int
    scanned: int  # messages looked at (some may be kept: still being delivered)
    next_from: str  # the next batch looks at ids after this one


FIRST_MESSAGE = "msg_"  # every message id sorts after it


async def delete_messages(db: Database, before: float, start: str, batch: int) -> MessageBatch:
    """Delete up to ``batch`` messages created before ``before`` (ids after ``start``), with their
    dispatches and attempts; a message still being delivered is kept until it is done.

    Message ids are time-sortable, so the scan is a range of the primary key, not a table scan.
    """
    cutoff = ksuid_floor("msg", before)
    if isinstance(db, SqliteDatabase):
        r = await sqlite_retention.delete_range(db, start, cutoff, batch)
        next_sqlite = r.last if r.last is not None and r.scanned == batch else cutoff
        return MessageBatch(r.messages, r.dispatches, r.attempts, r.scanned, next_sqlite)
    async with db.transaction() as tx:
        rows = await tx.fetchall(
            "SELECT id FROM messages WHERE id > ? AND id < ? ORDER BY id LIMIT ?", (start, cutoff, batch)
        )
        ids = [str(r[0]) for r in rows]
        if not ids:
            return MessageBatch(0, 0, 0, 0, cutoff)
        live = await tx.fetchall(
            f"SELECT DISTINCT msg_id FROM dispatches WHERE msg_id IN ({_marks(len(ids))}) "
            f"AND status IN ({_marks(len(_LIVE))})",
            (*ids, *_LIVE),
        )
        keep = {str(r[0]) for r in live}
        gone = [i for i in ids if i not in keep]
        counts = (0, 0, 0)
        if gone:
            counts = await _delete_message_rows(tx, gone)
    # the next batch starts after the last id looked at: kept messages are looked at again next pass
    next_from = ids[-1] if len(ids) == batch else cutoff
    return MessageBatch(*counts, scanned=len(ids), next_from=next_from)


async def _delete_message_rows(tx: Conn, ids: Sequence[str]) -> tuple[int, int, int]:
    marks = _marks(len(ids))
    attempts = await tx.execute(f"DELETE FROM attempts WHERE msg_id IN ({marks})", ids)
    dispatches = await tx.execute(f"DELETE FROM dispatches WHERE msg_id IN ({marks})", ids)
    messages = await tx.execute(f"DELETE FROM messages WHERE id IN ({marks})", ids)
    return messages, dispatches, attempts


# Other tables past their own horizons: (table, key column, time column, scale of the time column).
# identity_sessions keeps epoch milliseconds (as Clerk sends them); a session is deleted only once
# its absolute expiry is past the horizon, when it has long ended whatever its status.
_SIDE_TABLES: dict[str, tuple[str, str, str, float]] = {
    "idempotency": ("idempotency", "key", "created_at", 1.0),
    "operational_events": ("operational_events", "id", "created_at", 1.0),
    "tasks": ("tasks", "id", "updated_at", 1.0),
    "identity_sessions": ("identity_sessions", "id", "expire_at", 1000.0),
    "message_traces": ("message_traces", "msg_id", "created_at", 1.0),  # the messages' horizon
}
SIDE_TABLES = tuple(_SIDE_TABLES)


async def delete_older(db: Database, kind: str, before: float, batch: int) -> int:
    """Delete up to ``batch`` rows of ``kind`` (one of ``SIDE_TABLES``) older than ``before``."""
    table, key, column, scale = _SIDE_TABLES[kind]
    sql = f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} WHERE {column} < ? LIMIT ?)"
    if isinstance(db, SqliteDatabase):
        return await sqlite_retention.execute_alone(db, sql, (before * scale, batch))
    async with db.transaction() as tx:
        return await tx.execute(sql, (before * scale, batch))


@dataclass(frozen=True)
class FileSpace:
    """A SQLite file's pages: how many, how many free, and whether free pages can be given back."""

    page_size: int
    pages: int
    free_pages: int
    incremental: bool  # auto_vacuum=INCREMENTAL: free pages can be returned to the file system

    @property
    def bytes(self) -> int:
        """The file's size in bytes (without its write-ahead log)."""
        return self.page_size * self.pages


async def file_space(db: Database, *, on_writer: bool = False) -> FileSpace | None:
    """The SQLite file's pages (None on PostgreSQL); ``on_writer`` reads them on the writer connection,
    in one call, rather than behind whatever the reader is doing."""
    if db.dialect != "sqlite":
        return None
    if on_writer and isinstance(db, SqliteDatabase):
        size, pages, free, mode = await sqlite_retention.file_pages(db)
        return FileSpace(size, pages, free, mode == 2)
    async with db.reader() as c:
        values = []
        for pragma in ("page_size", "page_count", "freelist_count", "auto_vacuum"):
            row = await c.fetchone(f"PRAGMA {pragma}")
            values.append(int(row[0]) if row else 0)
    return FileSpace(values[0], values[1], values[2], values[3] == 2)


async def give_back_pages(db: Database, pages: int) -> int:
    """Return up to ``pages`` free pages of a SQLite file in INCREMENTAL auto-vacuum mode to the file
    system; return how many were free before. A no-op on PostgreSQL and on files in another mode."""
    space = await file_space(db)
    if space is None or not space.incremental or not space.free_pages:
        return 0
    if isinstance(db, SqliteDatabase):
        await db.run_script(f"BEGIN IMMEDIATE; PRAGMA incremental_vacuum({int(pages)}); COMMIT;")
    return space.free_pages


async def database_bytes(db: Database) -> int | None:
    """The database's size on disk: the SQLite file's pages, or PostgreSQL's schema's tables and indexes."""
    if db.dialect == "sqlite":
        space = await file_space(db)
        return None if space is None else space.bytes
    async with db.reader() as c:
        row = await c.fetchone(
            "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'm')"
        )
    return int(row[0]) if row else None


async def vacuum_if_autovacuum_off(db: Database, tables: Sequence[str]) -> bool:
    """PostgreSQL with autovacuum turned off: VACUUM ``tables`` (space of deleted rows becomes reusable;
    writers go on meanwhile). Returns whether it ran; with autovacuum on, that is autovacuum's job."""
    if db.dialect != "postgres" or not tables:
        return False
    async with db.reader() as c:
        row = await c.fetchone("SELECT current_setting('autovacuum')")
        if row is None or row[0] != "off":
            return False
        for table in tables:
            await c.execute(f"VACUUM {table}")  # outside a transaction: a plain pooled connection
    return True
