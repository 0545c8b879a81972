"""The ASGI application: ``create_app(settings)`` wires the API, the store and the worker."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, FastAPI

from hookline import __version__, dashboard, identity
from hookline.api import accesslog, errors
from hookline.api.auth import require_token
from hookline.api.fastpath import MessageFastPath
from hookline.api.idempotency import BodyLimitMiddleware, IdempotencyMiddleware
from hookline.api.runtime import Runtime
from hookline.api.v1 import applications, attempts, endpoints, event_types, messages, misc, portal
from hookline.config import Settings
from hookline.relay import router as relay_router

log = logging.getLogger("hookline")


def create_app(settings: Settings) -> FastAPI:
    """Build the server. Its lifespan opens the database, applies migrations and starts the worker."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt = await Runtime.start(settings)
        app.state.runtime = rt
        await identity.start(app, settings, rt.store, rt.wakeup)
        if rt.generated_token:
            # printed once, on the start that created it; only its hash is stored
            print(f"hookline: generated API token (shown once, keep it): {rt.generated_token}", flush=True)
        try:
            yield
        finally:
            await rt.stop()

    app = FastAPI(
        title="hookline",
        version=__version__,
        description="Svix-compatible webhook delivery API",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/api/v1/openapi.json",
    )
    errors.install(app)
    accesslog.install()
    v1 = APIRouter(prefix="/api/v1", dependencies=[Depends(require_token)])
    for module in (applications, event_types, endpoints, messages, attempts, misc, portal):
        v1.include_router(module.router)
    app.include_router(misc.public, prefix="/api/v1")
    app.include_router(v1)
    identity.install(app)
    app.include_router(relay_router)
    dashboard.install(app)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_payload_bytes + 64 * 1024)
    app.add_middleware(MessageFastPath, max_body=settings.max_payload_bytes + 64 * 1024)
    return app
