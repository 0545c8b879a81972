"""Bearer-token authentication for ``/api/v1``."""

from __future__ import annotations

from fastapi import Depends, Request

from hookline.api.errors import ApiError
from hookline.api.runtime import Runtime, runtime


async def require_token(request: Request, rt: Runtime = Depends(runtime)) -> None:
    """Refuse the request with 401 unless it carries an accepted ``Authorization: Bearer`` token."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "authentication_failed", "missing bearer token (Authorization: Bearer <token>)")
    if not rt.token_ok(token.strip()):
        raise ApiError(401, "authentication_failed", "invalid token")
