"""The ``Receiver``: verify the raw body, parse, de-duplicate by message id, dispatch."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from hookline.receiver._errors import HandlerError, ReceiverError
from hookline.receiver._stored import Delivery
from hookline.receiver.dedupe import DedupeStore, MemoryDedupe
from hookline.receiver.events import Event, parse_event
from hookline.signing import (
    DEFAULT_TOLERANCE,
    Diagnosis,
    InvalidHeadersError,
    InvalidSecretError,
    NoMatchingSignatureError,
    SigningError,
    Webhook,
    diagnose,
    read_headers,
)

if TYPE_CHECKING:
    from hookline.receiver.inbox import Inbox

Handler = Callable[[Event[Any]], Any]
"""A handler takes the event; it may be a plain function or a coroutine function."""

H = TypeVar("H", bound=Callable[..., Any])

HeadersLike = Mapping[str, str] | Mapping[bytes, bytes] | Iterable[tuple[str | bytes, str | bytes]]
Body = bytes | bytearray | memoryview | str

WILDCARD = "*"


@dataclass(frozen=True)
class Result:
    """What became of one delivery: ``accepted`` (handled or queued) or ``duplicate``."""

    status: Literal["accepted", "duplicate"]
    message_id: str
    event: Event[Any]
    queued: bool = False
    handlers: int = 0

    @property
    def duplicate(self) -> bool:
        """True when this message id was seen before and nothing ran."""
        return self.status == "duplicate"


def normalize_headers(headers: HeadersLike) -> dict[str, str]:
    """Lower-case header names; accept str or bytes pairs and WSGI ``HTTP_*`` names."""
    items: Iterable[tuple[Any, Any]]
    items = headers.items() if hasattr(headers, "items") else headers
    out: dict[str, str] = {}
    for key, value in items:
        name = key.decode("latin-1") if isinstance(key, bytes | bytearray) else str(key)
        if isinstance(value, bytes | bytearray):
            value = value.decode("latin-1")
        if not isinstance(value, str):
            continue
        if name.startswith("HTTP_"):
            name = name[5:].replace("_", "-")
        out[name.lower()] = value
    return out


def _as_bytes(body: Body) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytearray | memoryview):
        return bytes(body)
    raise TypeError(f"webhook body must be bytes, not {type(body).__name__}")


def _failed(handler: Callable[..., Any], event: Event[Any], exc: Exception) -> HandlerError:
    name = getattr(handler, "__qualname__", None) or repr(handler)
    return HandlerError(f"handler {name} failed on {event.type} ({event.message_id}): {exc!r}")


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _refuse_inside_loop(awaitable: Awaitable[Any]) -> None:
    """Raise if this thread runs an event loop: blocking on a coroutine there would deadlock."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    if inspect.iscoroutine(awaitable):
        awaitable.close()  # it can never run here; close it so it is not reported as never awaited
    raise ReceiverError(
        "an async handler cannot run from handle_sync() inside a running event loop; "
        "use 'await receiver.handle(...)'",
        code="async_handler_in_sync_context",
    )


