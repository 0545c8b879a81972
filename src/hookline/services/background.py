"""Svix's task-backed operations: bulk replay, usage statistics, event types in use, expunging every
payload of an application; the list of background tasks; and the two small reads beside them
(``message.precheck``, ``endpoint.get_attempt_stats``).

Svix runs these as background tasks and answers 202 with the task; hookline does the work within the
request (each is one or two statements) and answers the same 202 with the task already ``finished``,
its ``data`` shaped as Svix documents it. ``background_task.finished`` is raised for each.
"""

from __future__ import annotations

import math
import time
from typing import Any

from hookline.services.attempt_lists import check_iterator
from hookline.services.errors import FieldError
from hookline.services.replay import finished_task
from hookline.services.runtime import Runtime
from hookline.store.operational import OPERATIONAL_APP_ID
from hookline.store.records import Application, Endpoint, Page, Task, TriggerType
from hookline.store.usage import Usage

TASK_KINDS = (
    "endpoint.replay", "endpoint.recover", "application.stats", "message.broadcast", "sdk.generate",
    "event-type.aggregate", "application.purge_content", "endpoint.bulk-replay",
)  # fmt: skip
TASK_STATUSES = ("running", "finished", "failed")
HOUR = 3600.0


async def list_tasks(
    rt: Runtime, status: str | None, kind: str | None, limit: int, iterator: str | None, ascending: bool
) -> Page:
    """Background tasks, filtered by status and kind; an iterator must be a task id (``qtask_…``)."""
    return await Usage(rt.store.db).list_tasks(
        status, kind, limit, check_iterator(iterator, "qtask"), ascending
    )


async def precheck(rt: Runtime, app: Application, event_type: str, channels: list[str] | None) -> bool:
    """Whether an enabled endpoint of the application would be sent such a message."""
    wanted = tuple(channels) if channels else None
    iterator: str | None = None
    while True:
        page = await rt.store.list_endpoints(app.id, 250, iterator)
        if any(not ep.disabled and ep.accepts(event_type, wanted) for ep in page.data):
            return True
        if page.done or not page.iterator:
            return False
        iterator = page.iterator


async def attempt_stats(
    rt: Runtime, ep: Endpoint, since: float | None, until: float | None
) -> dict[str, int]:
    """Attempts to the endpoint by outcome, the window rounded out to whole hours (as Svix): the last
    28 days when unbounded."""
    now = time.time()
    end = math.ceil((until if until is not None else now) / HOUR) * HOUR
    start = math.floor((since if since is not None else end - 28 * 86400) / HOUR) * HOUR
    if start >= end:
        raise FieldError(["query", "since"], "since must be before until")
    counts = await Usage(rt.store.db).attempt_counts(ep.id, start, end)
    return {"success": counts.get(0, 0), "fail": counts.get(2, 0), "canceled": counts.get(4, 0)}


async def bulk_replay(
    rt: Runtime,
    ep: Endpoint,
    since: float,
    until: float | None,
    *,
    event_types: list[str] | None,
    channel: str | None,
    tag: str | None,
    status: int | None,
    code_class: int | None,
) -> Task:
    """Send the endpoint again every message since ``since`` it was sent (successful or failed) that
    the filters keep; the task's data is ``{"messagesSent": n}``."""
    ids = await Usage(rt.store.db).replayable(
        ep.id,
        since,
        until,
        event_types=event_types,
        channel=channel,
        tag=tag,
        status=status,
        code_class=code_class,
    )
    for msg_id in ids:
        await rt.store.requeue(ep.app_id, msg_id, [ep.id], TriggerType.MANUAL)
    if ids:
        await rt.wakeup.announce()
    return await finished_task(rt, "endpoint.bulk-replay", {"messagesSent": len(ids)})


async def expunge_all(rt: Runtime, app: Application) -> Task:
    """Delete every message payload of the application (the messages stay): ``{"messagesPurged": n}``."""
    purged = await Usage(rt.store.db).expunge_app(app.id)
    return await finished_task(rt, "application.purge_content", {"messagesPurged": purged})


async def app_stats(
    rt: Runtime, since: float, until: float, app_keys: list[str] | None
) -> tuple[Task, list[str]]:
    """Deliveries per application of messages created in the window; unknown ids or uids are returned
    (all unknown: a 422, as Svix)."""
    if since >= until:
        raise FieldError(["body", "until"], "until must be after since")
    apps: dict[str, Application] = {}
    unresolved: list[str] = []
    if app_keys is not None:
        for key in app_keys:
            app = await rt.store.get_app(key)
            if app is None:
                unresolved.append(key)
            else:
                apps[app.id] = app
        if app_keys and not apps:
            raise FieldError(["body", "appIds"], "none of the given application ids or uids exists")
    counts = await Usage(rt.store.db).destinations(
        since, until, sorted(apps) if app_keys is not None else None
    )
    counts.pop(OPERATIONAL_APP_ID, None)
    stats: list[dict[str, Any]] = []
    for app_id in sorted(counts):
        app = apps.get(app_id) or await rt.store.get_app(app_id)
        stats.append(
            {"messageDestinations": counts[app_id], "appId": app_id, "appUid": app.uid if app else None}
        )
    task = await finished_task(rt, "application.stats", {"appStats": stats})
    return task, unresolved


async def aggregate_event_types(rt: Runtime) -> Task:
    """Per application, the event types its endpoints subscribe to by name, and whether one takes all."""
    by_app: dict[str, dict[str, Any]] = {}
    for app_id, types in await Usage(rt.store.db).endpoint_filters(OPERATIONAL_APP_ID):
        entry = by_app.setdefault(
            app_id, {"appId": app_id, "explicitlySubscribedEventTypes": set(), "hasCatchAllEndpoint": False}
        )
        if types is None:
            entry["hasCatchAllEndpoint"] = True
        else:
            entry["explicitlySubscribedEventTypes"].update(types)
    rows = [
        {**e, "explicitlySubscribedEventTypes": sorted(e["explicitlySubscribedEventTypes"])}
        for e in by_app.values()
    ]
    return await finished_task(rt, "event-type.aggregate", {"event_types": rows})
