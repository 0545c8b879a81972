"""Fixtures for the fault tests: a fresh database on each backend, and the processes on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.faults.harness import FaultRun
from tests.support import postgres


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fault_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(database name, URL): a SQLite file, then a PostgreSQL database of its own (so terminating its
    sessions touches nothing else)."""
    if request.param == "sqlite":
        yield "", f"sqlite:///{tmp_path / 'faults.db'}"
        return
    name, url = postgres.create_database("hl_faults")
    yield name, url
    postgres.drop_database(name)


@pytest.fixture
def fault_run(tmp_path: Path) -> Iterator[Callable[..., FaultRun]]:
    """``fault_run(database_url, **options)`` makes a ``FaultRun``; its processes stop after the test."""
    made: list[FaultRun] = []

    def make(database_url: str, **options: object) -> FaultRun:
        run = FaultRun(database_url, tmp_path / f"run{len(made)}", **options)  # type: ignore[arg-type]
        made.append(run)
        return run

    yield make
    for run in made:
        run.stop()
