"""Operational webhooks' own application: where their endpoints and the messages about events live.

Svix sends its operational events (``endpoint.created``, ``message.attempt.exhausted``, ...) as ordinary
webhooks from a separate organization. hookline keeps one internal application for them, so the same
engine signs, retries and records them; the application is hidden from every tenant-facing look-up
(``get_app``, ``list_apps`` and message creation skip it).
"""

from __future__ import annotations

import json
import time
from typing import Any

from hookline.ids import new_id
from hookline.store.base import StoreBase, marks
from hookline.store.records import Application, Message, NewMessage
from hookline.store.rows import APP_COLS, app_params

# A well-formed Svix application id that no KSUID takes (its time part is zero).
OPERATIONAL_APP_ID = "app_0000000000000000operational"
OPERATIONAL_APP_NAME = "Operational webhooks"
# Svix's operational event types: what an operational endpoint's ``eventTypes`` may name.
OPERATIONAL_EVENT_TYPES = (
    "endpoint.created",
    "endpoint.updated",
    "endpoint.deleted",
    "endpoint.disabled",
    "endpoint.enabled",
    "message.attempt.exhausted",
    "message.attempt.failing",
    "message.attempt.recovered",
    "background_task.finished",
)
# operational messages keep their payload as long as Svix keeps a message's (90 days)
RETENTION_SECONDS = 90 * 86400.0


def operational_message(kind: str, data: dict[str, Any], now: float | None = None) -> NewMessage:
    """A message of the operational application: ``{"type": kind, "data": data}``, as Svix sends them."""
    at = time.time() if now is None else now
    body = json.dumps({"type": kind, "data": data}, separators=(",", ":"), ensure_ascii=False)
    msg = Message(
        new_id("msg", at), OPERATIONAL_APP_ID, kind, body, created_at=at, expires_at=at + RETENTION_SECONDS
    )
    return NewMessage(msg)


class OperationalStore(StoreBase):
    """The operational application's row, and whether anything listens to it."""

    async def operational_app(self) -> Application:
        """The operational application, created on first use."""
        now = time.time()
        app = Application(OPERATIONAL_APP_ID, OPERATIONAL_APP_NAME, created_at=now, updated_at=now)
        async with self.db.transaction() as tx:
            await tx.execute(
                f"INSERT INTO applications ({APP_COLS}) VALUES ({marks(7)}) ON CONFLICT DO NOTHING",
                app_params(app),
            )
            row = await tx.fetchone("SELECT created_at FROM applications WHERE id = ?", (OPERATIONAL_APP_ID,))
        created = row["created_at"] if row else now
        return Application(OPERATIONAL_APP_ID, OPERATIONAL_APP_NAME, created_at=created, updated_at=created)

    async def operational_listeners(self) -> bool:
        """True when an enabled operational endpoint exists (events are stored only then)."""
        async with self.db.reader() as c:
            row = await c.fetchone(
                "SELECT 1 AS one FROM endpoints WHERE app_id = ? AND disabled = 0 LIMIT 1",
                (OPERATIONAL_APP_ID,),
            )
        return row is not None
