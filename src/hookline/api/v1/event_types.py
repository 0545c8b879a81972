"""Event types: create, list, get, update, patch, archive."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends, Response

from hookline.api.runtime import runtime
from hookline.api.serialize import event_type_out, page_out
from hookline.api.v1.common import Limit
from hookline.services.errors import OperationError
from hookline.services.models import EventTypeIn, EventTypePatch, EventTypeUpdate
from hookline.services.runtime import Runtime
from hookline.store.errors import ConflictError
from hookline.store.records import EventType

router = APIRouter(tags=["Event Type"])


def _flags(body: EventTypeIn | EventTypeUpdate) -> list[str] | None:
    if body.feature_flags is not None:
        return body.feature_flags
    return [body.feature_flag] if body.feature_flag else None


_NOT_NULL = frozenset({"description", "archived", "deprecated"})


async def _get(rt: Runtime, name: str) -> EventType:
    et = await rt.store.get_event_type(name)
    if et is None:
        raise OperationError(404, "not_found", "event type not found")
    return et


@router.get("/event-type")
async def list_event_types(
    rt: Runtime = Depends(runtime),
    limit: Limit = 50,
    iterator: str | None = None,
    order: str = "ascending",
    include_archived: bool = False,
    with_content: bool = False,
) -> dict[str, Any]:
    page = await rt.store.list_event_types(limit, iterator, include_archived, ascending=order != "descending")
    return page_out(page, lambda e: event_type_out(e, with_content))


@router.post("/event-type", status_code=201)
async def create_event_type(body: EventTypeIn, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    now = time.time()
    existing = await rt.store.get_event_type(body.name)
    et = EventType(body.name, body.description, body.archived, body.deprecated, body.schemas, body.group_name,
                   _flags(body), now, now)  # fmt: skip
    if existing is not None:
        if not existing.archived:
            raise ConflictError(f"event type {body.name!r} already exists")
        # creating an archived type again brings it back, as Svix does
        et = EventType(**{**et.__dict__, "created_at": existing.created_at})
        return event_type_out(await rt.store.upsert_event_type(et))
    return event_type_out(await rt.store.create_event_type(et))


@router.get("/event-type/{name}")
async def get_event_type(name: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    return event_type_out(await _get(rt, name))


@router.put("/event-type/{name}")
async def update_event_type(
    name: str, body: EventTypeUpdate, response: Response, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    existing = await rt.store.get_event_type(name)
    now = time.time()
    created = existing.created_at if existing else now
    et = EventType(name, body.description, body.archived, body.deprecated, body.schemas, body.group_name,
                   _flags(body), created, now)  # fmt: skip
    if existing is None:
        response.status_code = 201
    return event_type_out(await rt.store.upsert_event_type(et))


@router.patch("/event-type/{name}")
async def patch_event_type(name: str, body: EventTypePatch, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    et = await _get(rt, name)
    fields = body.model_fields_set
    changes: dict[str, Any] = {k: getattr(body, k) for k in fields if k in EventType.__dataclass_fields__}
    # an explicit null clears what may be empty and leaves alone what may not (a flag, the description)
    changes = {k: v for k, v in changes.items() if v is not None or k not in _NOT_NULL}
    updated = EventType(**{**et.__dict__, **changes, "updated_at": time.time()})
    return event_type_out(await rt.store.upsert_event_type(updated))


@router.delete("/event-type/{name}", status_code=204)
async def archive_event_type(name: str, rt: Runtime = Depends(runtime), expunge: bool = False) -> Response:
    et = await _get(rt, name)
    if expunge:
        await rt.store.delete_event_type(name)
    else:
        await rt.store.upsert_event_type(
            EventType(**{**et.__dict__, "archived": True, "updated_at": time.time()})
        )
    return Response(status_code=204)
