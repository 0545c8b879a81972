"""The operator's status page: queue, throughput, failing endpoints, database size and retention."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from hookline.dashboard.auth import Viewer, require_admin
from hookline.dashboard.render import render
from hookline.ops.humanize import duration, size
from hookline.ops.status import QUEUE_COUNT_CAP, read_status

router = APIRouter()


@router.get("/status", response_class=HTMLResponse)
async def status_page(request: Request, viewer: Viewer = Depends(require_admin)) -> Response:
    """One screen for an operator, read fresh from the database on every load."""
    rt = request.app.state.runtime
    now = time.time()
    status = await read_status(rt.store.db, now)
    return render(
        request, "status.html", viewer=viewer, s=status, now=now, retention=rt.settings.ops.retention,
        size=size, duration=duration, cap=QUEUE_COUNT_CAP, dialect=rt.store.dialect,
    )  # fmt: skip
