"""The Store conformance fixtures: every test runs on a fresh SQLite file and on PostgreSQL.

PostgreSQL gets one schema per test module, migrated once and emptied before each test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from hookline.store.store import Store
from tests.support import postgres

TABLES = (
    "attempts, dispatches, endpoint_secrets, messages, endpoints, applications, event_types, idempotency, "
    "tasks, operational_events, settings"
)


@pytest.fixture(scope="module")
def pg_module_url() -> Iterator[str]:
    """A PostgreSQL schema shared by the tests of one module."""
    name, url = postgres.create_schema("hl_store")
    yield url
    postgres.drop_schema(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database URL of this run: a fresh SQLite file, or this module's PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_module_url")


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    """A migrated, empty store."""
    s = await Store.connect(store_url)
    if s.dialect == "postgres":
        async with s.db.transaction() as tx:
            await tx.execute(f"TRUNCATE {TABLES} CASCADE")
    yield s
    await s.close()


@pytest.fixture
async def other(store: Store, store_url: str) -> AsyncIterator[Store]:
    """A second store on the same database, as another process would open it."""
    s = await Store.connect(store_url, run_migrations=False)
    yield s
    await s.close()
