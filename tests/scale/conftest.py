"""Fixtures for the fault tests: a fresh PostgreSQL database per test, and the processes on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from tests.scale.cluster import Cluster
from tests.support import postgres


@pytest.fixture
def pg_database() -> Iterator[tuple[str, str]]:
    """A fresh PostgreSQL database: (name, URL). Its own database, so terminating its sessions
    touches nothing else."""
    name, url = postgres.create_database("hl_scale")
    yield name, url
    postgres.drop_database(name)


@pytest.fixture
async def cluster(pg_database: tuple[str, str], tmp_path: Path) -> AsyncIterator[Callable[..., Cluster]]:
    """``await cluster(workers=2, lease_seconds=3)`` starts the processes; they are stopped after the test."""
    made: list[Cluster] = []

    async def start(workers: int = 2, **options: object) -> Cluster:
        c = Cluster(pg_database[1], tmp_path / f"cluster{len(made)}", **options)  # type: ignore[arg-type]
        made.append(c)
        return await c.start(workers)

    yield start  # type: ignore[misc]
    for c in made:
        c.stop()
