"""The test PostgreSQL: find it (skip locally, fail under CI), and make fresh schemas and databases.

Everything here is synchronous and runs asyncpg on a private loop in a short-lived thread, so it
can be called from any fixture, sync or async, without touching the test's event loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import os
import queue
import threading
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import pytest

POSTGRES_URL = os.environ.get("HOOKLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")

T = TypeVar("T")
_reachable: str | None = None  # "" once checked and reachable, else the reason it is not

# DROP statements for schemas and databases, run one after another by a background thread while the tests go on
_drops: queue.Queue[str] = queue.Queue()
_drop_errors: list[str] = []
_dropper_lock = threading.Lock()
_dropper: threading.Thread | None = None


def in_ci() -> bool:
    """True under CI, where a missing PostgreSQL fails tests instead of skipping them."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def run_sync(fn: Callable[[], Awaitable[T]]) -> T:
    """Run ``fn()`` to completion on a fresh event loop in its own thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(fn())).result()  # type: ignore[arg-type]


async def _connect(url: str = POSTGRES_URL) -> Any:
    import asyncpg

    return await asyncpg.connect(url, timeout=5)


def require_postgres() -> None:
    """Skip the calling test (fail it under ``CI=true``) when the test PostgreSQL is unreachable."""
    global _reachable
    if _reachable is None:

        async def probe() -> str:
            try:
                conn = await _connect()
            except Exception as exc:
                return f"PostgreSQL not reachable at {POSTGRES_URL} ({exc!r}); set HOOKLINE_TEST_POSTGRES_URL"
            await conn.close()
            return ""

        _reachable = run_sync(probe)
    if _reachable:
        if in_ci():
            pytest.fail(_reachable)
        pytest.skip(_reachable)


def with_query(url: str, **params: str) -> str:
    """``url`` with query parameters added."""
    parts = urlsplit(url)
    query = "&".join([q for q in [parts.query] if q] + [f"{k}={v}" for k, v in params.items()])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def with_database(url: str, database: str) -> str:
    """``url`` pointing at another database on the same server."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def execute(sql: str, url: str = POSTGRES_URL) -> None:
    """Run one statement on the test server."""

    async def go() -> None:
        conn = await _connect(url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    run_sync(go)


def fetch(sql: str, url: str = POSTGRES_URL) -> list[Any]:
    """Run one query on the test server and return its rows."""

    async def go() -> list[Any]:
        conn = await _connect(url)
        try:
            return list(await conn.fetch(sql))
        finally:
            await conn.close()

    return run_sync(go)


def create_schema(prefix: str = "hl_test") -> tuple[str, str]:
    """Create an empty schema; return (its name, a hookline URL whose tables live in it)."""
    require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    execute(f'CREATE SCHEMA "{name}"')
    return name, with_query(POSTGRES_URL, schema=name)


def drop_schema(name: str) -> None:
    """Drop a schema made by ``create_schema`` with everything in it, in the background.

    Dropping fifty tables takes a few tenths of a second that no test needs to wait for; the test
    session waits for every drop at its end (``wait_for_drops``), and a drop that failed fails it there.
    """
    _drop_later(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def _drop_later(statement: str) -> None:
    global _dropper
    with _dropper_lock:
        if _dropper is None:
            _dropper = threading.Thread(target=_drop_queued, name="drop-schemas", daemon=True)
            _dropper.start()
    _drops.put(statement)


def _drop_queued() -> None:
    while True:
        statement = _drops.get()
        try:
            execute(statement)
        except Exception as exc:  # reported by wait_for_drops, at the end of the session
            _drop_errors.append(f"{statement}: {exc!r}")
        finally:
            _drops.task_done()


def wait_for_drops() -> None:
    """Wait until every schema and database given to be dropped is; fail naming any that could not be."""
    _drops.join()
    if _drop_errors:
        failed, _drop_errors[:] = list(_drop_errors), []
        raise AssertionError("not dropped: " + "; ".join(failed))


_template_lock = threading.Lock()
_template: str | None = None


def _migrations_digest() -> str:
    """A short digest of the PostgreSQL migrations, naming the template database they make."""
    from hookline.store.migrate import migration_files

    digest = hashlib.sha256()
    for _version, name, sql in migration_files("postgres"):
        digest.update(name.encode() + b"\0" + sql.encode() + b"\0")
    return digest.hexdigest()[:16]


def _migrated_template() -> str:
    """The name of a database holding every migration and nothing else, made once per set of migrations.

    Test processes racing to make it serialize on an advisory lock; a template left by other migrations
    is dropped. Copying it (``CREATE DATABASE … TEMPLATE``) takes tens of milliseconds where migrating a
    new schema took one to two seconds on a busy machine.
    """
    global _template
    with _template_lock:
        if _template is not None:
            return _template
        name = f"hl_template_{_migrations_digest()}"

        async def make() -> None:
            from hookline.store.store import Store

            conn = await _connect()
            try:
                await conn.execute("SELECT pg_advisory_lock(7107002)")
                try:
                    found = {r[0] for r in await conn.fetch(
                        "SELECT datname FROM pg_database WHERE datname LIKE 'hl\\_template\\_%'"
                    )}  # fmt: skip
                    for stale in found - {name}:
                        await conn.execute(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)')
                    if name not in found:
                        await conn.execute(f'CREATE DATABASE "{name}.part"')
                        store = await Store.connect(with_database(POSTGRES_URL, f"{name}.part"))
                        await store.close()
                        # renamed once complete, so an interrupted run never leaves a half-made template
                        await conn.execute(f'ALTER DATABASE "{name}.part" RENAME TO "{name}"')
                finally:
                    await conn.execute("SELECT pg_advisory_unlock(7107002)")
            finally:
                await conn.close()

        run_sync(make)
        _template = name
        return name


def create_migrated_database(prefix: str = "hl_test") -> tuple[str, str]:
    """Create a database with every migration applied (a copy of the template); return (its name, its URL)."""
    require_postgres()
    template = _migrated_template()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name, with_database(POSTGRES_URL, name)


def drop_database_later(name: str) -> None:
    """Drop a database made by ``create_migrated_database`` in the background, as ``drop_schema`` does a schema."""
    _drop_later(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_database(prefix: str = "hl_test") -> tuple[str, str]:
    """Create an empty database; return (its name, its URL)."""
    require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    execute(f'CREATE DATABASE "{name}"')
    return name, with_database(POSTGRES_URL, name)


def drop_database(name: str) -> None:
    """Drop a database made by ``create_database``, ending any session still connected to it."""
    execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def terminate_backends(database: str, application_name: str = "hookline") -> int:
    """End every session of ``application_name`` on ``database`` (as a failover would); return how many."""
    rows = fetch(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        f"WHERE datname = '{database}' AND application_name = '{application_name}' AND pid <> pg_backend_pid()"
    )
    return int(rows[0][0])
