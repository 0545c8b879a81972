"""Svix's task-backed operations and the reads beside them: background tasks listed, bulk replay,
attempt statistics, precheck, bulk and whole-application expunge, usage statistics."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends

from hookline.api.runtime import runtime
from hookline.api.serialize import page_out, task_out
from hookline.api.v1.common import Limit, app_or_404, endpoint_or_404, epoch, parse_time
from hookline.services import background, expunge
from hookline.services.errors import OperationError
from hookline.services.models import AppUsageStatsIn, BulkExpungeIn, BulkReplayIn, MessagePrecheckIn
from hookline.services.runtime import Runtime

router = APIRouter(tags=["Background Tasks"])
TaskKind = Literal[
    "endpoint.replay", "endpoint.recover", "application.stats", "message.broadcast", "sdk.generate",
    "event-type.aggregate", "application.purge_content", "endpoint.bulk-replay",
]  # fmt: skip
TaskStatus = Literal["running", "finished", "failed"]


@router.get("/background-task")
async def list_tasks(
    rt: Runtime = Depends(runtime),
    status: TaskStatus | None = None,
    task: TaskKind | None = None,
    limit: Limit = 50,
    iterator: str | None = None,
    order: Literal["ascending", "descending"] = "descending",
) -> dict[str, Any]:
    page = await background.list_tasks(rt, status, task, limit, iterator, ascending=order == "ascending")
    return page_out(page, task_out)


@router.post("/app/{app_id}/endpoint/{endpoint_id}/bulk-replay", status_code=202)
async def bulk_replay(
    app_id: str, endpoint_id: str, body: BulkReplayIn, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    task = await background.bulk_replay(
        rt, ep, epoch(body.since) or 0.0, epoch(body.until), event_types=body.event_types, channel=body.channel,
        tag=body.tag, status=body.status, code_class=body.status_code_class,
    )  # fmt: skip
    return task_out(task)


@router.get("/app/{app_id}/endpoint/{endpoint_id}/attempt-stats")
async def attempt_stats(
    app_id: str,
    endpoint_id: str,
    rt: Runtime = Depends(runtime),
    since: str | None = None,
    until: str | None = None,
) -> dict[str, int]:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    return await background.attempt_stats(rt, ep, parse_time(since, "since"), parse_time(until, "until"))


@router.post("/app/{app_id}/msg/precheck/active")
async def precheck(app_id: str, body: MessagePrecheckIn, rt: Runtime = Depends(runtime)) -> dict[str, bool]:
    app = await app_or_404(rt.store, app_id)
    return {"active": await background.precheck(rt, app, body.event_type, body.channels)}


@router.post("/app/{app_id}/msg/bulk-expunge")
async def bulk_expunge(app_id: str, body: BulkExpungeIn, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    results: dict[str, str] = {}
    for key in body.ids or []:
        try:
            await expunge.message_content(rt, app, key)
            results[key] = "expunged"
        except OperationError as exc:
            if exc.status != 404:
                raise
            results[key] = "not-found"
    return {"results": results}


@router.post("/app/{app_id}/msg/expunge-all-contents", status_code=202)
async def expunge_all(app_id: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    return task_out(await background.expunge_all(rt, app))


@router.post("/stats/usage/app", status_code=202)
async def app_usage(body: AppUsageStatsIn, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    task, unresolved = await background.app_stats(
        rt, epoch(body.since) or 0.0, epoch(body.until) or 0.0, body.app_ids
    )
    return {**task_out(task), "unresolvedAppIds": unresolved}


@router.put("/stats/usage/event-types", status_code=202)
async def event_type_usage(rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    return task_out(await background.aggregate_event_types(rt))
