"""Clerk-shaped events, written through the delivery outbox in the caller's transaction."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from hookline.ids import new_id
from hookline.store.db import Conn
from hookline.store.records import Message, NewMessage
from hookline.store.store import Store

APP_UID = "identity"


@dataclass(frozen=True)
class RequestInfo:
    """Who made the change: Clerk puts this under ``event_attributes.http_request``."""

    client_ip: str = ""
    user_agent: str = ""


def envelope(
    event_type: str, data: dict[str, Any], instance_id: str, request: RequestInfo, at_ms: int
) -> dict[str, Any]:
    """The event body exactly as Clerk sends it (it carries no event id: receivers use ``svix-id``)."""
    return {
        "data": data,
        "event_attributes": {
            "http_request": {"client_ip": request.client_ip, "user_agent": request.user_agent}
        },
        "instance_id": instance_id,
        "object": "event",
        "timestamp": at_ms,
        "type": event_type,
    }


@dataclass(frozen=True)
class Pending:
    """An event built inside a change, accepted with it."""

    event_type: str
    body: dict[str, Any]


class Outbox:
    """Collects a change's events and accepts them into the ``identity`` application in the same transaction."""

    def __init__(self, store: Store, instance_id: str, request: RequestInfo) -> None:
        self.store = store
        self.instance_id = instance_id
        self.request = request
        self.events: list[Pending] = []

    def add(self, event_type: str, data: dict[str, Any]) -> None:
        """Queue one event; ``flush`` writes it."""
        at_ms = int(time.time() * 1000)
        self.events.append(
            Pending(event_type, envelope(event_type, data, self.instance_id, self.request, at_ms))
        )

    async def flush(self, tx: Conn) -> None:
        """Write the queued events as messages (with their dispatches) inside ``tx``."""
        if not self.events:
            return
        now = time.time()
        batch = [
            NewMessage(
                Message(
                    id=new_id("msg"),
                    app_id="",
                    event_type=p.event_type,
                    payload=json.dumps(p.body, separators=(",", ":")),
                    created_at=now,
                ),
                app_key=APP_UID,
            )
            for p in self.events
        ]
        results = await self.store.accept_in(tx, batch)
        for r in results:
            if isinstance(r, BaseException):
                raise r
