"""Operational webhook endpoints: Svix's ``/operational-webhook/endpoint`` routes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from hookline.api.idempotency import NO_STORE_FLAG
from hookline.api.runtime import runtime
from hookline.api.serialize import page_out
from hookline.api.v1.common import Limit, Order
from hookline.services import endpoints, operational, sensitive_headers
from hookline.services.attempt_lists import check_iterator
from hookline.services.models import (
    EndpointHeadersIn,
    EndpointSecretRotateIn,
    OperationalEndpointIn,
    OperationalEndpointUpsertIn,
    iso,
)
from hookline.services.runtime import Runtime
from hookline.store.records import Endpoint

router = APIRouter(prefix="/operational-webhook/endpoint", tags=["Webhook Endpoint"])


def operational_endpoint_out(e: Endpoint) -> dict[str, Any]:
    """Svix's ``OperationalWebhookEndpointOut``."""
    return {
        "id": e.id, "uid": e.uid, "url": e.url, "description": e.description, "disabled": e.disabled,
        "throttleRate": e.throttle_rate, "eventTypes": list(e.event_types) if e.event_types else None,
        "metadata": e.metadata, "createdAt": iso(e.created_at), "updatedAt": iso(e.updated_at),
    }  # fmt: skip


@router.get("")
async def list_endpoints(
    rt: Runtime = Depends(runtime),
    limit: Limit = 50,
    iterator: str | None = None,
    order: Order = "descending",
) -> dict[str, Any]:
    page = await operational.list_page(
        rt, limit, check_iterator(iterator, "ep"), ascending=order == "ascending"
    )
    return page_out(page, operational_endpoint_out)


@router.post("", status_code=201)
async def create_endpoint(body: OperationalEndpointIn, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    return operational_endpoint_out(await operational.create(rt, body))


@router.get("/{endpoint_id}")
async def get_endpoint(endpoint_id: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    return operational_endpoint_out(await operational.get(rt, endpoint_id))


@router.put("/{endpoint_id}")
async def upsert_endpoint(
    endpoint_id: str, body: OperationalEndpointUpsertIn, response: Response, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    ep, created = await operational.upsert(rt, endpoint_id, body)
    if created:
        response.status_code = 201
    return operational_endpoint_out(ep)


@router.delete("/{endpoint_id}", status_code=204)
async def delete_endpoint(endpoint_id: str, rt: Runtime = Depends(runtime)) -> Response:
    await endpoints.delete(rt, await operational.get(rt, endpoint_id))
    return Response(status_code=204)


@router.get("/{endpoint_id}/secret")
async def get_secret(endpoint_id: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    return {"key": await endpoints.current_secret(rt, await operational.get(rt, endpoint_id))}


@router.post("/{endpoint_id}/secret/rotate", status_code=204)
async def rotate_secret(
    endpoint_id: str,
    request: Request,
    body: EndpointSecretRotateIn | None = None,
    rt: Runtime = Depends(runtime),
) -> Response:
    ep = await operational.get(rt, endpoint_id)
    grace = body.grace_period_seconds if body is not None else None
    await endpoints.rotate_secret(
        rt, ep, body.key if body else None, endpoints.ROTATION_GRACE_SECONDS if grace is None else grace
    )
    request.scope[NO_STORE_FLAG] = True
    return Response(status_code=204)


@router.get("/{endpoint_id}/headers")
async def get_headers(endpoint_id: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    ep = await operational.get(rt, endpoint_id)
    shown, sensitive = sensitive_headers.split(ep.headers)
    return {"headers": shown, "sensitive": sensitive}


@router.put("/{endpoint_id}/headers", status_code=204)
async def set_headers(endpoint_id: str, body: EndpointHeadersIn, rt: Runtime = Depends(runtime)) -> Response:
    await endpoints.set_headers(rt, await operational.get(rt, endpoint_id), body.headers)
    return Response(status_code=204)
