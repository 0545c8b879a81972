"""Opening the store while the database is unavailable: a starting process waits for it a while."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from hookline.store.db import Conn, Database, open_database
from hookline.store.errors import StoreError, StoreUnavailableError
from hookline.store.migrate import migrate, migration_files
from hookline.store.store import Store


async def test_connect_keeps_trying_an_unavailable_database_within_its_patience(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = Store._open
    calls = 0

    async def flaky(url: str, run_migrations: bool) -> Store:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise StoreUnavailableError("the database is unreachable now: terminated")
        return await opened(url, run_migrations)

    monkeypatch.setattr(Store, "_open", staticmethod(flaky))
    store = await Store.connect(f"sqlite:///{tmp_path / 'h.db'}", patience=10)
    try:
        assert calls == 3
        assert await store.list_apps(10, None) is not None
    finally:
        await store.close()


async def test_connect_gives_up_after_its_patience_and_at_once_on_other_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = 0

    async def down(url: str, run_migrations: bool) -> Store:
        nonlocal calls
        calls += 1
        raise StoreUnavailableError("the database is unreachable now: refused")

    monkeypatch.setattr(Store, "_open", staticmethod(down))
    with pytest.raises(StoreUnavailableError):
        await Store.connect("sqlite:///unused.db")  # no patience: one try
    assert calls == 1

    async def broken(url: str, run_migrations: bool) -> Store:
        nonlocal calls
        calls += 1
        raise StoreError("database error: syntax")

    monkeypatch.setattr(Store, "_open", staticmethod(broken))
    calls = 0
    with pytest.raises(StoreError):
        await Store.connect("sqlite:///unused.db", patience=10)
    assert calls == 1


class _DropsFirstMigration:
    """A database whose connection is lost during the first migration's first statement, once."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.dialect = db.dialect
        self.dropped = False

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        async with self.db.transaction() as tx:
            yield self._Conn(tx, self)

    class _Conn:
        def __init__(self, tx: Conn, owner: _DropsFirstMigration) -> None:
            self.tx, self.owner = tx, owner

        async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
            if sql.startswith("CREATE TABLE applications") and not self.owner.dropped:
                self.owner.dropped = True
                raise StoreUnavailableError("the database is unreachable now: terminated")
            return await self.tx.execute(sql, params)

        async def fetchone(self, sql: str, params: Sequence[object] = ()) -> object:
            return await self.tx.fetchone(sql, params)

        async def fetchall(self, sql: str, params: Sequence[object] = ()) -> object:
            return await self.tx.fetchall(sql, params)


async def test_a_connection_lost_during_a_migration_is_unavailability_not_a_failed_migration(
    tmp_path: Path,
) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'h.db'}")
    await db.open()
    try:
        flaky = _DropsFirstMigration(db)
        with pytest.raises(StoreUnavailableError):  # so a starting process waits and tries again
            await migrate(flaky)  # type: ignore[arg-type]
        applied = await migrate(flaky)  # type: ignore[arg-type]
        assert applied == [name for _v, name, _sql in migration_files("sqlite")]
    finally:
        await db.close()
