"""Records as Svix's JSON response bodies."""

from __future__ import annotations

import json
from typing import Any

from hookline.services.models import iso
from hookline.store.claiming import BreakerState
from hookline.store.records import (
    Application,
    Attempt,
    Dispatch,
    Endpoint,
    EndpointMessage,
    EventType,
    Message,
    Page,
    Task,
)  # fmt: skip

STATUS_TEXT = {0: "success", 1: "pending", 2: "fail", 3: "sending", 4: "canceled"}


def page_out(page: Page, item: Any) -> dict[str, Any]:
    """A list response: ``data``, ``iterator``, ``prevIterator``, ``done``."""
    return {
        "data": [item(x) for x in page.data],
        "iterator": page.iterator,
        "prevIterator": page.prev_iterator,
        "done": page.done,
    }


def app_out(a: Application) -> dict[str, Any]:
    return {
        "id": a.id, "uid": a.uid, "name": a.name, "throttleRate": a.throttle_rate, "rateLimit": a.throttle_rate,
        "metadata": a.metadata, "createdAt": iso(a.created_at), "updatedAt": iso(a.updated_at),
    }  # fmt: skip


def event_type_out(e: EventType, with_content: bool = True) -> dict[str, Any]:
    return {
        "name": e.name, "description": e.description, "archived": e.archived, "deprecated": e.deprecated,
        "schemas": e.schemas if with_content else None, "groupName": e.group_name,
        "featureFlags": e.feature_flags, "featureFlag": e.feature_flags[0] if e.feature_flags else None,
        "createdAt": iso(e.created_at), "updatedAt": iso(e.updated_at),
    }  # fmt: skip


def endpoint_out(e: Endpoint) -> dict[str, Any]:
    types = list(e.event_types) if e.event_types is not None else None
    return {
        "id": e.id, "uid": e.uid, "url": e.url, "description": e.description, "version": e.version,
        "disabled": e.disabled, "throttleRate": e.throttle_rate, "rateLimit": e.throttle_rate,
        "eventTypes": types, "filterTypes": types,
        "channels": list(e.channels) if e.channels is not None else None, "metadata": e.metadata,
        "createdAt": iso(e.created_at), "updatedAt": iso(e.updated_at), "maxInFlight": e.max_in_flight,
    }  # fmt: skip


# what Svix answers for a payload past its retention or expunged: the message stays, its content is gone
EXPIRED_PAYLOAD = '{"expired":true}'


def raw_payload_object(text: str) -> dict[str, Any]:
    """A raw payload as ``MessageOut.payload``: the object it holds when it is a JSON object, else ``{}``
    (what Svix's SDKs send as ``payload`` beside a raw one); the text itself is answered as ``rawPayload``."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def message_out(m: Message, with_content: bool = True) -> dict[str, Any]:
    payload: Any = {}
    raw = m.payload if with_content and m.content_type is not None else None
    if raw is not None:
        payload = raw_payload_object(raw)
    elif with_content:
        payload = json.loads(m.payload if m.payload is not None else EXPIRED_PAYLOAD)
    out = {
        "id": m.id, "eventType": m.event_type, "eventId": m.event_id, "payload": payload,
        "channels": list(m.channels) if m.channels is not None else None,
        "tags": list(m.tags) if m.tags is not None else None, "timestamp": iso(m.created_at),
    }  # fmt: skip
    if raw is not None:  # hookline's addition: the text as sent, and what it was sent as
        out.update(rawPayload=raw, contentType=m.content_type)
    return out


def message_json(m: Message, with_content: bool = True) -> str:
    """``message_out`` as compact JSON, with the stored payload text spliced in rather than re-encoded."""
    if m.content_type is not None and with_content and m.payload is not None:
        return _compact(message_out(m, with_content))  # raw text: it may not be JSON at all
    payload = (m.payload if m.payload is not None else EXPIRED_PAYLOAD) if with_content else "{}"
    head = _compact({"id": m.id, "eventType": m.event_type, "eventId": m.event_id})
    tail = _compact({
        "channels": list(m.channels) if m.channels is not None else None,
        "tags": list(m.tags) if m.tags is not None else None, "timestamp": iso(m.created_at),
    })  # fmt: skip
    return f'{head[:-1]},"payload":{payload},{tail[1:]}'


def _compact(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def attempt_out(
    a: Attempt, *, with_content: bool = True, expanded: bool = True, msg: Message | None = None
) -> dict[str, Any]:
    """An attempt; without content its response reads ``{}``, and ``msg`` is embedded without payload
    (as Svix's ``with_msg``); unless ``expanded`` a canceled attempt reads as a success."""
    status = int(a.status) if expanded or a.status != 4 else 0
    out = {
        "id": a.id, "msgId": a.msg_id, "endpointId": a.endpoint_id, "url": a.url,
        "response": a.response if with_content else "{}",
        "responseStatusCode": a.response_status_code, "responseDurationMs": a.response_duration_ms,
        "status": status, "statusText": STATUS_TEXT[status], "triggerType": int(a.trigger_type),
        "timestamp": iso(a.created_at),
    }  # fmt: skip
    if msg is not None:
        out["msg"] = message_out(msg, with_content=False)
    return out


def endpoint_message_out(e: EndpointMessage, with_content: bool = True) -> dict[str, Any]:
    """A message attempted to an endpoint: the message, its delivery's status and, while a retry is
    due, ``nextAttempt`` (left out otherwise, as svix-server does)."""
    out = message_out(e.message, with_content)
    out.update({"status": int(e.status), "statusText": STATUS_TEXT[int(e.status)]})
    if e.next_attempt_at is not None:
        out["nextAttempt"] = iso(e.next_attempt_at)
    return out


def message_endpoint_out(e: Endpoint, d: Dispatch) -> dict[str, Any]:
    out = endpoint_out(e)
    out.update(
        {
            "status": int(d.status),
            "statusText": STATUS_TEXT[int(d.status)],
            "nextAttempt": iso(d.next_attempt_at) if d.status == 1 else None,
        }
    )
    return out


def task_out(t: Task) -> dict[str, Any]:
    return {"id": t.id, "status": t.status, "task": t.kind, "data": t.data, "updatedAt": iso(t.updated_at)}


def isolation_out(b: BreakerState | None, default_cap: int) -> dict[str, Any]:
    """An endpoint's cap, deliveries in flight and circuit breaker, as endpoint stats show them."""
    if b is None:
        return {}
    return {
        "inFlight": b.in_flight,
        "maxInFlight": b.max_in_flight or default_cap,
        "circuit": {
            "state": b.state, "failures": b.failures,
            "openedAt": iso(b.opened_at) if b.opened_at is not None else None,
            "nextProbeAt": iso(b.next_probe_at) if b.next_probe_at is not None and b.state != "closed" else None,
        },
    }  # fmt: skip
