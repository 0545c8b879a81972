"""Conversions between database rows and records, shared by both backends.

Rows are read by column name, so a query may select its columns in any order or add others; the
``*_COLS`` lists are the columns each conversion needs. Parameters for inserts follow those lists.
"""

from __future__ import annotations

import json
from typing import Any

from hookline.store.conn import Row
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
    "headers, metadata, first_failure_at, last_success_at, created_at, updated_at, max_in_flight, version"
)
# ENDPOINT_COLS of endpoints ``e`` joined with their applications ``a``, with the rate deliveries go at:
# the endpoint's own throttleRate, else its application's (which applies to each endpoint by itself)
PACED_ENDPOINT_COLS = ", ".join(
    "COALESCE(e.throttle_rate, a.throttle_rate) AS throttle_rate" if c == "throttle_rate" else f"e.{c}"
    for c in ENDPOINT_COLS.split(", ")
)
MESSAGE_COLS = (
    "id, app_id, event_type, event_id, channels, tags, payload, created_at, expires_at, content_type"
)
ATTEMPT_COLS = (
    "id, msg_id, endpoint_id, app_id, url, status, response_status_code, response, response_duration_ms, "
    "trigger_type, created_at, request_headers, response_headers"
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


def app_from_row(r: Row) -> Application:
    return Application(
        id=r["id"], name=r["name"], uid=r["uid"], throttle_rate=r["throttle_rate"],
        metadata=loads(r["metadata"]) or {}, created_at=r["created_at"], updated_at=r["updated_at"],
    )  # fmt: skip


def app_params(a: Application) -> tuple[Any, ...]:
    return (a.id, a.uid, a.name, a.throttle_rate, dumps(a.metadata), a.created_at, a.updated_at)


def event_type_from_row(r: Row) -> EventType:
    return EventType(
        name=r["name"], description=r["description"], archived=bool(r["archived"]),
        deprecated=bool(r["deprecated"]), schemas=loads(r["schemas"]), group_name=r["group_name"],
        feature_flags=loads(r["feature_flags"]), created_at=r["created_at"], updated_at=r["updated_at"],
    )  # fmt: skip


def event_type_params(e: EventType) -> tuple[Any, ...]:
    return (
        e.name, e.description, int(e.archived), int(e.deprecated), dumps(e.schemas), e.group_name,
        dumps(e.feature_flags), e.created_at, e.updated_at,
    )  # fmt: skip


def endpoint_from_row(r: Row) -> Endpoint:
    return Endpoint(
        id=r["id"], app_id=r["app_id"], uid=r["uid"], url=r["url"], description=r["description"],
        disabled=bool(r["disabled"]), disabled_reason=r["disabled_reason"], throttle_rate=r["throttle_rate"],
        event_types=_tuple(r["event_types"]), channels=_tuple(r["channels"]), headers=loads(r["headers"]) or {},
        metadata=loads(r["metadata"]) or {}, first_failure_at=r["first_failure_at"],
        last_success_at=r["last_success_at"], created_at=r["created_at"], updated_at=r["updated_at"],
        max_in_flight=r["max_in_flight"], version=r["version"],
    )  # fmt: skip


def endpoint_params(e: Endpoint) -> tuple[Any, ...]:
    return (
        e.id, e.app_id, e.uid, e.url, e.description, int(e.disabled), e.disabled_reason, e.throttle_rate,
        dumps(list(e.event_types) if e.event_types is not None else None),
        dumps(list(e.channels) if e.channels is not None else None),
        dumps(e.headers), dumps(e.metadata), e.first_failure_at, e.last_success_at, e.created_at, e.updated_at,
        e.max_in_flight, e.version,
    )  # fmt: skip


def message_from_row(r: Row) -> Message:
    return Message(
        id=r["id"], app_id=r["app_id"], event_type=r["event_type"], payload=r["payload"],
        event_id=r["event_id"], channels=_tuple(r["channels"]), tags=_tuple(r["tags"]),
        created_at=r["created_at"], expires_at=r["expires_at"], content_type=r["content_type"],
    )  # fmt: skip


def message_params(m: Message) -> tuple[Any, ...]:
    return (
        m.id, m.app_id, m.event_type, m.event_id,
        dumps(list(m.channels) if m.channels is not None else None),
        dumps(list(m.tags) if m.tags is not None else None),
        m.payload, m.created_at, m.expires_at, m.content_type,
    )  # fmt: skip


def attempt_from_row(r: Row) -> Attempt:
    return Attempt(
        id=r["id"], msg_id=r["msg_id"], endpoint_id=r["endpoint_id"], app_id=r["app_id"], url=r["url"],
        status=MessageStatus(r["status"]), response_status_code=r["response_status_code"],
        response=r["response"], response_duration_ms=r["response_duration_ms"],
        trigger_type=TriggerType(r["trigger_type"]), created_at=r["created_at"],
        request_headers=loads(r["request_headers"]), response_headers=loads(r["response_headers"]),
    )  # fmt: skip


def attempt_params(a: Attempt) -> tuple[Any, ...]:
    return (
        a.id, a.msg_id, a.endpoint_id, a.app_id, a.url, int(a.status), a.response_status_code, a.response,
        a.response_duration_ms, int(a.trigger_type), a.created_at, dumps(a.request_headers),
        dumps(a.response_headers),
    )  # fmt: skip


def dispatch_from_row(r: Row) -> Dispatch:
    return Dispatch(
        msg_id=r["msg_id"], endpoint_id=r["endpoint_id"], app_id=r["app_id"], status=MessageStatus(r["status"]),
        attempts=r["attempts"], next_attempt_at=r["next_attempt_at"], lease_until=r["lease_until"],
        updated_at=r["updated_at"],
    )  # fmt: skip


def task_from_row(r: Row) -> Task:
    return Task(
        id=r["id"],
        kind=r["kind"],
        status=r["status"],
        data=loads(r["data"]) or {},
        updated_at=r["updated_at"],
    )


def op_event_from_row(r: Row) -> OperationalEvent:
    return OperationalEvent(
        id=r["id"], event_type=r["event_type"], payload=loads(r["payload"]) or {}, created_at=r["created_at"]
    )
