"""``/environment/export`` and ``/environment/import``: moving a configuration between servers."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from hookline.api.idempotency import NO_STORE_FLAG
from hookline.api.runtime import runtime
from hookline.api.serialize import app_out, endpoint_out, event_type_out
from hookline.services import environment
from hookline.services.models import EnvironmentIn, iso
from hookline.services.runtime import Runtime

router = APIRouter(tags=["Environment"])


@router.post("/environment/export")
async def export(request: Request, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    exported = await environment.export(rt)
    request.scope[NO_STORE_FLAG] = True  # it holds endpoint secrets: never kept for an idempotent replay
    return {
        "version": 1,
        "createdAt": iso(time.time()),
        "eventTypes": [event_type_out(e) for e in exported.event_types],
        "settings": exported.settings,
        "connectors": [],
        # hookline's addition (Svix's SDKs ignore it): applications with their endpoints and secrets
        "applications": [
            {
                **app_out(app),
                "endpoints": [
                    {**endpoint_out(ep), "headers": ep.headers, "secret": secret} for ep, secret in eps
                ],
            }
            for app, eps in exported.applications
        ],
    }


@router.post("/environment/import", status_code=204)
async def import_(body: EnvironmentIn, rt: Runtime = Depends(runtime)) -> Response:
    await environment.import_(rt, body)
    return Response(status_code=204)
