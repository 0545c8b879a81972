"""The PostgreSQL driver (asyncpg) and its cross-process wake-up (``LISTEN``/``NOTIFY``).

``postgresql://user@host:5432/db`` uses the connection's default schema; ``?schema=NAME`` puts every
table in that schema instead (it must exist), which is how tests and shared databases isolate
themselves. Connections that PostgreSQL drops are replaced on the next use: a statement that fails
on a dead connection raises ``StoreUnavailableError``, and the caller's retry gets a fresh one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from hookline.store.conn import Conn, Database, Params, Row
from hookline.store.errors import ConflictError, StoreError, StoreUnavailableError
from hookline.store.sqltext import to_dollar, to_dollar_named
from hookline.supervisor import Supervisor
from hookline.wakeup import Wakeup

T = TypeVar("T")


class _HasDatabase(Protocol):
    """What ``PostgresWakeup`` needs of a store: its database."""

    db: Database


log = logging.getLogger("hookline.store")

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_NAME_MAX = 63  # bytes in an identifier (NAMEDATALEN - 1)

# Announcements also go to workers standing by, at most this often per process: as often as a worker
# standing by claims at the slowest, so one is never kept waiting longer than it would wait anyway.
STANDBY_NOTIFY_SECONDS = 1.0

# SQLSTATE classes that mean "try again later", not "this statement is wrong":
# 08 connection exception, 53 insufficient resources, 57 operator intervention (terminated, shutting
# down), 40 transaction rollback (serialization failure, deadlock).
_TRANSIENT_CLASSES = ("08", "53", "57", "40")


def _statement(sql: str, params: Params) -> tuple[str, Sequence[Any]]:
    """The statement as asyncpg takes it: ``$n`` placeholders and their values in order."""
    if isinstance(params, Mapping):
        text, names = to_dollar_named(sql)
        return text, [params[name] for name in names]
    return to_dollar(sql), params


def _statement_many(sql: str, params: Iterable[Params]) -> tuple[str, list[Sequence[Any]]]:
    """``_statement`` for a list of parameter tuples or mappings (all of one kind)."""
    rows = list(params)
    if rows and isinstance(rows[0], Mapping):
        text, names = to_dollar_named(sql)
        return text, [[row[name] for name in names] for row in rows]  # type: ignore[call-overload]
    return to_dollar(sql), rows  # type: ignore[return-value]


def _channel(name: str) -> str:
    """A channel name PostgreSQL keeps whole: ``pg_notify`` refuses names over 63 bytes, and ``LISTEN``
    cuts them short, so a long schema's channel is named by a digest of it."""
    if len(name) <= _NAME_MAX:
        return name
    return f"{name[:30]}_{hashlib.sha256(name.encode()).hexdigest()[:32]}"


def _count(status: str) -> int:
    """Rows changed, from a command tag such as ``UPDATE 3`` or ``INSERT 0 1``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def parse_url(url: str) -> tuple[str, str | None]:
    """Split hookline's ``schema`` parameter off a PostgreSQL URL: (URL for asyncpg, schema or None)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), None)
    if schema is not None and not _IDENTIFIER.match(schema):
        raise StoreError(f"invalid schema name {schema!r} in the database URL")
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    scheme = "postgresql" if parts.scheme == "postgres" else parts.scheme
    return urlunsplit((scheme, parts.netloc, parts.path, rest, parts.fragment)), schema


def translate_error(exc: BaseException) -> StoreError | None:
    """The StoreError for a driver or network failure, or None when ``exc`` is not one."""
    import asyncpg

    if isinstance(exc, StoreError):
        return exc
    if isinstance(exc, asyncpg.UniqueViolationError):
        return ConflictError(f"already exists: {exc}")
    if isinstance(exc, asyncpg.PostgresError):
        state = getattr(exc, "sqlstate", None) or ""
        if state[:2] in _TRANSIENT_CLASSES:
            return StoreUnavailableError(f"the database is unavailable now: {exc}")
        return StoreError(f"database error: {exc}")
    if isinstance(exc, asyncpg.InterfaceError | asyncpg.InternalClientError | OSError | TimeoutError):
        # a closed or broken connection (a server-side termination can also surface as a protocol
        # state error), a refused connect, a timed-out acquire
        return StoreUnavailableError(f"the database is unreachable now: {exc!r}")
    return None


