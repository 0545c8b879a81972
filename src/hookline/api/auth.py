"""Bearer-token authentication for ``/api/v1``."""

from __future__ import annotations

from fastapi import Depends, Request

from hookline.api import wire
from hookline.api.runtime import runtime
from hookline.services.runtime import Runtime


async def require_token(request: Request, rt: Runtime = Depends(runtime)) -> None:
    """Refuse the request with 401 unless it carries an accepted ``Authorization: Bearer`` token."""
    check_token(rt, request.headers.get("authorization", ""))


def check_token(rt: Runtime, authorization: str) -> None:
    """Raise the 401 the API answers unless ``authorization`` carries an accepted bearer token."""
    token = wire.bearer_token(authorization)
    if token is None:
        raise wire.missing_token()
    if not rt.token_ok(token):
        raise wire.invalid_token()
