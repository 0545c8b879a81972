"""The store: every read and write hookline makes of its delivery tables, as SQL shared by SQLite
and PostgreSQL.

``Store`` is made of one part per aggregate, each in its own module with its SQL: settings,
applications (and event types), endpoints (and their secrets), messages (accepting them),
dispatches (claiming, recording outcomes, scheduling again), attempts, and tasks. Identity, relay
and session tables have their own modules (``hookline.identity``, ``hookline.relay``,
``store.auth_sessions``) over the same ``Database``.
"""

from __future__ import annotations

import asyncio
import logging
import time

from hookline.store.applications import ApplicationStore
from hookline.store.attempts import AttemptStore
from hookline.store.db import open_database
from hookline.store.dispatches import DispatchStore
from hookline.store.endpoints import EndpointStore
from hookline.store.errors import StoreUnavailableError
from hookline.store.messages import MessageStore
from hookline.store.migrate import migrate
from hookline.store.operational import OperationalStore
from hookline.store.settings import SettingsStore
from hookline.store.tasks import TaskStore

log = logging.getLogger("hookline.store")


class Store(
    SettingsStore, ApplicationStore, EndpointStore, MessageStore, DispatchStore, AttemptStore, TaskStore,
    OperationalStore,
):  # fmt: skip
    """hookline's persistence. ``await Store.connect(url)`` opens and migrates the database."""

    @classmethod
    async def connect(cls, url: str, *, run_migrations: bool = True, patience: float = 0.0) -> Store:
        """Open the database at ``url`` and (by default) apply pending migrations.

        While the database is unavailable (starting, failing over, dropping connections), keep trying
        for up to ``patience`` seconds before raising ``StoreUnavailableError``.
        """
        deadline = time.monotonic() + patience
        delay = 0.2
        while True:
            try:
                return await cls._open(url, run_migrations)
            except StoreUnavailableError as exc:
                if time.monotonic() + delay > deadline:
                    raise
                log.warning("the database is unavailable (%s); trying again in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    @classmethod
    async def _open(cls, url: str, run_migrations: bool) -> Store:
        db = open_database(url)
        await db.open()
        try:
            if run_migrations:
                await migrate(db)
        except BaseException:
            await db.close()
            raise
        return cls(db)

    async def close(self) -> None:
        """Close every connection."""
        await self.db.close()
