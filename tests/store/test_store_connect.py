"""Opening the store while the database is unavailable: a starting process waits for it a while."""

from __future__ import annotations

from pathlib import Path

import pytest

from hookline.store.errors import StoreError, StoreUnavailableError
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
