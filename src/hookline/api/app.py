"""The Svix-compatible ``/api/v1``: ``install(app, settings)`` adds its routes, errors and middleware.

The application itself is built by the composition root, ``hookline.server.create_app``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI
from starlette.types import Receive, Scope, Send

from hookline import tracing
from hookline.api import accesslog, metrics_route, wire
from hookline.api.auth import require_token
from hookline.api.bodies import storable_body
from hookline.api.fastpath import MessageFastPath, message_route
from hookline.api.idempotency import BodyLimitMiddleware, IdempotencyMiddleware
from hookline.api.v1 import (
    applications,
    attempts,
    background,
    endpoints,
    environment,
    event_types,
    expunge,
    messages,
    misc,
    operational,
    portal,
    unserved,
)
from hookline.config import Settings
from hookline.websafety import SecurityHeaders


class HooklineAPI(FastAPI):
    """The server's application; message creation is answered before FastAPI's middleware stack."""

    fast_path: MessageFastPath | None = None  # None: every request goes through the documented routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if tracing.TRACER is not None and scope["type"] == "http":  # the request's traceparent, if any
            with tracing.request_context(scope):
                await self._answer(scope, receive, send)
            return
        await self._answer(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        fast_path = self.fast_path
        if fast_path is not None and (app_key := message_route(scope)) is not None:
            await fast_path.create(self.state.runtime, scope, receive, send, app_key, super().__call__)
            return
        await super().__call__(scope, receive, send)


def install(app: FastAPI) -> None:
    """Add ``/api/v1`` to ``app``: routes, Svix's error shapes, idempotency and the body limit."""
    wire.install(app)
    accesslog.install()
    v1 = APIRouter(prefix="/api/v1", dependencies=[Depends(require_token), Depends(storable_body)])
    for module in (
        applications,
        event_types,
        endpoints,
        messages,
        attempts,
        expunge,
        misc,
        portal,
        operational,
        background,
        environment,
    ):
        v1.include_router(module.router)
    v1.include_router(unserved.router)  # last: a served route always wins over its 501
    # Clerk's `generate_svix_auth_url` answers with an app-portal link; the portal sits above identity
    app.state.portal_link = portal.portal_link
    app.include_router(misc.public, prefix="/api/v1")
    app.include_router(portal.public, prefix="/api/v1")
    app.include_router(v1)
    app.include_router(metrics_route.router)
    app.include_router(
        unserved.ingest,
        prefix="/ingest/api/v1",
        dependencies=[Depends(require_token), Depends(storable_body)],
    )


def install_middleware(app: HooklineAPI, settings: Settings) -> None:
    """The middleware of the whole server (added last, so it wraps every part's routes), and its fast path."""
    app.fast_path = MessageFastPath(max_body=max_body(settings))
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(SecurityHeaders, portal_frame_ancestors=settings.portal_frame_ancestors)
    app.add_middleware(BodyLimitMiddleware, limit=max_body(settings))


def max_body(settings: Settings) -> int:
    """The largest request body accepted: the largest payload, and room for the rest of a message."""
    return settings.max_payload_bytes + 64 * 1024
