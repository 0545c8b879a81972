"""Database drivers behind one small async interface, so the store's SQL is written once.

Statements use ``?`` placeholders; the PostgreSQL driver rewrites them to ``$1, $2, …``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from hookline.store.errors import ConflictError, StoreError, StoreUnavailableError

Row = Sequence[Any]


class Conn(Protocol):
    """A connection inside a transaction (or a read)."""

    dialect: str

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return the number of rows it changed."""

    async def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each parameter tuple."""

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a query and return every row."""

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """Run a query and return its first row, or None."""


class Database(Protocol):
    """A connection source: transactions for writes, plain connections for reads."""

    dialect: str

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    def transaction(self) -> contextlib.AbstractAsyncContextManager[Conn]: ...

    def reader(self) -> contextlib.AbstractAsyncContextManager[Conn]: ...


class _WithoutParameters(logging.Filter):
    """aiosqlite logs every call with its parameters at DEBUG, and those hold endpoint secrets, custom
    headers and payloads: keep the statement in the record, drop the parameters."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_describe(arg) for arg in record.args)
        return True


def _describe(arg: Any) -> Any:
    if not isinstance(arg, functools.partial):
        return arg
    name = getattr(arg.func, "__name__", "call")
    sql = next((a for a in arg.args if isinstance(a, str)), None)
    return f"{name}({sql!r}, [parameters not logged])" if sql is not None else f"{name}(…)"


logging.getLogger("aiosqlite").addFilter(_WithoutParameters())


def _translate_sqlite_error(exc: sqlite3.Error) -> StoreError:
    text = str(exc)
    if isinstance(exc, sqlite3.OperationalError) and (
        "disk" in text or "full" in text or "readonly" in text or "locked" in text or "I/O" in text
    ):
        return StoreUnavailableError(f"the database cannot take writes now: {text}")
    return StoreError(f"database error: {text}")


class _SqliteConn:
    dialect = "sqlite"

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = await self._conn.execute(sql, params)
        count = cur.rowcount
        await cur.close()
        return count

    async def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, list(params))

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self._conn.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self._conn.execute_fetchall(sql, params)
        return rows[0] if rows else None


class SqliteDatabase:
    """SQLite in WAL mode: one writer connection behind a lock, one reader connection beside it."""

    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        self._writer: Any = None
        self._reader: Any = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_url(cls, url: str) -> SqliteDatabase:
        """``sqlite:///relative.db``, ``sqlite:////abs/path.db`` or ``sqlite:///:memory:``."""
        path = url.split("sqlite://", 1)[1]
        path = path[1:] if path.startswith("/") else path
        if path.startswith("/") or path == ":memory:":
            return cls(path)
        return cls(str(Path(path)))

    async def _connect(self) -> Any:
        import aiosqlite

        conn = await aiosqlite.connect(self.path, isolation_level=None, timeout=30)
        await conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL keeps WAL durable across process crashes (kill -9); only an OS crash can lose the last commits
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA busy_timeout=30000")
        return conn

    async def open(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._connect()
        self._reader = await self._connect() if self.path != ":memory:" else self._writer

    async def close(self) -> None:
        for conn in {id(c): c for c in (self._reader, self._writer) if c is not None}.values():
            await conn.close()
        self._writer = self._reader = None

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        async with self._lock:
            try:
                await self._writer.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _translate_sqlite_error(exc) from exc
            try:
                yield _SqliteConn(self._writer)
                await self._writer.execute("COMMIT")
            except BaseException as exc:
                with contextlib.suppress(sqlite3.Error):
                    await self._writer.execute("ROLLBACK")
                if isinstance(exc, sqlite3.IntegrityError):
                    raise ConflictError(f"already exists: {exc}") from exc
                if isinstance(exc, sqlite3.Error):
                    raise _translate_sqlite_error(exc) from exc
                raise

    @contextlib.asynccontextmanager
    async def reader(self) -> AsyncIterator[Conn]:
        try:
            yield _SqliteConn(self._reader)
        except sqlite3.Error as exc:
            raise _translate_sqlite_error(exc) from exc


_PLACEHOLDER = re.compile(r"\?")


def to_dollar(sql: str) -> str:
    """Rewrite ``?`` placeholders as PostgreSQL's ``$n``."""
    counter = iter(range(1, 100_000))
    return _PLACEHOLDER.sub(lambda _m: f"${next(counter)}", sql)


def open_database(url: str) -> Database:
    """Return the driver for a ``sqlite:///…`` or ``postgresql://…`` URL (not yet opened)."""
    if url.startswith("sqlite:"):
        return SqliteDatabase.from_url(url)
    if url.startswith(("postgresql:", "postgres:")):
        from hookline.store.postgres import PostgresDatabase

        return PostgresDatabase(url)
    raise StoreError(f"unsupported database URL {url.split(':', 1)[0]!r}: use sqlite:/// or postgresql://")
