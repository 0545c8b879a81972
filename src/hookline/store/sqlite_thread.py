"""A SQLite connection owned by one thread, driven from the event loop.

sqlite3 calls block, so each connection lives on its own thread and runs the calls queued to
it in order. A call may be a whole transaction: the store's async code is run to its end on
that thread against a connection whose methods never suspend, so a batch of statements costs
the event loop one hand-off instead of one per statement.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import Any, TypeVar

from hookline.store.conn import Params, Row

T = TypeVar("T")
Job = tuple[asyncio.AbstractEventLoop, asyncio.Future[Any], Callable[[sqlite3.Connection], Any]]


class DriverError(RuntimeError):
    """The connection is closed, or a job did something a database thread cannot do."""


def run_to_end(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends (it awaits only a ``ThreadConn``) and return its result."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coro.close()
    raise DriverError("a database job awaited something other than its connection")


class SqliteRow(sqlite3.Row):
    """A SQLite row read by position or by column name, as asyncpg's ``Record`` is, and like it equal
    to the tuple of its values. ``sqlite3.Row`` does the reading in C, so it costs what a tuple does."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return tuple(self) == (tuple(other) if isinstance(other, sqlite3.Row) else other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))


class ThreadConn:
    """The ``Conn`` interface over a raw sqlite3 connection, for code running on its thread."""

    dialect = "sqlite"

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    async def execute(self, sql: str, params: Params = ()) -> int:
        return self._db.execute(sql, params).rowcount

    async def executemany(self, sql: str, params: Iterable[Params]) -> None:
        self._db.executemany(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return self._db.execute(sql, params).fetchall()

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = self._db.execute(sql, params).fetchone()
        return row


def _settle(owner: SqliteThread, future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    owner._running -= 1
    if future.done():
        return  # the awaiting task was cancelled
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class SqliteThread:
    """One sqlite3 connection and the thread that owns it; ``call(fn)`` runs ``fn(connection)`` there."""

    def __init__(self, path: str, setup: Sequence[str] = ()) -> None:
        self.path = path
        self.setup = tuple(setup)
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._db: sqlite3.Connection | None = None
        self._running = 0  # calls queued or running on the thread, counted on the event loop

    async def open(self) -> None:
        """Start the thread and connect (autocommit mode: transactions are explicit)."""
        self._thread = threading.Thread(target=self._serve, name="hookline-sqlite", daemon=True)
        self._thread.start()
        await self.call(lambda _: None)

    async def close(self) -> None:
        """Close the connection and let the thread end."""
        if self._thread is None:
            return
        try:
            with contextlib.suppress(sqlite3.Error):
                await self.call(lambda db: db.close())
        finally:
            self._jobs.put(None)
            self._thread = None

    async def call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` with the connection on its thread, after every call queued before it."""
        if self._thread is None:
            raise DriverError("the database connection is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._running += 1
        self._jobs.put((loop, future, fn))
        return await future

    @property
    def idle(self) -> bool:
        """True when no call is queued or running on the thread (a cancelled caller's may still be)."""
        return self._running == 0

    def call_here(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` with the connection on the calling thread, skipping the hand-off.

        Only while ``idle``, so the connection is never used by two threads at once.
        """
        if self._thread is None or self._db is None:
            raise DriverError("the database connection is closed")
        if self._running:
            raise DriverError("the connection is in use on its thread")
        return fn(self._db)

    def _serve(self) -> None:
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
            self._db.row_factory = SqliteRow
            for statement in self.setup:
                self._db.execute(statement)
        except sqlite3.Error as exc:
            failure: BaseException | None = exc
        else:
            failure = None
        while True:
            job = self._jobs.get()
            if job is None:
                return
            loop, future, fn = job
            if failure is not None:
                ok, value = False, failure
            else:
                try:
                    ok, value = True, fn(self._db)  # type: ignore[arg-type]
                except BaseException as exc:  # handed to the awaiting task, whatever it is
                    ok, value = False, exc
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits for this answer
                loop.call_soon_threadsafe(_settle, self, future, ok, value)
