"""The worker's spans, made only while traces are on (``hookline.tracing``).

Per claimed batch, one read of the stored trace contexts of its messages and a ``hookline.claim``
span linking to them; per delivery a ``hookline.send`` span, the child of the span that accepted its
message (so it sits in the API request's trace) and linked to its claim; per batch of recorded
outcomes a ``hookline.record`` span linking to the sends it recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

from hookline import tracing
from hookline.metrics import outcome_class
from hookline.store import traces
from hookline.store.db import Database
from hookline.store.errors import StoreError
from hookline.store.records import Claim, Outcome

log = logging.getLogger("hookline.tracing")

Key = tuple[str, str]
KEPT = 50_000  # a bound on contexts waiting for their send or record (claims let go are never sent)


class DeliveryTraces:
    """Claim, send and record spans for one worker."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._claims: dict[Key, asyncio.Future[tuple[dict[str, Any], Any]]] = {}
        self._sent: dict[Key, Any] = {}

    def claimed(self, claims: Sequence[Claim], started_ns: int | None) -> None:
        """Note a claimed batch: its messages' contexts are read once, and its claim span made."""
        if len(self._claims) > KEPT:
            self._claims.clear()
        loading = asyncio.ensure_future(self._load(list(claims), started_ns))
        for c in claims:
            self._claims[(c.msg_id, c.endpoint_id)] = loading

    async def _load(self, claims: list[Claim], started_ns: int | None) -> tuple[dict[str, Any], Any]:
        try:
            stored = await traces.traceparents(self.db, [c.msg_id for c in claims])
        except StoreError as exc:  # the sends go on without their parents
            log.debug("reading trace contexts failed: %s", exc)
            stored = {}
        contexts = {msg_id: tracing.context_of(parent) for msg_id, parent in stored.items()}
        span = tracing.TRACER.start_span(
            "hookline.claim", start_time=started_ns, links=tracing.links(list(contexts.values())),
            attributes={"hookline.claimed": len(claims)},
        )  # fmt: skip
        span.end()
        return contexts, span.get_span_context()

    @contextlib.asynccontextmanager
    async def send(self, claim: Claim) -> AsyncIterator[Any]:
        """A ``hookline.send`` span around one delivery's HTTP request."""
        from opentelemetry.trace import SpanKind

        key = (claim.msg_id, claim.endpoint_id)
        loading = self._claims.pop(key, None)
        contexts: dict[str, Any] = {}
        claim_context = None
        if loading is not None:
            try:
                contexts, claim_context = await loading
            except Exception as exc:  # a span missing its parent must not cost the delivery
                log.warning("trace contexts of a claimed batch are unavailable: %s", exc)
        attributes = {
            "hookline.message_id": claim.msg_id, "hookline.endpoint_id": claim.endpoint_id,
            "hookline.app_id": claim.app_id, "hookline.attempt": claim.attempts + 1,
        }  # fmt: skip
        with tracing.TRACER.start_as_current_span(
            "hookline.send", context=tracing.parent(contexts.get(claim.msg_id)), kind=SpanKind.CLIENT,
            links=tracing.links([claim_context]), attributes=attributes,
        ) as span:  # fmt: skip
            yield span
        if len(self._sent) > KEPT:
            self._sent.clear()
        self._sent[key] = span.get_span_context()

    @staticmethod
    def result(span: Any, status_code: int, ok: bool) -> None:
        """Put a send's outcome on its span."""
        from opentelemetry.trace import Status, StatusCode

        span.set_attribute("http.response.status_code", status_code)
        span.set_attribute("hookline.outcome", outcome_class(status_code))
        if not ok:
            span.set_status(Status(StatusCode.ERROR, outcome_class(status_code)))

    def recorded(self, batch: Sequence[Outcome], started_ns: int) -> None:
        """A ``hookline.record`` span for one batch of outcomes written, linking to their sends."""
        sent = [self._sent.pop((o.attempt.msg_id, o.attempt.endpoint_id), None) for o in batch]
        span = tracing.TRACER.start_span(
            "hookline.record", start_time=started_ns, links=tracing.links(sent),
            attributes={"hookline.recorded": len(batch)},
        )  # fmt: skip
        span.end()
