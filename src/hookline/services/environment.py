"""``environment.export`` / ``import_``: event types and settings as Svix moves them between environments,
and (hookline's addition) applications with their endpoints and current secrets, to move between servers.

An import creates or replaces the event types it names and replaces the settings; applications and
endpoints are added when no record of their id exists (ids are kept, so stored references stay valid)
and left as they are otherwise. Svix's connectors are a cloud product: a non-empty list is a 422.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from hookline.ids import new_id
from hookline.services import endpoints
from hookline.services.errors import FieldError
from hookline.services.models import EnvironmentApplicationIn, EnvironmentIn
from hookline.services.runtime import Runtime
from hookline.store.errors import ConflictError
from hookline.store.records import Application, Endpoint, EventType

SETTINGS_KEY = "environment_settings"


@dataclass(frozen=True)
class Exported:
    """What an export holds."""

    event_types: list[EventType]
    settings: dict[str, Any]
    applications: list[tuple[Application, list[tuple[Endpoint, str | None]]]]


async def _all(fetch: Any) -> list[Any]:
    items: list[Any] = []
    iterator: str | None = None
    while True:
        page = await fetch(iterator)
        items += page.data
        if page.done or not page.iterator:
            return items
        iterator = page.iterator


async def export(rt: Runtime) -> Exported:
    """Every event type (archived too), the settings, and every application with its endpoints."""
    types = await _all(lambda it: rt.store.list_event_types(250, it, include_archived=True))
    settings = json.loads(await rt.store.get_setting(SETTINGS_KEY) or "{}")
    apps = []
    for app in await _all(lambda it: rt.store.list_apps(250, it)):
        eps = await _all(lambda it, a=app: rt.store.list_endpoints(a.id, 250, it, ascending=True))
        apps.append((app, [(ep, await endpoints.signing_secret(rt, ep)) for ep in eps]))
    return Exported(types, settings, apps)


async def import_(rt: Runtime, body: EnvironmentIn) -> None:
    """Apply an export (Svix's or hookline's) to this server."""
    if body.connectors:
        raise FieldError(
            ["body", "connectors"], "connectors are a product of Svix's cloud service; hookline has none"
        )
    # what can be checked alone is checked before anything is written, so a bad record stores nothing
    for app_in in body.applications or []:
        for ep_in in app_in.endpoints or []:
            endpoints.check_url(rt.settings, ep_in.url)
            endpoints.check_headers(ep_in.headers or {})
            if ep_in.secret is not None:
                endpoints.check_secret(ep_in.secret)
    now = time.time()
    for et in body.event_types or []:
        existing = await rt.store.get_event_type(et.name)
        flags = (
            et.feature_flags
            if et.feature_flags is not None
            else ([et.feature_flag] if et.feature_flag else None)
        )
        await rt.store.upsert_event_type(EventType(
            et.name, et.description, et.archived, et.deprecated, et.schemas, et.group_name, flags,
            existing.created_at if existing else now, now,
        ))  # fmt: skip
    if body.settings is not None:
        await rt.store.put_setting(SETTINGS_KEY, json.dumps(body.settings, separators=(",", ":")))
    for app_in in body.applications or []:
        await _import_app(rt, app_in, now)


async def _import_app(rt: Runtime, body: EnvironmentApplicationIn, now: float) -> None:
    app = await rt.store.get_app(body.id) if body.id else None
    if app is None:
        if body.uid is not None and await rt.store.get_app(body.uid) is not None:
            raise ConflictError(f"an application with uid {body.uid!r} already exists")
        app = await rt.store.create_app(Application(
            body.id or new_id("app", now), body.name, body.uid,
            body.throttle_rate if body.throttle_rate is not None else body.rate_limit, body.metadata or {}, now, now,
        ))  # fmt: skip
    for ep_in in body.endpoints or []:
        if ep_in.id and await rt.store.get_endpoint(app.id, ep_in.id) is not None:
            continue
        await endpoints.create(rt, app, ep_in, ep_in.id)
