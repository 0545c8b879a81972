"""Applications: create, get-or-create, get, list, update, patch, delete."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from hookline.api.runtime import runtime
from hookline.api.serialize import app_out, page_out
from hookline.api.v1.common import Limit, app_or_404
from hookline.services.applications import new_application
from hookline.services.models import ApplicationIn, ApplicationPatch
from hookline.services.runtime import Runtime
from hookline.store.errors import ConflictError
from hookline.store.records import Application

router = APIRouter(tags=["Application"])


@router.get("/app")
async def list_apps(
    rt: Runtime = Depends(runtime), limit: Limit = 50, iterator: str | None = None, order: str = "ascending"
) -> dict[str, Any]:
    page = await rt.store.list_apps(limit, iterator, ascending=order != "descending")
    return page_out(page, app_out)


@router.post("/app", status_code=201)
async def create_app(
    body: ApplicationIn,
    response: Response,
    rt: Runtime = Depends(runtime),
    get_if_exists: Annotated[bool, Query()] = False,
) -> dict[str, Any]:
    if body.uid is not None:
        existing = await rt.store.get_app(body.uid)
        if existing is not None:
            if get_if_exists:
                response.status_code = 200
                return app_out(existing)
            raise ConflictError(f"an application with uid {body.uid!r} already exists")
    return app_out(await rt.store.create_app(new_application(body)))


@router.get("/app/{app_id}")
async def get_app(app_id: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    return app_out(await app_or_404(rt.store, app_id))


@router.put("/app/{app_id}")
async def update_app(
    app_id: str, body: ApplicationIn, response: Response, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    app = await rt.store.get_app(app_id)
    if app is None:
        # PUT creates the application when it does not exist yet, as Svix does
        created = new_application(body)
        if body.uid is None and not app_id.startswith("app_"):
            created = Application(created.id, created.name, app_id, created.throttle_rate, created.metadata,
                                  created.created_at, created.updated_at)  # fmt: skip
        response.status_code = 201
        return app_out(await rt.store.create_app(created))
    rate = body.throttle_rate if body.throttle_rate is not None else body.rate_limit
    updated = Application(app.id, body.name, body.uid if body.uid is not None else app.uid, rate,
                          body.metadata or {}, app.created_at, time.time())  # fmt: skip
    return app_out(await rt.store.update_app(updated))


@router.patch("/app/{app_id}")
async def patch_app(app_id: str, body: ApplicationPatch, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    fields = body.model_fields_set
    rate = app.throttle_rate
    if "throttle_rate" in fields:
        rate = body.throttle_rate
    elif "rate_limit" in fields:
        rate = body.rate_limit
    updated = Application(
        app.id,
        body.name if body.name is not None else app.name,
        body.uid if "uid" in fields else app.uid,
        rate,
        body.metadata if body.metadata is not None else app.metadata,
        app.created_at,
        time.time(),
    )
    return app_out(await rt.store.update_app(updated))


@router.delete("/app/{app_id}", status_code=204)
async def delete_app(app_id: str, rt: Runtime = Depends(runtime)) -> Response:
    app = await app_or_404(rt.store, app_id)
    await rt.store.delete_app(app.id)
    return Response(status_code=204)
