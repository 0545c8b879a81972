"""Endpoints: CRUD, headers, secrets and rotation, recover, replay-missing, send-example, stats."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from hookline.api.idempotency import NO_STORE_FLAG
from hookline.api.runtime import runtime
from hookline.api.serialize import endpoint_out, isolation_out, message_out, page_out, task_out
from hookline.api.v1.common import Limit, Order, app_or_404, endpoint_or_404, epoch, parse_time
from hookline.services import endpoints, messages, replay, sensitive_headers
from hookline.services.attempt_lists import check_iterator
from hookline.services.models import (
    EndpointHeadersIn,
    EndpointHeadersPatchIn,
    EndpointIn,
    EndpointPatch,
    EndpointSecretRotateIn,
    EventExampleIn,
    TimeRangeIn,
)
from hookline.services.runtime import Runtime

router = APIRouter(tags=["Endpoint"])


@router.get("/app/{app_id}/endpoint")
async def list_endpoints(
    app_id: str,
    rt: Runtime = Depends(runtime),
    limit: Limit = 50,
    iterator: str | None = None,
    order: Order = "descending",
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    page = await rt.store.list_endpoints(
        app.id, limit, check_iterator(iterator, "ep"), ascending=order == "ascending"
    )
    return page_out(page, endpoint_out)


@router.post("/app/{app_id}/endpoint", status_code=201)
async def create_endpoint(app_id: str, body: EndpointIn, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    return endpoint_out(await endpoints.create(rt, app, body))


@router.get("/app/{app_id}/endpoint/{endpoint_id}")
async def get_endpoint(app_id: str, endpoint_id: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    return endpoint_out(await endpoint_or_404(rt.store, app, endpoint_id))


@router.put("/app/{app_id}/endpoint/{endpoint_id}")
async def update_endpoint(
    app_id: str, endpoint_id: str, body: EndpointIn, response: Response, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    ep, created = await endpoints.replace_settings(rt, app, endpoint_id, body)
    if created:
        response.status_code = 201  # PUT on an unknown uid creates the endpoint with that uid
    return endpoint_out(ep)


@router.patch("/app/{app_id}/endpoint/{endpoint_id}")
async def patch_endpoint(
    app_id: str, endpoint_id: str, body: EndpointPatch, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    return endpoint_out(await endpoints.patch(rt, app, ep, body))


@router.delete("/app/{app_id}/endpoint/{endpoint_id}", status_code=204)
async def delete_endpoint(app_id: str, endpoint_id: str, rt: Runtime = Depends(runtime)) -> Response:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    await endpoints.delete(rt, ep)
    return Response(status_code=204)


@router.get("/app/{app_id}/endpoint/{endpoint_id}/secret")
async def get_secret(app_id: str, endpoint_id: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    return {"key": await endpoints.current_secret(rt, ep)}


@router.post("/app/{app_id}/endpoint/{endpoint_id}/secret/rotate")
async def rotate_secret(
    app_id: str,
    endpoint_id: str,
    request: Request,
    body: EndpointSecretRotateIn | None = None,
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    grace = body.grace_period_seconds if body is not None else None
    secret = await endpoints.rotate_secret(
        rt, ep, body.key if body else None, endpoints.ROTATION_GRACE_SECONDS if grace is None else grace
    )
    request.scope[NO_STORE_FLAG] = True  # the answer holds the new secret: never kept for a replay
    return {"key": secret}


@router.get("/app/{app_id}/endpoint/{endpoint_id}/headers")
async def get_headers(app_id: str, endpoint_id: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    shown, sensitive = sensitive_headers.split(ep.headers)
    return {"headers": shown, "sensitive": sensitive}


@router.put("/app/{app_id}/endpoint/{endpoint_id}/headers", status_code=204)
async def set_headers(
    app_id: str, endpoint_id: str, body: EndpointHeadersIn, rt: Runtime = Depends(runtime)
) -> Response:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    await endpoints.set_headers(rt, ep, body.headers)
    return Response(status_code=204)


@router.patch("/app/{app_id}/endpoint/{endpoint_id}/headers", status_code=204)
async def patch_headers(
    app_id: str, endpoint_id: str, body: EndpointHeadersPatchIn, rt: Runtime = Depends(runtime)
) -> Response:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    await endpoints.patch_headers(rt, ep, body)
    return Response(status_code=204)


@router.post("/app/{app_id}/endpoint/{endpoint_id}/recover", status_code=202)
async def recover(
    app_id: str, endpoint_id: str, body: TimeRangeIn, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    count = await replay.recover(rt, ep, epoch(body.since) or 0.0, epoch(body.until))
    return task_out(await replay.finished_task(rt, "endpoint.recover", {"messagesRecovered": count}))


@router.post("/app/{app_id}/endpoint/{endpoint_id}/replay-missing", status_code=202)
async def replay_missing(
    app_id: str, endpoint_id: str, body: TimeRangeIn, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    count = await replay.replay_missing(rt, ep, epoch(body.since) or 0.0, epoch(body.until))
    return task_out(await replay.finished_task(rt, "endpoint.replay", {"messagesReplayed": count}))


@router.post("/app/{app_id}/endpoint/{endpoint_id}/send-example", status_code=202)
async def send_example(
    app_id: str, endpoint_id: str, body: EventExampleIn, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    msg = await messages.send_example(rt, ep, body.event_type, body.payload, body.example_index)
    return message_out(msg)


@router.get("/app/{app_id}/endpoint/{endpoint_id}/stats")
async def stats(
    app_id: str,
    endpoint_id: str,
    rt: Runtime = Depends(runtime),
    since: str | None = None,
    until: str | None = None,
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    counts = await endpoints.stats(rt, ep, parse_time(since, "since"), parse_time(until, "until"))
    isolation = await endpoints.isolation(rt, ep)
    # hookline's own fields after Svix's (the SDKs ignore fields they do not know): see docs/delivery.md
    return {**counts, **isolation_out(isolation, rt.settings.delivery.endpoint_max_in_flight)}
