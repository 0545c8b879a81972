"""Starlette and FastAPI: an endpoint, a route, and a FastAPI dependency.

    app = FastAPI()
    app.add_api_route("/webhooks/clerk", webhook_endpoint(receiver), methods=["POST"])

or, in Starlette, ``Starlette(routes=[webhook_route(receiver, "/webhooks/clerk")])``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hookline.errors import HooklineError
from hookline.receiver._receiver import Receiver, Result
from hookline.receiver.adapters._responses import error_response, success_response

__all__ = [
    "WebhookRejected",
    "install_exception_handler",
    "webhook_dependency",
    "webhook_endpoint",
    "webhook_route",
]


def webhook_endpoint(receiver: Receiver) -> Callable[[Request], Awaitable[Response]]:
    """Return an endpoint that hands the raw request to ``receiver`` and answers in JSON."""

    async def hookline_webhook(request: Request) -> Response:
        body = await request.body()
        try:
            result = await receiver.handle(body, request.headers)
        except HooklineError as exc:
            status, payload = error_response(exc)
            return JSONResponse(payload, status_code=status)
        status, payload = success_response(result)
        return JSONResponse(payload, status_code=status)

    return hookline_webhook


def webhook_route(receiver: Receiver, path: str = "/webhooks", *, name: str | None = None) -> Route:
    """Return a POST route at ``path``; works in Starlette's and FastAPI's ``routes``."""
    return Route(path, webhook_endpoint(receiver), methods=["POST"], name=name)


class WebhookRejected(HTTPException):
    """Raised by :func:`webhook_dependency`; carries the hookline error's ``code``."""

    def __init__(self, error: HooklineError) -> None:
        status, payload = error_response(error)
        super().__init__(status_code=status, detail=payload["detail"])
        self.code: str = payload["code"]
        self.error = error


def webhook_dependency(receiver: Receiver) -> Callable[[Request], Awaitable[Result]]:
    """Return a FastAPI dependency that handles the delivery and gives the route its :class:`Result`.

    Failures raise :class:`WebhookRejected`; :func:`install_exception_handler` renders them as
    ``{"code", "detail"}`` (FastAPI alone renders ``{"detail"}``).
    """

    async def hookline_webhook_result(request: Request) -> Result:
        try:
            return await receiver.handle(await request.body(), request.headers)
        except HooklineError as exc:
            raise WebhookRejected(exc) from exc

    return hookline_webhook_result


async def _render_rejection(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WebhookRejected)
    return JSONResponse({"code": exc.code, "detail": exc.detail}, status_code=exc.status_code)


def install_exception_handler(app: Any) -> None:
    """Render :class:`WebhookRejected` as ``{"code", "detail"}`` JSON in a Starlette or FastAPI app."""
    app.add_exception_handler(WebhookRejected, _render_rejection)
