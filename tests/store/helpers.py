"""Builders for the rows the Store conformance tests need, and checks they share."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hookline.ids import new_id
from hookline.store.postgres import PostgresWakeup
from hookline.store.records import (
    Application,
    Attempt,
    Claim,
    Endpoint,
    Message,
    MessageStatus,
    NewMessage,
    Outcome,
    TriggerType,
)
from hookline.store.store import Store

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
DAY = 86400.0


async def app_on_postgres(store: Store, why_not_sqlite: str, **endpoint: Any) -> tuple[Application, Endpoint]:
    """An application with one endpoint, for a test that has nothing to test on SQLite (skipped there)."""
    if store.dialect != "postgres":
        pytest.skip(why_not_sqlite)
    app = await make_app(store)
    return app, await make_endpoint(store, app, **endpoint)


async def make_app(store: Store, uid: str | None = None, name: str = "Acme") -> Application:
    """Create an application."""
    now = time.time()
    return await store.create_app(Application(new_id("app"), name, uid, None, {}, now, now))


async def make_endpoint(store: Store, app: Application, **fields: Any) -> Endpoint:
    """Create an endpoint of ``app`` (fields override the defaults)."""
    now = time.time()
    fields.setdefault("url", "https://example.com/hook")
    ep = Endpoint(new_id("ep"), app.id, created_at=now, updated_at=now, **fields)
    return await store.create_endpoint(ep, SECRET)


def message(app: Application | None, event_type: str = "user.created", **fields: Any) -> Message:
    """A message of ``app`` (not stored)."""
    now = fields.pop("created_at", time.time())
    fields.setdefault("payload", json.dumps({"type": event_type}))
    fields.setdefault("expires_at", now + DAY)
    return Message(new_id("msg", now), app.id if app else "", event_type, created_at=now, **fields)


async def accept(store: Store, *messages: Message, **item: Any) -> list[Any]:
    """Accept messages, each as its own item; return the per-message results."""
    return await store.accept_messages([NewMessage(m, **item) for m in messages])


def outcome(
    claim: Claim,
    ok: bool,
    next_attempt_at: float | None = None,
    disable: str | None = None,
    at: float | None = None,
) -> Outcome:
    """The outcome of sending ``claim``: success, or failure with an optional next try."""
    now = time.time() if at is None else at
    attempt = Attempt(
        new_id("atmpt", now), claim.msg_id, claim.endpoint_id, claim.app_id, claim.url,
        MessageStatus.SUCCESS if ok else MessageStatus.FAIL, 200 if ok else 500, "ok" if ok else "boom", 3,
        claim.trigger, now, {"content-type": "application/json"},
    )  # fmt: skip
    return Outcome(attempt, next_attempt_at, disable)


async def statuses(store: Store, msg: Message) -> dict[str, MessageStatus]:
    """The delivery status of ``msg`` per endpoint id."""
    return {d.endpoint_id: d.status for d in await store.dispatches_for_message(msg.id)}


__all__ = [
    "DAY",
    "SECRET",
    "TriggerType",
    "accept",
    "make_app",
    "make_endpoint",
    "message",
    "outcome",
    "statuses",
]


@contextlib.asynccontextmanager
async def two_wakeups(
    url: str, reconnect_delay: float = 0.5
) -> AsyncIterator[tuple[PostgresWakeup, PostgresWakeup]]:
    """Started wake-ups of two stores on ``url``, as of two processes; all closed after."""
    a, b = await Store.connect(url), await Store.connect(url, run_migrations=False)
    wa, wb = PostgresWakeup(a), PostgresWakeup(b, reconnect_delay=reconnect_delay)
    await wa.start()
    await wb.start()
    try:
        yield wa, wb
    finally:
        await wa.stop()
        await wb.stop()
        await a.close()
        await b.close()


async def announce_reaches_another_store(url: str) -> None:
    """Two stores on ``url``, as two processes: an announcement of one wakes the other."""
    async with two_wakeups(url) as (wa, wb):
        await wb.wait(0)  # the ring every listener gives itself on (re)connect
        await wa.announce()
        assert await wb.wait(10)
