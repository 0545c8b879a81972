"""Receiver errors, each with a stable ``code`` that the adapters map to an HTTP status."""

from __future__ import annotations

from hookline.errors import HooklineError


class ReceiverError(HooklineError):
    """Base of every receiver failure that is not a signature failure."""

    code = "receiver_error"


class MalformedEventError(ReceiverError):
    """The body verified but is not an event: not JSON, not an object, or without a ``type``."""

    code = "malformed_event"


class HandlerError(ReceiverError):
    """A handler raised; the original exception is ``__cause__``. The sender should retry."""

    code = "handler_failed"


class InboxError(ReceiverError):
    """The inbox could not store or load an event (database unreachable, not started)."""

    code = "inbox_unavailable"
