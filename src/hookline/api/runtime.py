"""The running server's parts as a FastAPI dependency (``Depends(runtime)``)."""

from __future__ import annotations

from fastapi import Request

from hookline.services.runtime import Runtime


async def runtime(request: Request) -> Runtime:
    """The running server's parts, kept on ``app.state.runtime`` by the server's lifespan."""
    rt: Runtime = request.app.state.runtime
    return rt
