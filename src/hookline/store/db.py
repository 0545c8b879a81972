"""The SQLite driver, and the door to both drivers: ``open_database(url)``.

Both offer the interface of ``conn`` (re-exported here), so the store's SQL is written once.
Statements use ``?`` or ``:name`` placeholders, which SQLite reads itself; the PostgreSQL driver
rewrites them to ``$1, $2, …`` (see ``sqltext``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

from hookline.store.conn import Conn, Database, Params, Row
from hookline.store.errors import ConflictError, StoreError, StoreUnavailableError
from hookline.store.sqlite_thread import SqliteThread, ThreadConn, run_to_end

T = TypeVar("T")

__all__ = ["Conn", "Database", "Row", "SqliteDatabase", "open_database", "sqlite_file"]


def _translate_sqlite_error(exc: sqlite3.Error) -> StoreError:
    text = str(exc)
    if isinstance(exc, sqlite3.OperationalError) and (
        "disk" in text or "full" in text or "readonly" in text or "locked" in text or "I/O" in text
    ):
        return StoreUnavailableError(f"the database cannot take writes now: {text}")
    return StoreError(f"database error: {text}")


class _SqliteConn:
    dialect = "sqlite"

    def __init__(self, conn: SqliteThread) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        return await self._conn.call(lambda db: db.execute(sql, params).rowcount)

    async def executemany(self, sql: str, params: Iterable[Params]) -> None:
        rows = list(params)
        await self._conn.call(lambda db: db.executemany(sql, rows))

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._conn.call(lambda db: db.execute(sql, params).fetchall())

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = await self._conn.call(lambda db: db.execute(sql, params).fetchone())
        return row


# NORMAL keeps WAL durable across process crashes (kill -9); only an OS crash can lose the last commits
BUSY_TIMEOUT_MS = 30000
_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON",
            f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")  # fmt: skip
# The writer never checkpoints as it commits (a checkpoint writes and syncs the database file, and
# the writer's transactions may run on the event loop); the reader's thread does, every so many commits.
_WRITER_PRAGMAS = (*_PRAGMAS, "PRAGMA wal_autocheckpoint=0")
CHECKPOINT_EVERY = 200


class _WriteLockBusy(Exception):
    """Another connection holds SQLite's write lock, so the transaction must wait for it off the loop."""