class Receiver:
    """Verifies, parses, de-duplicates and dispatches webhook deliveries.

    ``Receiver("whsec_...")``, or a list of secrets while one is rotated. Register handlers with
    ``@receiver.on("user.created")`` (or ``"*"``), then call ``await receiver.handle(body, headers)``.
    """

    def __init__(
        self,
        secret: str | bytes | Iterable[str | bytes],
        *,
        tolerance: int = DEFAULT_TOLERANCE,
        dedupe: DedupeStore | None = None,
        inbox: Inbox | None = None,
    ) -> None:
        secrets = [secret] if isinstance(secret, str | bytes) else list(secret)
        if not secrets:
            raise InvalidSecretError("no webhook secret given")
        # parsed now, so a bad secret fails at start-up and not on the first request
        self._webhooks = [Webhook(s, tolerance=tolerance) for s in secrets]
        self._secrets = secrets
        self.tolerance = tolerance
        if inbox is not None and dedupe is not None:
            raise ValueError("pass dedupe or inbox, not both: the inbox de-duplicates by itself")
        if dedupe is None and inbox is None:
            dedupe = MemoryDedupe()
        self.dedupe = dedupe
        self.inbox = inbox
        self._handlers: dict[str, list[Handler]] = {}
        self._wildcard: list[Handler] = []
        if inbox is not None:
            inbox.attach(self)

    # --- registration -------------------------------------------------------------------------

    def on(self, *event_types: str) -> Callable[[H], H]:
        """Decorator: run the function for these event types (``"*"`` for every event)."""
        if not event_types:
            raise ValueError("name at least one event type, or '*' for all")

        def register(handler: H) -> H:
            for event_type in event_types:
                if event_type == WILDCARD:
                    self._wildcard.append(handler)
                else:
                    self._handlers.setdefault(event_type, []).append(handler)
            return handler

        return register

    def on_any(self, handler: H) -> H:
        """Decorator: run the function for every event, after the type-specific handlers."""
        self._wildcard.append(handler)
        return handler

    def handlers_for(self, event_type: str) -> list[Handler]:
        """The handlers an event of this type runs, in order."""
        return [*self._handlers.get(event_type, ()), *self._wildcard]

    # --- verification -------------------------------------------------------------------------

    def _verify(self, body: bytes, headers: dict[str, str]) -> str:
        """Check the signature over the raw bytes; return the message id."""
        try:
            message_id = read_headers(headers)[0]
            mismatch: NoMatchingSignatureError | None = None
            for webhook in self._webhooks:
                try:
                    webhook.verify(body, headers, json_parse=False)
                    return message_id
                except NoMatchingSignatureError as exc:
                    mismatch = exc
            assert mismatch is not None
            raise mismatch
        except SigningError:
            raise
        except Exception as exc:
            # untrusted input: whatever a malformed header breaks below us is a rejection, not a 500
            raise InvalidHeadersError(f"malformed webhook headers ({type(exc).__name__}: {exc})") from exc

    def verify(self, body: Body, headers: HeadersLike) -> Delivery:
        """Verify the raw body against the headers, then parse it; nothing is dispatched.

        Raises a :class:`~hookline.signing.WebhookVerificationError` subclass for a bad signature
        and :class:`MalformedEventError` for a verified body that is not an event.
        """
        raw = _as_bytes(body)
        normalized = normalize_headers(headers)
        message_id = self._verify(raw, normalized)
        event = parse_event(raw, message_id=message_id)
        return Delivery(message_id, event, raw, normalized)

    def diagnose(self, body: Body, headers: HeadersLike) -> Diagnosis:
        """Explain why a request fails (or passes) verification, for logs while setting up.

        It tries many variants of the request, so call it on demand, not on every rejection.
        """
        return diagnose(normalize_headers(headers), _as_bytes(body), self._secrets, tolerance=self.tolerance)

    # --- handling -----------------------------------------------------------------------------

    async def handle(self, body: Body, headers: HeadersLike) -> Result:
        """Verify, parse, de-duplicate and dispatch one delivery (or store it in the inbox)."""
        delivery = self.verify(body, headers)
        if self.inbox is not None:
            stored = await self.inbox.put(delivery)
            return self._queued(delivery, stored)
        return await self._handle_now(delivery)

    def handle_sync(self, body: Body, headers: HeadersLike) -> Result:
        """Blocking :meth:`handle`, for WSGI apps; sync handlers run in the calling thread."""
        delivery = self.verify(body, headers)
        if self.inbox is not None:
            stored = self.inbox.put_sync(delivery)
            return self._queued(delivery, stored)
        dedupe = self.dedupe
        assert dedupe is not None
        if not dedupe.claim(delivery.message_id):
            return Result("duplicate", delivery.message_id, delivery.event)
        try:
            count = self.dispatch_sync(delivery.event)
        except BaseException:
            dedupe.release(delivery.message_id)
            raise
        dedupe.complete(delivery.message_id)
        return Result("accepted", delivery.message_id, delivery.event, handlers=count)

    async def _handle_now(self, delivery: Delivery) -> Result:
        dedupe = self.dedupe
        assert dedupe is not None
        if not dedupe.claim(delivery.message_id):
            return Result("duplicate", delivery.message_id, delivery.event)
        try:
            count = await self.dispatch(delivery.event)
        except BaseException:
            # the sender retries after a failure; that retry must run the handlers again
            dedupe.release(delivery.message_id)
            raise
        dedupe.complete(delivery.message_id)
        return Result("accepted", delivery.message_id, delivery.event, handlers=count)

    @staticmethod
    def _queued(delivery: Delivery, stored: bool) -> Result:
        if stored:
            return Result("accepted", delivery.message_id, delivery.event, queued=True)
        return Result("duplicate", delivery.message_id, delivery.event)

    async def dispatch(self, event: Event[Any]) -> int:
        """Run the event's handlers in order; sync ones in a worker thread. Returns how many ran.

        The first failure stops the rest and raises :class:`HandlerError` (the cause attached).
        """
        handlers = self.handlers_for(event.type)
        for handler in handlers:
            try:
                if inspect.iscoroutinefunction(handler):
                    await handler(event)
                else:
                    # like FastAPI's sync endpoints: a blocking handler must not stall the event loop
                    result = await asyncio.to_thread(handler, event)
                    if inspect.isawaitable(result):
                        await result
            except Exception as exc:
                raise _failed(handler, event, exc) from exc
        return len(handlers)

    def dispatch_sync(self, event: Event[Any]) -> int:
        """Run the event's handlers in the calling thread; async ones in a private event loop."""
        handlers = self.handlers_for(event.type)
        for handler in handlers:
            try:
                result = handler(event)
            except Exception as exc:
                raise _failed(handler, event, exc) from exc
            if inspect.isawaitable(result):
                _refuse_inside_loop(result)
                try:
                    asyncio.run(_await(result))
                except Exception as exc:
                    raise _failed(handler, event, exc) from exc
        return len(handlers)
