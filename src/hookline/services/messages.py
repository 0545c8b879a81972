"""Messages: accepting one (limits, retention, the application it names), and test messages for one endpoint."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from hookline.ids import new_id
from hookline.services.applications import ensure_app
from hookline.services.errors import FieldError, OperationError
from hookline.services.models import MessageIn
from hookline.services.runtime import Runtime
from hookline.store.records import Endpoint, Message, NewMessage

DEFAULT_RETENTION_DAYS = 90


async def accept_message(
    rt: Runtime, app_key: str, body: MessageIn, idempotency_key: str | None, answer: Callable[[Message], str]
) -> str:
    """Check limits, store the message with its dispatches, and return its answer (``answer(message)``,
    or the answer stored for ``idempotency_key`` by an earlier request)."""
    if body.application is not None:
        app_key = await ensure_app(rt, app_key, body.application)
    payload = json.dumps(body.payload, separators=(",", ":"), ensure_ascii=False)
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
    )  # fmt: skip
    out = answer(msg)
    accepted = await rt.acceptor.accept(NewMessage(msg, idempotency_key, out, app_key=app_key))
    return accepted.replay if accepted.replay is not None else out


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
