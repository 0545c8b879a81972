"""Conversions between database rows and records, shared by both backends."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from hookline.store.records import (
    Application,
    Attempt,
    Dispatch,
    Endpoint,
    EventType,
    Message,
    MessageStatus,
    OperationalEvent,
    Task,
    TriggerType,
)

APP_COLS = "id, uid, name, throttle_rate, metadata, created_at, updated_at"
EVENT_TYPE_COLS = (
    "name, description, archived, deprecated, schemas, group_name, feature_flags, created_at, updated_at"
)
ENDPOINT_COLS = (
    "id, app_id, uid, url, description, disabled, disabled_reason, throttle_rate, event_types, channels, "
    "headers, metadata, first_failure_at, last_success_at, created_at, updated_at, max_in_flight"
)
# ENDPOINT_COLS of endpoints ``e`` joined with their applications ``a``, with the rate deliveries go at:
# the endpoint's own throttleRate, else its application's (which applies to each endpoint by itself)
PACED_ENDPOINT_COLS = ", ".join(
    "COALESCE(e.throttle_rate, a.throttle_rate)" if c == "throttle_rate" else f"e.{c}"
    for c in ENDPOINT_COLS.split(", ")
)
MESSAGE_COLS = "id, app_id, event_type, event_id, channels, tags, payload, created_at, expires_at"
ATTEMPT_COLS = (
    "id, msg_id, endpoint_id, app_id, url, status, response_status_code, response, response_duration_ms, "
    "trigger_type, created_at, request_headers"
)
DISPATCH_COLS = "msg_id, endpoint_id, app_id, status, attempts, next_attempt_at, lease_until, updated_at"


def dumps(value: Any) -> str | None:
    """JSON-encode for a TEXT column; None stays NULL."""
    return None if value is None else json.dumps(value, separators=(",", ":"))


def loads(text: str | None) -> Any:
    """Decode a JSON TEXT column; NULL stays None."""
    return None if text is None else json.loads(text)


def _tuple(text: str | None) -> tuple[str, ...] | None:
    value = loads(text)
    return None if value is None else tuple(value)


def app_from_row(r: Sequence[Any]) -> Application:
    return Application(r[0], r[2], r[1], r[3], loads(r[4]) or {}, r[5], r[6])


def app_params(a: Application) -> tuple[Any, ...]:
    return (a.id, a.uid, a.name, a.throttle_rate, dumps(a.metadata), a.created_at, a.updated_at)


def event_type_from_row(r: Sequence[Any]) -> EventType:
    return EventType(r[0], r[1], bool(r[2]), bool(r[3]), loads(r[4]), r[5], loads(r[6]), r[7], r[8])


def event_type_params(e: EventType) -> tuple[Any, ...]:
    return (
        e.name, e.description, int(e.archived), int(e.deprecated), dumps(e.schemas), e.group_name,
        dumps(e.feature_flags), e.created_at, e.updated_at,
    )  # fmt: skip


def endpoint_from_row(r: Sequence[Any]) -> Endpoint:
    return Endpoint(
        id=r[0], app_id=r[1], uid=r[2], url=r[3], description=r[4], disabled=bool(r[5]),
        disabled_reason=r[6], throttle_rate=r[7], event_types=_tuple(r[8]), channels=_tuple(r[9]),
        headers=loads(r[10]) or {}, metadata=loads(r[11]) or {}, first_failure_at=r[12],
        last_success_at=r[13], created_at=r[14], updated_at=r[15], max_in_flight=r[16],
    )  # fmt: skip


def endpoint_params(e: Endpoint) -> tuple[Any, ...]:
    return (
        e.id, e.app_id, e.uid, e.url, e.description, int(e.disabled), e.disabled_reason, e.throttle_rate,
        dumps(list(e.event_types) if e.event_types is not None else None),
        dumps(list(e.channels) if e.channels is not None else None),
        dumps(e.headers), dumps(e.metadata), e.first_failure_at, e.last_success_at, e.created_at, e.updated_at,
        e.max_in_flight,
    )  # fmt: skip


def message_from_row(r: Sequence[Any]) -> Message:
    return Message(r[0], r[1], r[2], r[6], r[3], _tuple(r[4]), _tuple(r[5]), r[7], r[8])


def message_params(m: Message) -> tuple[Any, ...]:
    return (
        m.id, m.app_id, m.event_type, m.event_id,
        dumps(list(m.channels) if m.channels is not None else None),
        dumps(list(m.tags) if m.tags is not None else None),
        m.payload, m.created_at, m.expires_at,
    )  # fmt: skip


def attempt_from_row(r: Sequence[Any]) -> Attempt:
    return Attempt(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        MessageStatus(r[5]),
        r[6],
        r[7],
        r[8],
        TriggerType(r[9]),
        r[10],
        loads(r[11]),
    )


def attempt_params(a: Attempt) -> tuple[Any, ...]:
    return (
        a.id, a.msg_id, a.endpoint_id, a.app_id, a.url, int(a.status), a.response_status_code, a.response,
        a.response_duration_ms, int(a.trigger_type), a.created_at, dumps(a.request_headers),
    )  # fmt: skip


def dispatch_from_row(r: Sequence[Any]) -> Dispatch:
    return Dispatch(r[0], r[1], r[2], MessageStatus(r[3]), r[4], r[5], r[6], r[7])


def task_from_row(r: Sequence[Any]) -> Task:
    return Task(r[0], r[1], r[2], loads(r[3]) or {}, r[4])


def op_event_from_row(r: Sequence[Any]) -> OperationalEvent:
    return OperationalEvent(r[0], r[1], loads(r[2]) or {}, r[3])
