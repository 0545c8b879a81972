"""Messages: accepting one (limits, retention, the application it names), and test messages for one endpoint."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC
from typing import Any

from hookline import tracing
from hookline.ids import new_id
from hookline.services.applications import ensure_app
from hookline.services.errors import FieldError, OperationError
from hookline.services.models import MessageIn, iso
from hookline.services.runtime import Runtime
from hookline.store.records import Endpoint, Message, NewMessage

DEFAULT_RETENTION_DAYS = 90
DELIVER_AT_MIN = 60.0
DELIVER_AT_MAX = 24 * 3600.0
DELIVER_AT_SLACK = 10.0


async def accept_message(
    rt: Runtime, app_key: str, body: MessageIn, idempotency_key: str | None, answer: Callable[[Message], str]
) -> str:
    """Check limits, store the message with its dispatches, and return its answer (``answer(message)``,
    or the answer stored for ``idempotency_key`` by an earlier request)."""
    deliver_at = check_deliver_at(body, time.time())
    if body.application is not None:
        app_key = await ensure_app(rt, app_key, body.application)
    raw = body.raw_payload
    # a raw payload is sent as it came (Svix's message_in_raw); a JSON one compactly re-encoded
    payload = raw if raw is not None else json.dumps(body.payload, separators=(",", ":"), ensure_ascii=False)
    limit = rt.settings.max_payload_bytes
    # a character is at most 4 bytes in UTF-8: only a long payload needs encoding to be measured
    if len(payload) * 4 > limit and len(payload.encode()) > limit:
        raise OperationError(413, "payload_too_large", f"payload over {limit} bytes")
    now = time.time()
    if body.payload_retention_hours is not None:
        retention = body.payload_retention_hours * 3600.0
    else:
        retention = (body.payload_retention_period or DEFAULT_RETENTION_DAYS) * 86400.0
    msg = Message(
        new_id("msg", now), "", body.event_type, payload, body.event_id,
        tuple(body.channels) if body.channels else None, tuple(body.tags) if body.tags else None, now, now + retention,
        _content_type(body),
    )  # fmt: skip
    out = answer(msg)
    if deliver_at is not None:  # MessageOut echoes it; the answer is a JSON object, so it is appended
        out = f'{out[:-1]},"deliverAt":{json.dumps(iso(deliver_at))}}}'
    item = NewMessage(msg, idempotency_key, out, app_key=app_key, deliver_at=deliver_at)
    if tracing.TRACER is not None:
        return await _accept_traced(rt, item, app_key)
    accepted = await rt.acceptor.accept(item)
    return accepted.replay if accepted.replay is not None else out


async def _accept_traced(rt: Runtime, item: NewMessage, app_key: str) -> str:
    """Accept ``item`` in an ``accept`` span (a child of the request's trace context), storing the
    span's traceparent with the message so that its deliveries' spans continue the trace."""
    msg = item.message
    attributes = {
        "hookline.message_id": msg.id,
        "hookline.app": app_key,
        "hookline.event_type": msg.event_type,
    }
    with tracing.TRACER.start_as_current_span("hookline.accept", attributes=attributes) as span:
        accepted = await rt.acceptor.accept(replace(item, traceparent=tracing.traceparent_of(span)))
        if accepted.replay is not None:
            span.set_attribute("hookline.idempotent_replay", True)
    assert item.response_body is not None
    return accepted.replay if accepted.replay is not None else item.response_body


def _content_type(body: MessageIn) -> str | None:
    """A raw payload's Content-Type (``application/json`` unless its sender said otherwise); None for a
    JSON payload. Stored, it also marks the payload as raw text, which may not be JSON."""
    if body.raw_payload is not None:
        return body.content_type or "application/json"
    return None


def check_deliver_at(body: MessageIn, now: float) -> float | None:
    """``deliverAt`` as epoch seconds, or None; a 422 outside Svix's window, one minute to 24 hours from
    now (less ``DELIVER_AT_SLACK`` at the near end, for the request's own transit and clock skew)."""
    if body.deliver_at is None:
        return None
    when = body.deliver_at if body.deliver_at.tzinfo else body.deliver_at.replace(tzinfo=UTC)
    at = when.timestamp()
    if not now + DELIVER_AT_MIN - DELIVER_AT_SLACK <= at <= now + DELIVER_AT_MAX:
        raise FieldError(
            ["body", "deliverAt"], "deliverAt must be at least one minute and at most 24 hours ahead"
        )
    return at


def example_payload(schemas: dict[str, Any] | None, index: int) -> dict[str, Any] | None:
    """The ``index``-th example of the newest schema version, if the event type has one."""
    if not schemas:
        return None
    for version in sorted(schemas, reverse=True):
        schema = schemas[version]
        if not isinstance(schema, dict):
            continue
        examples = schema.get("examples") or ([schema["example"]] if "example" in schema else [])
        example = examples[index] if isinstance(examples, list) and 0 <= index < len(examples) else None
        if isinstance(example, dict):
            return example
    return None


async def event_type_example(rt: Runtime, event_type: str, index: int = 0) -> dict[str, Any] | None:
    """The example payload of an event type, or None when it has none (or does not exist)."""
    et = await rt.store.get_event_type(event_type) if event_type else None
    return example_payload(et.schemas, index) if et else None


async def send_example(
    rt: Runtime, ep: Endpoint, event_type: str, payload: dict[str, Any] | None, index: int = 0
) -> Message:
    """Send ``payload`` (or the event type's ``index``-th example) to this one endpoint."""
    if payload is None:
        et = await rt.store.get_event_type(event_type)
        if et is None:
            raise FieldError(["body", "eventType"], f"event type {event_type!r} does not exist")
        payload = example_payload(et.schemas, index)
        if payload is None:
            raise FieldError(["body", "eventType"], f"event type {event_type!r} has no example to send")
    return await send_to_endpoint(rt, ep, event_type, json.dumps(payload, separators=(",", ":")))


async def send_to_endpoint(rt: Runtime, ep: Endpoint, event_type: str, body: str) -> Message:
    """Accept a message with the JSON text ``body`` for one endpoint only (a test event)."""
    msg = Message(new_id("msg"), ep.app_id, event_type, body, created_at=time.time())
    await rt.acceptor.accept(NewMessage(msg, only_endpoints=(ep.id,)))
    return msg
