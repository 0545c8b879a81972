"""Applications: create (or get), replace (or create), patch, and the one a message names, created when missing."""

from __future__ import annotations

import time
from dataclasses import replace

from hookline.ids import new_id
from hookline.services.errors import FieldError
from hookline.services.lookups import app_or_404
from hookline.services.models import ApplicationIn, ApplicationPatch
from hookline.services.runtime import Runtime
from hookline.store.errors import ConflictError
from hookline.store.records import Application


def new_application(body: ApplicationIn) -> Application:
    """An application record from a create body."""
    now = time.time()
    rate = body.throttle_rate if body.throttle_rate is not None else body.rate_limit
    return Application(new_id("app"), body.name, body.uid, rate, body.metadata or {}, now, now)


async def ensure_app(rt: Runtime, app_id: str, spec: ApplicationIn) -> str:
    """Create the application a request's path names when it does not exist yet (``spec`` is the body's
    ``application``, ignored when it does); return its id.

    As Svix, the new application's uid is the path's: a different ``application.uid`` is a 422, and so
    is an unknown ``app_…`` id (an id is never chosen by the caller). Without a uid the path's is taken.
    """
    app = await rt.store.get_app(app_id)
    if app is not None:
        return app.id
    if app_id.startswith("app_"):
        raise FieldError(
            ["body", "application", "uid"],
            f"no application has the id {app_id!r}; to create one, name it by a uid in the path",
            "application_uid_mismatch",
        )
    if spec.uid is None:
        spec = spec.model_copy(update={"uid": app_id})
    elif spec.uid != app_id:
        raise FieldError(
            ["body", "application", "uid"],
            f"application.uid {spec.uid!r} must be the application named in the path ({app_id!r})",
            "application_uid_mismatch",
        )
    try:
        return (await rt.store.create_app(new_application(spec))).id
    except ConflictError:
        # another request created it a moment ago
        return (await app_or_404(rt.store, spec.uid or app_id)).id


async def create(rt: Runtime, body: ApplicationIn, get_if_exists: bool = False) -> tuple[Application, bool]:
    """Create an application; with ``get_if_exists`` one with the same uid is returned instead of a 409.
    True when created."""
    if body.uid is not None:
        existing = await rt.store.get_app(body.uid)
        if existing is not None:
            if get_if_exists:
                return existing, False
            raise ConflictError(f"an application with uid {body.uid!r} already exists")
    return await rt.store.create_app(new_application(body)), True


async def put(rt: Runtime, app_id: str, body: ApplicationIn) -> tuple[Application, bool]:
    """Replace an application's settings, or create it when it does not exist (as Svix does); True when created."""
    app = await rt.store.get_app(app_id)
    if app is None:
        created = new_application(body)
        if body.uid is None and not app_id.startswith("app_"):
            created = replace(created, uid=app_id)
        return await rt.store.create_app(created), True
    rate = body.throttle_rate if body.throttle_rate is not None else body.rate_limit
    updated = replace(app, name=body.name, uid=body.uid if body.uid is not None else app.uid, throttle_rate=rate,
                      metadata=body.metadata or {}, updated_at=time.time())  # fmt: skip
    return await rt.store.update_app(updated), False


async def patch(rt: Runtime, app: Application, body: ApplicationPatch) -> Application:
    """Change only the fields the body names."""
    fields = body.model_fields_set
    rate = app.throttle_rate
    if "throttle_rate" in fields:
        rate = body.throttle_rate
    elif "rate_limit" in fields:
        rate = body.rate_limit
    updated = replace(
        app,
        name=body.name if body.name is not None else app.name,
        uid=body.uid if "uid" in fields else app.uid,
        throttle_rate=rate,
        metadata=body.metadata if body.metadata is not None else app.metadata,
        updated_at=time.time(),
    )
    return await rt.store.update_app(updated)
