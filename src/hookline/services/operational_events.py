"""Operational events raised by API operations (an endpoint created, updated, deleted, disabled or
enabled; a background task finished), sent as Svix sends them: a message of the operational application.

svix-server sends them after the change is committed and without failing the request when sending
fails; so does hookline (a failure is logged). Nothing is stored while no operational endpoint listens.
"""

from __future__ import annotations

import logging
from typing import Any

from hookline.services.models import iso
from hookline.services.runtime import Runtime
from hookline.store.errors import StoreError
from hookline.store.operational import OPERATIONAL_APP_ID, operational_message
from hookline.store.records import Application, Endpoint, Task

log = logging.getLogger("hookline")


async def emit(rt: Runtime, kind: str, data: dict[str, Any]) -> None:
    """Send one operational event ``{"type": kind, "data": data}`` to the operational endpoints."""
    if data.get("appId") == OPERATIONAL_APP_ID:
        return  # operational endpoints' own changes raise no events, as at Svix (another organization)
    try:
        if await rt.store.operational_listeners():
            await rt.acceptor.accept(operational_message(kind, data))
    except StoreError as exc:
        log.warning("operational event %s was not stored: %s", kind, exc)


def endpoint_data(app: Application, ep: Endpoint) -> dict[str, Any]:
    """Svix's ``EndpointEvent``: the application's and the endpoint's ids and uids."""
    return {"appId": app.id, "appUid": app.uid, "endpointId": ep.id, "endpointUid": ep.uid}


async def endpoint_changed(rt: Runtime, kind: str, ep: Endpoint) -> None:
    """``endpoint.created`` / ``updated`` / ``deleted`` for this endpoint."""
    app = await rt.store.get_app(ep.app_id)  # None for the operational application's own endpoints
    if app is not None:
        await emit(rt, kind, endpoint_data(app, ep))


async def endpoint_updated(rt: Runtime, before: Endpoint, after: Endpoint) -> None:
    """``endpoint.updated``, and ``endpoint.disabled`` (trigger ``manual``) or ``endpoint.enabled`` when the
    update switched the endpoint off or on."""
    app = await rt.store.get_app(after.app_id)
    if app is None:
        return
    await emit(rt, "endpoint.updated", endpoint_data(app, after))
    if after.disabled and not before.disabled:
        await emit(rt, "endpoint.disabled", {
            **endpoint_data(app, after), "failSince": iso(after.first_failure_at), "trigger": "manual",
        })  # fmt: skip
    elif before.disabled and not after.disabled:
        await emit(rt, "endpoint.enabled", endpoint_data(app, after))


async def task_finished(rt: Runtime, task: Task) -> None:
    """``background_task.finished`` for a task that ended (finished or failed)."""
    await emit(rt, "background_task.finished", {
        "taskId": task.id, "task": task.kind, "status": task.status, "data": task.data,
    })  # fmt: skip
