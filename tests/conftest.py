"""Shared fixtures: real databases, a real hookline server and a recording receiver on free ports."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import postgres
from tests.support.servers import HooklineServer, RecordingReceiver


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashes() -> Iterator[None]:
    """Hash passwords with argon2's cheapest parameters in the servers tests run in this process.

    At its recommended cost a hash takes about a fifth of a second of CPU, and the identity tests make
    thousands; no test but those using ``real_password_cost`` depends on the cost. Servers the tests
    start as processes keep the real cost.
    """
    from argon2 import PasswordHasher

    from hookline.identity import passwords

    real = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield
    passwords._hasher = real


@pytest.fixture(autouse=True, scope="session")
def _schemas_dropped() -> Iterator[None]:
    """The session ends once the PostgreSQL schemas its tests made are dropped (in the background)."""
    yield
    postgres.wait_for_drops()


@pytest.fixture
def real_password_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its recommended cost, for tests about what hashing costs (off the loop, bounded)."""
    from argon2 import PasswordHasher

    from hookline.identity import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher())


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database file."""
    return f"sqlite:///{tmp_path / 'hookline.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL schema at HOOKLINE_TEST_POSTGRES_URL, as a hookline database URL.

    Skips the test when PostgreSQL is unreachable (fails it under CI=true); dropped afterwards.
    """
    name, url = postgres.create_schema()
    yield url
    postgres.drop_schema(name)


@pytest.fixture
def pg_migrated_url() -> Iterator[str]:
    """A fresh PostgreSQL database with every migration applied (a copy of a migrated template), as a
    hookline database URL; dropped afterwards. For tests of what a server does, not of migrating."""
    name, url = postgres.create_migrated_database()
    yield url
    postgres.drop_database_later(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database on each backend in turn: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hookline.db'}"
        return
    name, url = postgres.create_schema()
    yield url
    postgres.drop_schema(name)


@pytest.fixture
def pg_server(pg_url: str) -> Iterator[HooklineServer]:
    """hookline (API + worker) on a free port over a fresh PostgreSQL schema; retries in milliseconds."""
    server = HooklineServer(database_url=pg_url).start()
    yield server
    server.stop()


@pytest.fixture
def any_server(database_url: str) -> Iterator[HooklineServer]:
    """hookline (API + worker) over each backend in turn: a test using it runs on SQLite and PostgreSQL."""
    server = HooklineServer(database_url=database_url).start()
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[RecordingReceiver]:
    """A webhook receiver on a free port that records what it gets."""
    r = RecordingReceiver().start()
    yield r
    r.stop()


def server_backend() -> str:
    """The backend of the ``hookline_server`` fixture: ``HOOKLINE_TEST_BACKEND=postgres`` runs the
    API and engine tests on PostgreSQL (a fresh schema per test) instead of SQLite."""
    return os.environ.get("HOOKLINE_TEST_BACKEND", "sqlite").lower()


@pytest.fixture
def hookline_server(request: pytest.FixtureRequest) -> Iterator[HooklineServer]:
    """hookline (API + worker) on a free port over a fresh database; retries in milliseconds.

    SQLite by default; PostgreSQL under ``HOOKLINE_TEST_BACKEND=postgres``.
    """
    url = request.getfixturevalue("pg_url" if server_backend() == "postgres" else "sqlite_url")
    server = HooklineServer(database_url=url).start()
    yield server
    server.stop()


def in_ci() -> bool:
    """True under CI, where a missing service fails tests instead of skipping them."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")