def _connection_lost(exc: BaseException) -> bool:
    """True when ``exc`` leaves its connection unusable (it must not go back to the pool)."""
    import asyncpg

    if isinstance(exc, asyncpg.PostgresError):
        return (getattr(exc, "sqlstate", None) or "")[:2] in ("08", "57")
    return isinstance(exc, asyncpg.InterfaceError | asyncpg.InternalClientError | OSError | TimeoutError)


class _PgConn:
    """One pooled connection; driver errors come out as StoreErrors already."""

    dialect = "postgres"

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        try:
            text, values = _statement(sql, params)
            return _count(await self._conn.execute(text, *values))
        except Exception as exc:
            raise _translated(exc) from exc

    async def executemany(self, sql: str, params: Iterable[Params]) -> None:
        try:
            text, rows = _statement_many(sql, params)
            if rows:
                await self._conn.executemany(text, rows)
        except Exception as exc:
            raise _translated(exc) from exc

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        try:
            text, values = _statement(sql, params)
            return list(await self._conn.fetch(text, *values))
        except Exception as exc:
            raise _translated(exc) from exc

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        try:
            text, values = _statement(sql, params)
            row: Row | None = await self._conn.fetchrow(text, *values)
            return row
        except Exception as exc:
            raise _translated(exc) from exc


@contextlib.asynccontextmanager
async def atomic(conn: Conn) -> AsyncIterator[Conn]:
    """Its statements as one transaction on a plain connection this caller holds (from ``reader``
    or ``keyed``): BEGIN and COMMIT on it, without taking another connection from a pool."""
    assert isinstance(conn, _PgConn), conn
    tx = conn._conn.transaction()
    try:
        await tx.start()
    except Exception as exc:
        raise _translated(exc) from exc
    async with _committed(conn._conn, tx):
        yield conn


@contextlib.asynccontextmanager
async def _committed(conn: Any, tx: Any) -> AsyncIterator[None]:
    """Commit the started transaction ``tx`` after the block, or roll it back if the block raised;
    driver errors come out as StoreErrors."""
    try:
        yield
    except BaseException as exc:
        with contextlib.suppress(Exception):
            if not conn.is_closed():
                await tx.rollback()
        err = translate_error(exc)
        if err is None or err is exc:
            raise
        raise err from exc
    try:
        await tx.commit()
    except Exception as exc:
        # when the connection died the commit's fate is unknown; the caller sees
        # StoreUnavailableError and the at-least-once paths take over (the client retries
        # with its idempotency key, an unrecorded delivery's lease expires)
        raise _translated(exc) from exc


async def _no_reset(_conn: Any) -> None:
    """hookline sets no session state, so a released connection needs no reset round trip."""


# The keyed pool's sessions plan each statement once, with index look-ups and nested loops only. That
# suits only statements whose every row is reached by key through the one index that can serve it
# (accepting, claiming, recording outcomes): a plan made once by the planner's own costing is made for
# the tables of that moment, and made while they were nearly empty it would scan them whole, or pick
# another index on the same column, on every batch from then on.
KEYED_SETTINGS = {
    "plan_cache_mode": "force_generic_plan",
    "enable_seqscan": "off",
    "enable_hashjoin": "off",
    "enable_mergejoin": "off",
}


