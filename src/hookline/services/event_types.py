"""Event types: create (bringing an archived one back), replace, patch and archive, as Svix does."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from hookline.services.errors import not_found
from hookline.services.models import EventTypeIn, EventTypePatch, EventTypeUpdate
from hookline.services.runtime import Runtime
from hookline.store.errors import ConflictError
from hookline.store.records import EventType

# fields an explicit null leaves alone (a flag, the description) instead of clearing
_NOT_NULL = frozenset({"description", "archived", "deprecated"})


def _flags(body: EventTypeIn | EventTypeUpdate) -> list[str] | None:
    if body.feature_flags is not None:
        return body.feature_flags
    return [body.feature_flag] if body.feature_flag else None


async def get(rt: Runtime, name: str) -> EventType:
    """The event type named ``name``, or a 404."""
    et = await rt.store.get_event_type(name)
    if et is None:
        raise not_found("event type")
    return et


async def create(rt: Runtime, body: EventTypeIn) -> EventType:
    """Create an event type; creating an archived one again brings it back (a live one is a 409)."""
    now = time.time()
    existing = await rt.store.get_event_type(body.name)
    et = EventType(body.name, body.description, body.archived, body.deprecated, body.schemas, body.group_name,
                   _flags(body), now, now)  # fmt: skip
    if existing is not None:
        if not existing.archived:
            raise ConflictError(f"event type {body.name!r} already exists")
        return await rt.store.upsert_event_type(replace(et, created_at=existing.created_at))
    return await rt.store.create_event_type(et)


async def put(rt: Runtime, name: str, body: EventTypeUpdate) -> tuple[EventType, bool]:
    """Replace an event type, or create it; True when created."""
    existing = await rt.store.get_event_type(name)
    now = time.time()
    created = existing.created_at if existing else now
    et = EventType(name, body.description, body.archived, body.deprecated, body.schemas, body.group_name,
                   _flags(body), created, now)  # fmt: skip
    return await rt.store.upsert_event_type(et), existing is None


async def patch(rt: Runtime, name: str, body: EventTypePatch) -> EventType:
    """Change only the fields the body names."""
    et = await get(rt, name)
    fields = body.model_fields_set
    changes: dict[str, Any] = {k: getattr(body, k) for k in fields if k in EventType.__dataclass_fields__}
    changes = {k: v for k, v in changes.items() if v is not None or k not in _NOT_NULL}
    return await rt.store.upsert_event_type(replace(et, **changes, updated_at=time.time()))


async def archive(rt: Runtime, name: str, expunge: bool = False) -> None:
    """Archive an event type (kept, hidden from lists), or with ``expunge`` delete it."""
    et = await get(rt, name)
    if expunge:
        await rt.store.delete_event_type(name)
    else:
        await rt.store.upsert_event_type(replace(et, archived=True, updated_at=time.time()))


CATALOG_LIMIT = 1000


async def catalog(rt: Runtime, include_archived: bool = False) -> list[EventType]:
    """Every event type by name (at most ``CATALOG_LIMIT``), for the catalog pages."""
    page = await rt.store.list_event_types(CATALOG_LIMIT, None, include_archived=include_archived)
    return list(page.data)