def _begin(db: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE, first ending a transaction a cancelled caller left open.

    Writer transactions take turns under one lock, so an open one here belongs to a caller that was
    cancelled while its BEGIN waited on the thread: it never saw it start, and never ended it.
    """
    if db.in_transaction:
        db.execute("ROLLBACK")
    db.execute("BEGIN IMMEDIATE")


def _transact(db: sqlite3.Connection, job: Callable[[Conn], Awaitable[T]]) -> T:
    """``job`` between BEGIN IMMEDIATE and COMMIT, on the connection's thread; rolled back if it fails."""
    _begin(db)
    return _run_and_commit(db, job)


def _transact_now(db: sqlite3.Connection, job: Callable[[Conn], Awaitable[T]]) -> T:
    """``_transact`` that raises ``_WriteLockBusy`` rather than wait for the write lock."""
    db.execute("PRAGMA busy_timeout=0")
    try:
        _begin(db)
    except sqlite3.OperationalError as exc:
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY:
            raise _WriteLockBusy from exc
        raise
    finally:
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return _run_and_commit(db, job)


def _run_and_commit(db: sqlite3.Connection, job: Callable[[Conn], Awaitable[T]]) -> T:
    try:
        result: T = run_to_end(job(ThreadConn(db)))  # type: ignore[arg-type]
        db.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise
    return result


def _translated(exc: BaseException) -> BaseException:
    if isinstance(exc, sqlite3.IntegrityError):
        return ConflictError(f"already exists: {exc}")
    if isinstance(exc, sqlite3.Error):
        return _translate_sqlite_error(exc)
    return exc


class SqliteDatabase:
    """SQLite in WAL mode: one writer connection behind a lock, one reader connection beside it."""

    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        self._writer: SqliteThread | None = None
        self._reader: SqliteThread | None = None
        self._lock = asyncio.Lock()
        self._commits = 0  # since the last checkpoint
        self._checkpoint: asyncio.Task[None] | None = None

    @classmethod
    def from_url(cls, url: str) -> SqliteDatabase:
        """``sqlite:///relative.db``, ``sqlite:////abs/path.db`` or ``sqlite:///:memory:``."""
        path = url.split("sqlite://", 1)[1]
        path = path[1:] if path.startswith("/") else path
        if path.startswith("/") or path == ":memory:":
            return cls(path)
        return cls(str(Path(path)))

    async def _connect(self, setup: Sequence[str] = _PRAGMAS) -> SqliteThread:
        conn = SqliteThread(self.path, setup)
        try:
            await conn.open()
        except sqlite3.Error as exc:
            await conn.close()
            raise _translate_sqlite_error(exc) from exc
        return conn

    async def open(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            # a new database file is readable by its owner only; SQLite gives its -wal and -shm files
            # the same permissions
            with contextlib.suppress(FileExistsError):
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        if self.path == ":memory:":
            self._writer = self._reader = await self._connect()
            return
        self._writer = await self._connect(_WRITER_PRAGMAS)
        self._reader = await self._connect()

    async def close(self) -> None:
        if self._checkpoint is not None:
            await self._checkpoint
            self._checkpoint = None
        for conn in {id(c): c for c in (self._reader, self._writer) if c is not None}.values():
            await conn.close()
        self._writer = self._reader = None

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        async with self._lock:
            writer = self._require(self._writer)
            try:
                await writer.call(_begin)
            except sqlite3.Error as exc:
                raise _translate_sqlite_error(exc) from exc
            try:
                yield _SqliteConn(writer)
                await writer.call(lambda db: db.execute("COMMIT"))
                self._committed()
            except BaseException as exc:
                with contextlib.suppress(sqlite3.Error):
                    await writer.call(lambda db: db.execute("ROLLBACK"))
                err = _translated(exc)
                if err is exc:
                    raise
                raise err from exc

    async def run_transaction(self, job: Callable[[Conn], Awaitable[T]]) -> T:
        """Run ``job`` in one transaction: right here when the write lock is free, else on the writer's thread.

        A batch's statements take well under a millisecond, less than handing them to the thread and
        back; only waiting for another process's write lock would stall the event loop, and that wait
        happens on the thread.
        """
        async with self._lock:
            writer = self._require(self._writer)
            try:
                try:
                    if not writer.idle:  # a cancelled caller's transaction is still running there
                        raise _WriteLockBusy
                    result = writer.call_here(lambda db: _transact_now(db, job))
                except _WriteLockBusy:
                    result = await writer.call(lambda db: _transact(db, job))
            except BaseException as exc:
                err = _translated(exc)
                if err is exc:
                    raise
                raise err from exc
            self._committed()
            return result

    async def run_script(self, sql: str) -> None:
        """Run statements to their end on the writer, in turn with transactions (as ``executescript``).

        For pragmas that work one step at a time, such as ``incremental_vacuum``: a plain execute
        takes only their first step.
        """
        async with self._lock:
            writer = self._require(self._writer)
            try:
                await writer.call(lambda db: db.executescript(sql))
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    await writer.call(lambda db: db.execute("ROLLBACK") if db.in_transaction else None)
                raise _translate_sqlite_error(exc) from exc

    async def run_on_writer(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` with the writer connection on its thread, holding the write lock; ``fn`` begins and
        ends its own transaction (for work that must set a pragma outside one, such as retention's)."""
        async with self._lock:
            writer = self._require(self._writer)
            try:
                result = await writer.call(fn)
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    await writer.call(lambda db: db.execute("ROLLBACK") if db.in_transaction else None)
                raise _translate_sqlite_error(exc) from exc
            self._committed()
            return result

    def _committed(self) -> None:
        """Count a writer commit; every ``CHECKPOINT_EVERY`` of them, checkpoint on the reader's thread."""
        self._commits += 1
        if self._commits < CHECKPOINT_EVERY or self._reader is self._writer:
            return
        if self._checkpoint is None or self._checkpoint.done():
            self._commits = 0
            self._checkpoint = asyncio.get_running_loop().create_task(self._run_checkpoint())

    async def _run_checkpoint(self) -> None:
        with contextlib.suppress(sqlite3.Error, StoreError, RuntimeError):  # the next one catches up
            await self._require(self._reader).call(
                lambda db: db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            )

    @contextlib.asynccontextmanager
    async def reader(self) -> AsyncIterator[Conn]:
        try:
            yield _SqliteConn(self._require(self._reader))
        except sqlite3.Error as exc:
            raise _translate_sqlite_error(exc) from exc

    def keyed(self) -> contextlib.AbstractAsyncContextManager[Conn]:
        """The reader: SQLite plans every statement as it runs it."""
        return self.reader()

    @staticmethod
    def _require(conn: SqliteThread | None) -> SqliteThread:
        if conn is None:
            raise StoreUnavailableError("the database is closed")
        return conn


def sqlite_file(url: str) -> str | None:
    """The file of a ``sqlite:///…`` URL (None for PostgreSQL and ``:memory:``)."""
    if not url.startswith("sqlite:"):
        return None
    path = SqliteDatabase.from_url(url).path
    return None if path == ":memory:" else path


def open_database(url: str) -> Database:
    """Return the driver for a ``sqlite:///…`` or ``postgresql://…`` URL (not yet opened)."""
    if url.startswith("sqlite:"):
        return SqliteDatabase.from_url(url)
    if url.startswith(("postgresql:", "postgres:")):
        from hookline.store.postgres import PostgresDatabase

        return PostgresDatabase(url)
    raise StoreError(f"unsupported database URL {url.split(':', 1)[0]!r}: use sqlite:/// or postgresql://")
