"""Error pages for browsers: a 404, 405 or refused request under ``/dashboard`` (or any page a browser asks
for outside the JSON APIs) is an HTML page with a way back, not a JSON body.

``/api/v1`` and the identity service's ``/v1`` keep their JSON answers: the handlers installed before
these still answer them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from hookline.dashboard.auth import current_admin
from hookline.dashboard.render import render
from hookline.errors import HooklineError
from hookline.services.errors import OperationError

Handler = Callable[[Request, Exception], Awaitable[Response]]
JSON_PREFIXES = ("/api/", "/v1/", "/relay/")
TITLES = {400: "Bad request", 403: "Not available", 404: "Not found", 405: "Not allowed here", 409: "Conflict",
          413: "Too large", 422: "Not valid", 429: "Too many requests"}  # fmt: skip
MESSAGES = {
    404: "There is no page at this address. Check the link, or start again from the dashboard.",
    405: "This address does not take that kind of request. Go back and use the page's own buttons.",
}


def wants_html(request: Request) -> bool:
    """Whether the error answers a browser page: anything under /dashboard, or a browser asking for HTML
    outside the JSON APIs."""
    path = request.url.path
    if path.startswith("/dashboard"):
        return True
    return not path.startswith(JSON_PREFIXES) and "text/html" in request.headers.get("accept", "")


async def _page(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    try:
        viewer = await current_admin(request) if request.url.path.startswith("/dashboard") else None
    except Exception:  # a page about an error must not fail on who is looking (say, the database is down)
        viewer = None
    return render(request, "error.html", status, headers=headers, viewer=viewer,
                  title=TITLES.get(status, "Something went wrong"), message=message)  # fmt: skip


def install_error_pages(app: FastAPI) -> None:
    """Answer browser pages' HTTP, validation and operation errors with HTML; hand the rest to the
    handlers already installed (the APIs' JSON shapes)."""
    previous_http: Handler | None = app.exception_handlers.get(StarletteHTTPException)  # type: ignore[assignment]
    previous_validation: Handler | None = app.exception_handlers.get(RequestValidationError)  # type: ignore[assignment]
    previous_hookline: Handler | None = app.exception_handlers.get(HooklineError)  # type: ignore[assignment]

    async def _http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if wants_html(request):
            message = MESSAGES.get(exc.status_code, str(exc.detail))
            return await _page(request, exc.status_code, message, dict(exc.headers or {}))
        if previous_http is not None:
            return await previous_http(request, exc)
        raise exc

    async def _validation(request: Request, exc: Exception) -> Response:
        if wants_html(request):
            return await _page(
                request, 422, "Part of this address is not valid. Check the link and try again."
            )
        if previous_validation is not None:
            return await previous_validation(request, exc)
        raise exc

    async def _operation(request: Request, exc: Exception) -> Response:
        if isinstance(exc, OperationError) and request.url.path.startswith("/dashboard"):
            return await _page(request, exc.status, exc.detail[:1].upper() + exc.detail[1:] + ".")
        if previous_hookline is not None:
            return await previous_hookline(request, exc)
        raise exc

    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HooklineError, _operation)
