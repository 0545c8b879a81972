"""Sending again: one message to one endpoint, every failed delivery since a time, and messages never sent."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from hookline.ids import new_id
from hookline.services import operational_events
from hookline.services.errors import OperationError
from hookline.services.runtime import Runtime
from hookline.store.records import Endpoint, Message, Task, TriggerType


async def resend(rt: Runtime, msg: Message, ep: Endpoint) -> None:
    """Send ``msg`` to ``ep`` again now (a manual attempt); refused once its payload has expired."""
    if msg.payload is None:
        raise OperationError(400, "payload_expired", "the message payload has expired and cannot be resent")
    await rt.store.requeue(ep.app_id, msg.id, [ep.id], TriggerType.MANUAL)
    await rt.wakeup.announce()


async def recover(rt: Runtime, ep: Endpoint, since: float, until: float | None = None) -> int:
    """Schedule again every failed delivery to ``ep`` of messages since ``since``; return how many."""
    count = await rt.store.recover(ep.id, since, until)
    await rt.wakeup.announce()
    return count


async def replay_missing(rt: Runtime, ep: Endpoint, since: float, until: float | None = None) -> int:
    """Send ``ep`` the messages since ``since`` it should have had and never got; return how many."""
    count = await rt.store.replay_missing(ep, since, until)
    await rt.wakeup.announce()
    return count


PREVIEW_SCAN = 5_000  # a replay-missing preview looks at this many messages at most


@dataclass(frozen=True)
class Preview:
    """What a replay or recovery would send: ``count`` deliveries, exact when ``complete``, else a lower
    bound found among the first ``PREVIEW_SCAN`` messages (the replay itself goes through all of them)."""

    count: int
    complete: bool = True


async def preview(rt: Runtime, ep: Endpoint, kind: str, since: float) -> Preview:
    """How many deliveries ``recover`` (``kind="recover"``: failed ones) or ``replay_missing``
    (``kind="missing"``) would schedule for ``ep`` since ``since``, before doing it."""
    if kind == "recover":
        return Preview(await rt.store.count_failed(ep.id, since))
    if kind == "missing":
        return Preview(*await rt.store.count_missing(ep, since, PREVIEW_SCAN))
    raise OperationError(422, "validation", f"unknown kind of replay {kind!r}: recover or missing")


async def finished_task(rt: Runtime, kind: str, data: dict[str, Any]) -> Task:
    """Record a background task that finished at once (Svix answers recover and replay with one)."""
    task = await rt.store.put_task(Task(new_id("qtask"), kind, "finished", data, time.time()))
    await operational_events.task_finished(rt, task)
    return task
