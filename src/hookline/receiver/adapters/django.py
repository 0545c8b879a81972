"""Django: a CSRF-exempt view (sync for WSGI, async for ASGI).

    urlpatterns = [path("webhooks/clerk/", webhook_view(receiver))]

Webhooks carry no CSRF token, so the views are exempt; the signature is what authenticates them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from hookline.errors import HooklineError
from hookline.receiver._receiver import Receiver, Result
from hookline.receiver.adapters._responses import error_response, success_response

__all__ = ["async_webhook_view", "webhook_view"]


def _not_allowed() -> HttpResponse:
    response = JsonResponse({"code": "method_not_allowed", "detail": "webhooks are POSTed"}, status=405)
    response["Allow"] = "POST"
    return response


def _respond(outcome: tuple[int, dict[str, object]]) -> JsonResponse:
    status, payload = outcome
    return JsonResponse(payload, status=status)


def webhook_view(receiver: Receiver) -> Callable[[HttpRequest], HttpResponse]:
    """Return a sync view; handlers run in the request thread (``Receiver.handle_sync``)."""

    def view(request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return _not_allowed()
        try:
            result: Result = receiver.handle_sync(request.body, request.headers)
        except HooklineError as exc:
            return _respond(error_response(exc))
        return _respond(success_response(result))

    # what django.views.decorators.csrf.csrf_exempt sets, without its sync/async version limits
    view.csrf_exempt = True  # type: ignore[attr-defined]
    return view


def async_webhook_view(receiver: Receiver) -> Callable[[HttpRequest], Awaitable[HttpResponse]]:
    """Return an async view for Django under ASGI (``await Receiver.handle``)."""

    async def view(request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return _not_allowed()
        try:
            result = await receiver.handle(request.body, request.headers)
        except HooklineError as exc:
            return _respond(error_response(exc))
        return _respond(success_response(result))

    view.csrf_exempt = True  # type: ignore[attr-defined]
    return view
