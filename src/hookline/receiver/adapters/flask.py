"""Flask: a view function and a blueprint.

    app.add_url_rule("/webhooks/clerk", view_func=webhook_view(receiver), methods=["POST"])

Handlers run in the request thread (``Receiver.handle_sync``). With an inbox, call
``inbox.start_in_thread()`` once at start-up so the worker runs beside the app.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, jsonify, request

from hookline.errors import HooklineError
from hookline.receiver._receiver import Receiver
from hookline.receiver.adapters._responses import error_response, success_response

__all__ = ["webhook_blueprint", "webhook_view"]


def webhook_view(receiver: Receiver, *, name: str = "hookline_webhook") -> Callable[[], tuple[Response, int]]:
    """Return a view that hands the raw request body to ``receiver`` and answers in JSON."""

    def view() -> tuple[Response, int]:
        body = request.get_data()
        try:
            result = receiver.handle_sync(body, request.headers)
        except HooklineError as exc:
            status, payload = error_response(exc)
            return jsonify(payload), status
        status, payload = success_response(result)
        return jsonify(payload), status

    # Flask names endpoints after the view function; two receivers in one app need two names
    view.__name__ = name
    return view


def webhook_blueprint(
    receiver: Receiver,
    rule: str = "/webhooks",
    *,
    name: str = "hookline_webhooks",
    url_prefix: str | None = None,
) -> Blueprint:
    """Return a blueprint with one POST route at ``rule``."""
    blueprint = Blueprint(name, __name__, url_prefix=url_prefix)
    blueprint.add_url_rule(rule, view_func=webhook_view(receiver), methods=["POST"])
    return blueprint
