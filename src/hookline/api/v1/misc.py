"""Health and background tasks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from hookline.api.runtime import runtime
from hookline.api.serialize import task_out
from hookline.services.errors import OperationError
from hookline.services.runtime import Runtime

router = APIRouter()
public = APIRouter()


@public.get("/health", status_code=204, tags=["Health"])
async def health(rt: Runtime = Depends(runtime)) -> Response:
    """204 when the database answers and every background loop runs; 503 while one is down."""
    await rt.store.get_setting("health")
    down = rt.supervisor.down()
    if down:
        raise OperationError(503, "background_task_down", f"background loops down: {', '.join(down)}")
    return Response(status_code=204)


@router.get("/background-task/{task_id}", tags=["Background Tasks"])
async def get_task(task_id: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    task = await rt.store.get_task(task_id)
    if task is None:
        raise OperationError(404, "not_found", "background task not found")
    return task_out(task)
