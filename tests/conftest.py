"""Shared fixtures: real databases, a real hookline server and a recording receiver on free ports."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import HooklineServer, RecordingReceiver


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database file."""
    return f"sqlite:///{tmp_path / 'hookline.db'}"


@pytest.fixture
def receiver() -> Iterator[RecordingReceiver]:
    """A webhook receiver on a free port that records what it gets."""
    r = RecordingReceiver().start()
    yield r
    r.stop()


@pytest.fixture
def hookline_server(sqlite_url: str) -> Iterator[HooklineServer]:
    """hookline (API + worker) on a free port over a fresh SQLite database; retries in milliseconds."""
    server = HooklineServer(database_url=sqlite_url).start()
    yield server
    server.stop()


def in_ci() -> bool:
    """True under CI, where a missing service fails tests instead of skipping them."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")