class PostgresDatabase:
    """A pool of asyncpg connections; transactions for writes, autocommit connections for reads."""

    dialect = "postgres"

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        keyed_size: int = 3,
        acquire_timeout: float = 30.0,
        command_timeout: float = 60.0,
    ) -> None:
        self.url = url
        self.dsn, self.schema = parse_url(url)
        self.min_size = min_size
        self.max_size = max_size
        self.keyed_size = keyed_size
        self.acquire_timeout = acquire_timeout
        self.command_timeout = command_timeout
        self._pool: Any = None
        self._keyed: Any = None

    @property
    def channel(self) -> str:
        """The ``NOTIFY`` channel announcing new work (one per schema, so schemas do not wake each other)."""
        return _channel(f"hookline_work_{self.schema}" if self.schema else "hookline_work")

    @property
    def standby_channel(self) -> str:
        """The channel that workers standing by hear instead: new work, about once a second."""
        return _channel(f"hookline_standby_{self.schema}" if self.schema else "hookline_standby")

    def connect_kwargs(self) -> dict[str, Any]:
        """Arguments for ``asyncpg.connect``/``create_pool`` besides the DSN."""
        # A prepared statement's generic plan is made once, from the table sizes of that moment: made
        # while the dispatch table was small, it scans the whole table on every batch forever after
        # (until an ANALYZE, which autovacuum may never run). Custom plans see the batch's real sizes.
        settings = {"application_name": "hookline", "plan_cache_mode": "force_custom_plan"}
        if self.schema:
            settings["search_path"] = self.schema
        return {
            "server_settings": settings,
            "command_timeout": self.command_timeout,
            "statement_cache_size": 1024,
        }

    async def open(self) -> None:
        import asyncpg

        try:
            self._pool = await asyncpg.create_pool(
                self.dsn,
                min_size=self.min_size,
                max_size=self.max_size,
                reset=_no_reset,
                **self.connect_kwargs(),
            )
            keyed = self.connect_kwargs()
            keyed["server_settings"] = {**keyed["server_settings"], **KEYED_SETTINGS}
            self._keyed = await asyncpg.create_pool(
                self.dsn, min_size=1, max_size=self.keyed_size, reset=_no_reset, **keyed
            )
        except Exception as exc:
            await self.close()
            err = translate_error(exc)
            if err is None:
                raise
            raise err from exc

    async def close(self) -> None:
        for name in ("_keyed", "_pool"):
            pool = getattr(self, name)
            if pool is None:
                continue
            setattr(self, name, None)
            try:
                await asyncio.wait_for(pool.close(), 10)
            except (TimeoutError, OSError):
                pool.terminate()

    async def connect(self) -> Any:
        """A dedicated connection outside the pool (for ``LISTEN``)."""
        import asyncpg

        return await asyncpg.connect(self.dsn, timeout=10, **self.connect_kwargs())

    async def _take(self, keyed: bool = False) -> Any:
        pool = self._keyed if keyed else self._pool
        if pool is None:
            raise StoreUnavailableError("the database is closed")
        try:
            return await pool.acquire(timeout=self.acquire_timeout)
        except Exception as exc:
            raise _translated(exc) from exc

    async def _give(self, conn: Any, exc: BaseException | None = None, keyed: bool = False) -> None:
        if exc is not None and _connection_lost(exc.__cause__ or exc):
            # a connection the server already dropped has left the pool by itself
            with contextlib.suppress(Exception):
                conn.terminate()
        try:
            await (self._keyed if keyed else self._pool).release(conn)
        except Exception as release_exc:  # a broken connection is dropped from the pool; nothing to release
            log.debug("releasing a broken connection: %r", release_exc)

    @contextlib.asynccontextmanager
    async def _acquire(self, keyed: bool = False) -> AsyncIterator[Any]:
        conn = await self._take(keyed)
        failure: BaseException | None = None
        try:
            yield conn
        except BaseException as exc:
            failure = exc
            raise
        finally:
            await self._give(conn, failure, keyed)

    async def _begin(self) -> tuple[Any, Any]:
        """A connection with a transaction started on it.

        An idle pooled connection that the server ended meanwhile fails on BEGIN, before anything
        ran on it: that one is thrown away and the next tried, so a restart or failover of the
        database costs callers one error at most, not one per pooled connection.
        """
        for tries_left in range(self.max_size, -1, -1):
            conn = await self._take()
            tx = conn.transaction()
            try:
                await tx.start()
                return conn, tx
            except asyncio.CancelledError as exc:
                # cancelled with BEGIN sent and its answer not read (a server stopping): the session may
                # be in a transaction and released connections are not reset, so it is closed, not
                # pooled again; kept checked out, it would hold the pool's close for its whole timeout
                conn.terminate()
                await self._give(conn, exc)
                raise
            except Exception as exc:
                await self._give(conn, exc)
                if not tries_left or not _connection_lost(exc):
                    raise _translated(exc) from exc
        raise AssertionError("unreachable")

    async def run_transaction(self, job: Callable[[Conn], Awaitable[T]]) -> T:
        """Run ``job`` in one transaction."""
        async with self.transaction() as tx:
            return await job(tx)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        conn, tx = await self._begin()
        failure: BaseException | None = None
        try:
            async with _committed(conn, tx):
                yield _PgConn(conn)
        except BaseException as exc:
            failure = exc  # _give looks at the driver's error, the cause of a translated one
            raise
        finally:
            await self._give(conn, failure)

    def reader(self) -> contextlib.AbstractAsyncContextManager[Conn]:
        """A plain (autocommit) connection."""
        return self._plain(keyed=False)

    def keyed(self) -> contextlib.AbstractAsyncContextManager[Conn]:
        """A plain connection for statements that reach every row by key (see ``KEYED_SETTINGS``)."""
        return self._plain(keyed=True)

    @contextlib.asynccontextmanager
    async def _plain(self, keyed: bool) -> AsyncIterator[Conn]:
        async with self._acquire(keyed) as conn:
            try:
                yield _PgConn(conn)
            except Exception as exc:
                err = translate_error(exc)
                if err is None or err is exc:
                    raise
                raise err from exc

    async def notify(self, channels: Sequence[str]) -> None:
        """Send ``NOTIFY`` on each of ``channels`` through the pool, in one statement."""
        async with self._acquire() as conn:
            try:
                await conn.execute("SELECT pg_notify(c, '') FROM unnest($1::text[]) AS c", list(channels))
            except Exception as exc:
                raise _translated(exc) from exc


