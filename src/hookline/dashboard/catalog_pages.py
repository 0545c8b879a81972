"""The event catalog: every event type grouped and searchable, each with its schema as a tree and its example.

Administrators see it at ``/dashboard/event-types`` and create, edit and archive event types there;
a portal link sees the same catalog (read-only, without archived types or those its feature flags
hide) at ``/dashboard/portal/{app_id}/event-types``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from hookline.dashboard.auth import Forbidden, Viewer, check_csrf, require_admin
from hookline.dashboard.render import form_data, render
from hookline.dashboard.schema_tree import schema_tree
from hookline.services import event_schemas, event_types
from hookline.services.errors import OperationError
from hookline.services.models import EventTypeIn, EventTypeUpdate
from hookline.services.runtime import Runtime
from hookline.store.errors import ConflictError
from hookline.store.records import EventType

ViewerDep = Callable[..., Awaitable[Viewer]]
MAX_FORM_TEXT = 256 * 1024
ADMIN_BASE = "/dashboard/event-types"


def _rt(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


@dataclass(frozen=True)
class Group:
    name: str
    types: list[EventType]


def group(types: list[EventType], q: str) -> list[Group]:
    """Event types matching ``q`` (name, description or group, any case), grouped by ``groupName``;
    named groups first in order, then the ungrouped."""
    needle = q.lower()
    groups: dict[str, list[EventType]] = {}
    for et in types:
        if needle and not any(needle in (s or "").lower() for s in (et.name, et.description, et.group_name)):
            continue
        groups.setdefault(et.group_name or "", []).append(et)
    return [
        Group(name or "Other", groups[name]) for name in sorted(groups, key=lambda n: (n == "", n.lower()))
    ]


def example_of(et: EventType) -> str | None:
    """The first example of the newest schema version, as indented JSON."""
    version = event_schemas.newest_version(et.schemas)
    schema = (et.schemas or {}).get(version or "")
    examples = schema.get("examples") if isinstance(schema, dict) else None
    if isinstance(examples, list) and examples:
        return json.dumps(examples[0], indent=2, ensure_ascii=False)
    return None


async def visible_types(request: Request, viewer: Viewer) -> list[EventType]:
    """The event types this viewer's catalog lists: all for an administrator; for a portal link, the
    live ones its feature flags open."""
    if viewer.admin:
        return await event_types.catalog(_rt(request), include_archived=True)
    return [et for et in await event_types.catalog(_rt(request)) if viewer.sees(et.feature_flags)]


async def catalog_view(request: Request, viewer: Viewer, base: str, **extra: Any) -> HTMLResponse:
    types = await visible_types(request, viewer)
    q = request.query_params.get("q", "").strip()[:200]
    show_archived = viewer.admin and request.query_params.get("archived") == "1"
    listed = [et for et in types if show_archived or not et.archived]
    groups = group(listed, q)
    return render(request, "catalog.html", viewer=viewer, groups=groups, q=q, base=base,
                  shown=sum(len(g.types) for g in groups),
                  total=len(listed), archived_count=sum(1 for et in types if et.archived),
                  show_archived=show_archived, **extra)  # fmt: skip


async def event_type_view(
    request: Request, viewer: Viewer, base: str, name: str, **extra: Any
) -> HTMLResponse:
    et = next((t for t in await visible_types(request, viewer) if t.name == name), None)
    if et is None:
        raise Forbidden("No such event type. Search the event catalog for it.", 404)
    version = event_schemas.newest_version(et.schemas)
    schema = (et.schemas or {}).get(version or "")
    return render(request, "event_type.html", viewer=viewer, et=et, base=base, version=version,
                  outline=schema_tree(schema) if schema else None, example=example_of(et),
                  schema_text=json.dumps(schema, indent=2) if schema else None, **extra)  # fmt: skip


def _json_field(form: dict[str, str], key: str, label: str) -> Any:
    text = form.get(key, "").strip()
    if not text:
        return None
    if len(text) > MAX_FORM_TEXT:
        raise OperationError(413, "too_large", f"The {label} is over {MAX_FORM_TEXT // 1024} KiB.")
    try:
        return json.loads(text)
    except RecursionError:
        raise OperationError(422, "validation", f"The {label} nests too deeply.") from None
    except ValueError as exc:
        raise OperationError(422, "validation", f"The {label} is not JSON: {exc}.") from None


def schemas_from_form(form: dict[str, str], current: dict[str, Any] | None) -> dict[str, Any] | None:
    """The event type's schema map after the form: the newest version replaced by the form's schema
    (with the form's example first), older versions kept; an empty form removes the newest version."""
    schema = _json_field(form, "schema", "schema")
    example = _json_field(form, "example", "example payload")
    if example is not None and not isinstance(example, dict):
        raise OperationError(422, "validation", "The example payload must be a JSON object.")
    version = event_schemas.newest_version(current) or "1"
    rest = {k: v for k, v in (current or {}).items() if k != version}
    if schema is None and example is None:
        return rest or None
    if schema is None:
        schema = {"type": "object"}
    if not isinstance(schema, dict):
        raise OperationError(422, "validation", "The schema must be a JSON object.")
    if "examples" not in schema:
        # the form's example box is the first example; the version's further examples are kept
        old_schema = (current or {}).get(version)
        old = old_schema.get("examples") if isinstance(old_schema, dict) else None
        further = old[1:] if isinstance(old, list) else []
        schema = {**schema, "examples": ([example] if example is not None else []) + further}
        if not schema["examples"]:
            del schema["examples"]
    else:
        schema = event_schemas.with_example(schema, example)
    schema = event_schemas.check_schema(schema)
    return {**rest, version: schema}


def body_from_form(form: dict[str, str], current: EventType | None) -> dict[str, Any]:
    """The Svix event-type body the form describes (checked by the API's own models afterwards)."""
    flags = [f.strip() for f in form.get("feature_flags", "").split(",") if f.strip()]
    return {
        "description": form.get("description", "").strip(),
        "groupName": form.get("group_name", "").strip() or None,
        "featureFlags": flags or None,
        "deprecated": form.get("deprecated") == "1",
        "archived": form.get("archived") == "1",
        "schemas": schemas_from_form(form, current.schemas if current else None),
    }


def _form_error(exc: Exception) -> tuple[int, str]:
    if isinstance(exc, OperationError):
        return exc.status, exc.detail
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return 422, f"{where}: {first['msg']}"
    return 409, str(exc)


def make_portal_router(viewer_dep: ViewerDep) -> APIRouter:
    """The read-only catalog behind ``viewer_dep`` (mounted under an application's pages)."""
    router = APIRouter()
    V = Depends(viewer_dep)

    @router.get("/event-types", response_class=HTMLResponse)
    async def portal_catalog(request: Request, app_id: str, viewer: Viewer = V) -> Response:
        """The event types this link may subscribe to, grouped and searchable."""
        return await catalog_view(request, viewer, viewer.base(app_id) + "/event-types")

    @router.get("/event-types/{name}", response_class=HTMLResponse)
    async def portal_event_type(request: Request, app_id: str, name: str, viewer: Viewer = V) -> Response:
        """One event type: description, schema tree and example payload."""
        return await event_type_view(request, viewer, viewer.base(app_id) + "/event-types", name)

    return router


router = APIRouter()
ADMIN = Depends(require_admin)


@router.get("/event-types", response_class=HTMLResponse)
async def admin_catalog(request: Request, viewer: Viewer = ADMIN) -> Response:
    """Every event type (archived on request), grouped and searchable."""
    notice = {"archived": "Event type archived.", "restored": "Event type restored."}
    return await catalog_view(
        request, viewer, ADMIN_BASE, notice=notice.get(request.query_params.get("done", ""))
    )


@router.get("/event-types/new", response_class=HTMLResponse)
async def new_event_type(request: Request, viewer: Viewer = ADMIN) -> Response:
    """The form for a new event type."""
    return render(request, "event_type_form.html", viewer=viewer, et=None, form={}, base=ADMIN_BASE)


@router.post("/event-types/new", response_class=HTMLResponse)
async def create_event_type(request: Request, viewer: Viewer = ADMIN) -> Response:
    """Create the event type the form describes; a wrong schema or a taken name is shown on the form."""
    form = await form_data(request)
    await check_csrf(request, viewer, form)
    try:
        body = EventTypeIn.model_validate(
            {"name": form.get("name", "").strip(), **body_from_form(form, None)}
        )
        et = await event_types.create(_rt(request), body)
    except (OperationError, ValidationError, ConflictError) as exc:
        status, message = _form_error(exc)
        return render(request, "event_type_form.html", status, viewer=viewer, et=None, form=form, base=ADMIN_BASE,
                      error=message)  # fmt: skip
    return RedirectResponse(f"{ADMIN_BASE}/{quote(et.name)}?done=created", status_code=303)


@router.get("/event-types/{name}", response_class=HTMLResponse)
async def admin_event_type(request: Request, name: str, viewer: Viewer = ADMIN) -> Response:
    """One event type with its schema, example and the actions on it."""
    notice = {"created": "Event type created.", "saved": "Saved."}.get(request.query_params.get("done", ""))
    return await event_type_view(request, viewer, ADMIN_BASE, name, notice=notice)


async def _existing(request: Request, name: str) -> EventType:
    et = await _rt(request).store.get_event_type(name)
    if et is None:
        raise Forbidden("No such event type. Search the event catalog for it.", 404)
    return et


@router.get("/event-types/{name}/edit", response_class=HTMLResponse)
async def edit_event_type(request: Request, name: str, viewer: Viewer = ADMIN) -> Response:
    """The form to change an event type."""
    et = await _existing(request, name)
    version = event_schemas.newest_version(et.schemas)
    schema = dict((et.schemas or {}).get(version or "") or {})
    example = example_of(et)
    schema.pop("examples", None)  # the example has its own box; saving puts it back first
    form = {
        "description": et.description, "group_name": et.group_name or "",
        "feature_flags": ", ".join(et.feature_flags or []), "deprecated": "1" if et.deprecated else "",
        "archived": "1" if et.archived else "", "schema": json.dumps(schema, indent=2) if schema else "",
        "example": example or "",
    }  # fmt: skip
    return render(request, "event_type_form.html", viewer=viewer, et=et, form=form, base=ADMIN_BASE)


@router.post("/event-types/{name}/edit", response_class=HTMLResponse)
async def save_event_type(request: Request, name: str, viewer: Viewer = ADMIN) -> Response:
    """Replace the event type's description, group, flags and newest schema with the form's."""
    et = await _existing(request, name)
    form = await form_data(request)
    await check_csrf(request, viewer, form)
    try:
        body = EventTypeUpdate.model_validate(body_from_form(form, et))
        await event_types.put(_rt(request), et.name, body)
    except (OperationError, ValidationError) as exc:
        status, message = _form_error(exc)
        return render(request, "event_type_form.html", status, viewer=viewer, et=et, form=form, base=ADMIN_BASE,
                      error=message)  # fmt: skip
    return RedirectResponse(f"{ADMIN_BASE}/{quote(et.name)}?done=saved", status_code=303)


@router.post("/event-types/{name}/archive")
async def archive_event_type(request: Request, name: str, viewer: Viewer = ADMIN) -> Response:
    """Archive the event type (hidden from portals and pickers, kept for old messages), or restore it."""
    et = await _existing(request, name)
    form = await form_data(request)
    await check_csrf(request, viewer, form)
    restore = form.get("restore") == "1"
    if restore:
        await event_types.put(
            _rt(request), et.name,
            EventTypeUpdate(description=et.description, archived=False, deprecated=et.deprecated, schemas=et.schemas,
                            group_name=et.group_name, feature_flags=et.feature_flags),
        )  # fmt: skip
    else:
        await event_types.archive(_rt(request), et.name)
    return RedirectResponse(f"{ADMIN_BASE}?done={'restored' if restore else 'archived'}", status_code=303)
