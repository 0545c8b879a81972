"""Applications: create, get-or-create, get, list, update, patch, delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from hookline.api.runtime import runtime
from hookline.api.serialize import app_out, page_out
from hookline.api.v1.common import Limit, Order, app_or_404
from hookline.services import applications
from hookline.services.attempt_lists import check_iterator
from hookline.services.models import ApplicationIn, ApplicationPatch
from hookline.services.runtime import Runtime

router = APIRouter(tags=["Application"])


@router.get("/app")
async def list_apps(
    rt: Runtime = Depends(runtime), limit: Limit = 50, iterator: str | None = None, order: Order = "ascending"
) -> dict[str, Any]:
    page = await rt.store.list_apps(limit, check_iterator(iterator, "app"), ascending=order != "descending")
    return page_out(page, app_out)


@router.post("/app", status_code=201)
async def create_app(
    body: ApplicationIn,
    response: Response,
    rt: Runtime = Depends(runtime),
    get_if_exists: Annotated[bool, Query()] = False,
) -> dict[str, Any]:
    app, created = await applications.create(rt, body, get_if_exists)
    if not created:
        response.status_code = 200
    return app_out(app)


@router.get("/app/{app_id}")
async def get_app(app_id: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    return app_out(await app_or_404(rt.store, app_id))


@router.put("/app/{app_id}")
async def update_app(
    app_id: str, body: ApplicationIn, response: Response, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    app, created = await applications.put(rt, app_id, body)
    if created:
        response.status_code = 201
    return app_out(app)


@router.patch("/app/{app_id}")
async def patch_app(app_id: str, body: ApplicationPatch, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    return app_out(await applications.patch(rt, app, body))


@router.delete("/app/{app_id}", status_code=204)
async def delete_app(app_id: str, rt: Runtime = Depends(runtime)) -> Response:
    app = await app_or_404(rt.store, app_id)
    await rt.store.delete_app(app.id)
    return Response(status_code=204)
