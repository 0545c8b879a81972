"""The operator's status page: queue, throughput, failing endpoints, database size and retention."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from hookline.dashboard.auth import Viewer, require_admin
from hookline.dashboard.render import render
from hookline.ops.status import QUEUE_COUNT_CAP, read_status

router = APIRouter()


def size(n: int | None) -> str:
    """A byte count for people: ``12.3 MB``."""
    if n is None:
        return "—"
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def duration(seconds: float) -> str:
    """A duration for people: ``45 s``, ``12 min``, ``3.5 h``, ``2.0 days``."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


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
