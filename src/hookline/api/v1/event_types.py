"""Event types: create, list, get, update, patch, archive."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from hookline.api.auth import PORTAL_STATE
from hookline.api.runtime import runtime
from hookline.api.serialize import event_type_out, page_out
from hookline.api.v1.common import EventTypeIterator, Limit, Order
from hookline.services import event_types, openapi_import, portal
from hookline.services.errors import OperationError
from hookline.services.models import EventTypeImportOpenApiIn, EventTypeIn, EventTypePatch, EventTypeUpdate
from hookline.services.runtime import Runtime

router = APIRouter(tags=["Event Type"])


def _hidden(request: Request, feature_flags: list[str] | None) -> bool:
    """Whether an app-portal token's feature flags keep this event type from it (as Svix)."""
    session = request.scope.get(PORTAL_STATE)
    return session is not None and not portal.sees_event_type(feature_flags, session.feature_flags)


@router.get("/event-type")
async def list_event_types(
    request: Request,
    rt: Runtime = Depends(runtime),
    limit: Limit = 50,
    iterator: EventTypeIterator | None = None,
    order: Order = "ascending",
    include_archived: bool = False,
    with_content: bool = False,
) -> dict[str, Any]:
    page = await rt.store.list_event_types(limit, iterator, include_archived, ascending=order != "descending")
    page = replace(page, data=[e for e in page.data if not _hidden(request, e.feature_flags)])
    return page_out(page, lambda e: event_type_out(e, with_content))


@router.post("/event-type/import/openapi")
async def import_openapi(body: EventTypeImportOpenApiIn, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    doc = await openapi_import.read_spec(body.spec, body.spec_raw)
    modified, found = await openapi_import.import_openapi(rt, doc, body.dry_run, body.replace_all)
    # a dry run lists what the document holds under Svix's (snake_case) ``to_modify``
    to_modify = [openapi_import.imported_out(i) for i in found] if body.dry_run else None
    return {"data": {"modified": modified, "to_modify": to_modify}}


@router.post("/event-type", status_code=201)
async def create_event_type(body: EventTypeIn, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    return event_type_out(await event_types.create(rt, body))


@router.get("/event-type/{name}")
async def get_event_type(name: str, request: Request, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    found = await event_types.get(rt, name)
    if _hidden(request, found.feature_flags):
        raise OperationError(404, "not_found", "event type not found")
    return event_type_out(found)


@router.put("/event-type/{name}")
async def update_event_type(
    name: str, body: EventTypeUpdate, response: Response, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    et, created = await event_types.put(rt, name, body)
    if created:
        response.status_code = 201
    return event_type_out(et)


@router.patch("/event-type/{name}")
async def patch_event_type(name: str, body: EventTypePatch, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    return event_type_out(await event_types.patch(rt, name, body))


@router.delete("/event-type/{name}", status_code=204)
async def archive_event_type(name: str, rt: Runtime = Depends(runtime), expunge: bool = False) -> Response:
    await event_types.archive(rt, name, expunge)
    return Response(status_code=204)
