"""The ASGI application: ``create_app(settings)`` wires the API, the store and the worker."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, FastAPI
from starlette.types import Receive, Scope, Send

from hookline import __version__, dashboard, identity, stopping
from hookline.api import accesslog, errors, metrics_route
from hookline.api.auth import require_token
from hookline.api.bodies import storable_body
from hookline.api.fastpath import MessageFastPath, message_route
from hookline.api.idempotency import BodyLimitMiddleware, IdempotencyMiddleware
from hookline.api.runtime import Runtime
from hookline.api.v1 import (
    applications,
    attempts,
    endpoints,
    event_types,
    message_content,
    messages,
    misc,
    portal,
)
from hookline.config import Settings
from hookline.relay import router as relay_router
from hookline.server import settle_heap
from hookline.store import encryption
from hookline.websafety import SecurityHeaders

log = logging.getLogger("hookline")


class HooklineAPI(FastAPI):
    """The API application; message creation is answered before FastAPI's middleware stack."""

    fast_path: MessageFastPath

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app_key = message_route(scope)
        if app_key is not None:
            await self.fast_path.create(self.state.runtime, scope, receive, send, app_key)
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings, *, own_process: bool = False) -> HooklineAPI:
    """Build the server. Its lifespan opens the database, applies migrations and starts the worker.

    ``own_process`` says the server owns its process, so it may tune the garbage collector for it.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt = await Runtime.start(settings)
        app.state.runtime = rt
        await identity.start(app, settings, rt.store, rt.wakeup)
        if rt.generated_encryption_key:
            print(
                "hookline: generated encryption key for secrets at rest (shown once; kept in "
                f"{encryption.key_file(rt.store)}, set HOOKLINE_ENCRYPTION_KEY to it on other machines): "
                f"{rt.generated_encryption_key}",
                flush=True,
            )
        if rt.generated_token:
            # printed once, on the start that created it; only its hash is stored
            print(f"hookline: generated API token (shown once, keep it): {rt.generated_token}", flush=True)
        if own_process:
            settle_heap()
        try:
            yield
        finally:
            if own_process and rt.worker is not None:
                stopping.announce(rt.worker, settings.delivery)
            app.state.identity.close()
            await rt.stop()

    app = HooklineAPI(
        title="hookline",
        version=__version__,
        description="Svix-compatible webhook delivery API",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/api/v1/openapi.json",
    )
    errors.install(app)
    accesslog.install()
    v1 = APIRouter(prefix="/api/v1", dependencies=[Depends(require_token), Depends(storable_body)])
    for module in (applications, event_types, endpoints, messages, message_content, attempts, misc, portal):
        v1.include_router(module.router)
    # Clerk's `generate_svix_auth_url` answers with an app-portal link; the portal sits above identity
    app.state.portal_link = portal.portal_link
    app.include_router(misc.public, prefix="/api/v1")
    app.include_router(portal.public, prefix="/api/v1")
    app.include_router(v1)
    identity.install(app)
    app.include_router(relay_router)
    app.include_router(metrics_route.router)
    dashboard.install(app)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_payload_bytes + 64 * 1024)
    app.fast_path = MessageFastPath(max_body=settings.max_payload_bytes + 64 * 1024)
    return app