def _translated(exc: BaseException) -> BaseException:
    return translate_error(exc) or exc


class PostgresWakeup(Wakeup):
    """Wakes workers in every process: ``NOTIFY`` on announce, ``LISTEN`` on a dedicated connection.

    The listening connection is re-opened after a drop and rings once when it is back, since a
    notification sent while it was down is lost; the worker's fallback timer bounds any other miss.
    Announcements that arrive while one ``NOTIFY`` is on its way are coalesced into one more.

    A worker that has stood by for a while listens to the standby channel instead, which
    announcements reach about once a second: it is not woken (nor is its server process) a hundred
    times a second for work the active workers take.

    The listening loop retries driver and network failures itself; anything else ends it, and
    ``supervisor`` (the server's, so the health endpoint sees it) logs that and starts it again.
    """

    def __init__(
        self,
        store: _HasDatabase,
        *,
        reconnect_delay: float = 0.5,
        heartbeat: float = 15.0,
        supervisor: Supervisor | None = None,
    ) -> None:
        super().__init__()
        self.supervisor = supervisor or Supervisor()
        db = store.db
        if not isinstance(db, PostgresDatabase):
            raise StoreError("PostgresWakeup needs a PostgreSQL store")
        self.db = db
        self.channel = db.channel
        self.standby_channel = db.standby_channel
        self.reconnect_delay = reconnect_delay
        self.heartbeat = heartbeat
        self.listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._conn: Any = None
        self._notifier: asyncio.Task[None] | None = None
        self._again = False
        self._standby_told_at = float("-inf")
        self._standing_by = False
        self._listening_to: str | None = None
        self._switcher: asyncio.Task[None] | None = None
        # one operation at a time on the listening connection: the heartbeat and channel switches
        self._conn_lock = asyncio.Lock()

    async def start(self) -> None:
        """Open the listening connection (waiting briefly for it) and keep it open in the background."""
        self._task = self.supervisor.start("wakeup", self._listen_forever)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.listening.wait(), 10)

    async def stop(self) -> None:
        """Send the last announcement, stop listening and close the connection."""
        if self._notifier is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._notifier, 5)
        for task in (self._switcher, self._task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._switcher = self._task = None

    async def announce(self) -> None:
        """Ring here and ``NOTIFY`` every other process.

        The ``NOTIFY`` goes out in the background, so the caller (the acceptor, between two batch
        commits) never waits for it; a failed one is logged, and workers fall back to their timer.
        """
        self.ring()
        self._again = True
        if self._notifier is None or self._notifier.done():
            self._notifier = asyncio.create_task(self._notify(), name="hookline-notify")

    async def _notify(self) -> None:
        loop = asyncio.get_running_loop()
        while self._again:
            self._again = False
            channels = [self.channel]
            told_at = self._standby_told_at
            if loop.time() - told_at >= STANDBY_NOTIFY_SECONDS:
                channels.append(self.standby_channel)
                self._standby_told_at = loop.time()
            try:
                await self.db.notify(channels)
            except StoreError as exc:
                # workers standing by hear so rarely that the next announcement tells them again
                self._standby_told_at = told_at
                log.warning("NOTIFY failed (workers fall back to their timer): %s", exc)
                return

    def _on_notify(self, *_args: Any) -> None:
        self.ring()

    def stand_by(self, standing_by: bool) -> None:
        """Listen to the standby channel (``True``) or to every announcement (``False``).

        The switch happens in the background: the worker's loop never waits on the listening connection.
        """
        self._standing_by = standing_by
        if self._switcher is None or self._switcher.done():
            self._switcher = asyncio.create_task(self._switch(), name="hookline-listen-switch")

    def _wanted(self) -> str:
        return self.standby_channel if self._standing_by else self.channel

    async def _switch(self) -> None:
        async with self._conn_lock:
            # the state may flip again while a switch is under way
            while self._conn is not None and self._listening_to != (wanted := self._wanted()):
                try:
                    # the new channel first: hearing both for a moment is harmless, hearing neither is not
                    await self._conn.add_listener(wanted, self._on_notify)
                    if self._listening_to is not None:
                        await self._conn.remove_listener(self._listening_to, self._on_notify)
                    self._listening_to = wanted
                except Exception as exc:
                    # a new connection listens to the wanted channel from the start
                    log.warning("switching the LISTEN channel failed (%r); reconnecting", exc)
                    with contextlib.suppress(Exception):
                        self._conn.terminate()
                    return

    async def _listen_forever(self) -> None:
        delay = self.reconnect_delay
        while True:
            lost = asyncio.Event()
            conn: Any = None
            try:
                conn = await self.db.connect()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                async with self._conn_lock:
                    channel = self._wanted()
                    await conn.add_listener(channel, self._on_notify)
                    self._conn, self._listening_to = conn, channel
                self.listening.set()
                delay = self.reconnect_delay
                self.ring()  # whatever was announced while we were not listening
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), self.heartbeat)
                    if not lost.is_set():
                        # a half-open connection only shows itself when used
                        async with self._conn_lock:
                            await asyncio.wait_for(conn.execute("SELECT 1"), self.heartbeat)
                log.warning("the LISTEN connection was closed; reconnecting")
            except Exception as exc:
                if translate_error(exc) is None:
                    raise  # not the database or the network: a fault the supervisor reports
                log.warning("LISTEN connection failed (%r); retrying in %.1f s", exc, delay)
            finally:
                self.listening.clear()
                self._conn, self._listening_to = None, None
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(conn.close(), 2)
                    if not conn.is_closed():
                        conn.terminate()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
