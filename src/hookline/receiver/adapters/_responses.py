"""What every adapter answers: a status code and a JSON body, framework-free."""

from __future__ import annotations

import logging
from typing import Any

from hookline.errors import HooklineError
from hookline.receiver._errors import HandlerError, InboxError, MalformedEventError
from hookline.receiver._receiver import Result
from hookline.signing import InvalidPayloadError, WebhookVerificationError

log = logging.getLogger("hookline.receiver")


def success_response(result: Result) -> tuple[int, dict[str, Any]]:
    """200 for accepted and duplicate alike: a duplicate must not make the sender retry."""
    return 200, {"status": result.status, "message_id": result.message_id}


def error_response(exc: HooklineError) -> tuple[int, dict[str, Any]]:
    """Map a receiver or signing error to ``(status, {"code", "detail"})``.

    A bad signature is 401 and a verified body that is not an event 400, so neither is retried
    as a server fault; a failed handler is 500 and an unreachable inbox 503, so the sender retries.
    """
    if isinstance(exc, MalformedEventError | InvalidPayloadError):
        return 400, {"code": exc.code, "detail": str(exc)}
    if isinstance(exc, WebhookVerificationError):
        return 401, {"code": exc.code, "detail": str(exc)}
    if isinstance(exc, InboxError):
        log.error("webhook not stored: %s", exc, exc_info=exc)
        return 503, {"code": exc.code, "detail": "the event could not be stored; retry later"}
    if isinstance(exc, HandlerError):
        # the handler's own message may hold private data; it goes to the log, not the sender
        log.error("webhook handler failed: %s", exc, exc_info=exc)
        return 500, {"code": exc.code, "detail": "a handler failed; the delivery should be retried"}
    log.error("webhook failed: %s", exc, exc_info=exc)
    return 500, {"code": exc.code, "detail": "the webhook could not be processed"}
