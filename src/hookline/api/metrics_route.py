"""``GET /metrics``: this process's Prometheus metrics, for the API token or ``HOOKLINE_METRICS_TOKEN``."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, Request, Response

from hookline import metrics
from hookline.api import wire
from hookline.api.runtime import runtime
from hookline.services.errors import OperationError
from hookline.services.runtime import Runtime

router = APIRouter(include_in_schema=False)


def _allowed(rt: Runtime, token: str) -> bool:
    """The API token (or an issued one) reads metrics, and so does the separate metrics token."""
    extra = rt.settings.ops.metrics.token
    ok = rt.token_ok(token)
    if extra is not None:
        ok |= hmac.compare_digest(token.encode(), extra.encode())
    return ok


@router.get("/metrics")
async def read_metrics(request: Request, rt: Runtime = Depends(runtime)) -> Response:
    """The metrics in Prometheus' text format; 404 when ``HOOKLINE_METRICS=off``."""
    if not rt.settings.ops.metrics.enabled:
        raise OperationError(404, "not_found", "metrics are turned off (HOOKLINE_METRICS=off)")
    token = wire.bearer_token(request.headers.get("authorization", ""))
    if not token:
        raise wire.missing_token()
    if not _allowed(rt, token):
        raise wire.invalid_token()
    return Response(metrics.render(), media_type=metrics.CONTENT_TYPE)
