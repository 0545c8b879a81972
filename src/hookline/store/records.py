"""The rows hookline stores, as frozen dataclasses that cross the store boundary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class MessageStatus(IntEnum):
    """Delivery status of a message to an endpoint, and of an attempt (Svix's numbering)."""

    SUCCESS = 0
    PENDING = 1
    FAIL = 2
    SENDING = 3
    CANCELED = 4


class TriggerType(IntEnum):
    """Why an attempt happened."""

    SCHEDULED = 0
    MANUAL = 1


@dataclass(frozen=True)
class Application:
    id: str
    name: str
    uid: str | None = None
    throttle_rate: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    created_at: float = 0.0
    updated_at: float = 0.0


@dataclass(frozen=True)
class EventType:
    name: str
    description: str = ""
    archived: bool = False
    deprecated: bool = False
    schemas: dict[str, Any] | None = None
    group_name: str | None = None
    feature_flags: list[str] | None = None
    created_at: float = 0.0
    updated_at: float = 0.0


@dataclass(frozen=True)
class Endpoint:
    id: str
    app_id: str
    url: str
    uid: str | None = None
    description: str = ""
    disabled: bool = False
    disabled_reason: str | None = None
    throttle_rate: int | None = None
    event_types: tuple[str, ...] | None = None
    channels: tuple[str, ...] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    first_failure_at: float | None = None
    last_success_at: float | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    max_in_flight: int | None = None  # deliveries under way at once, over every worker (None: the default)
    version: int = 1  # Svix's endpoint version: stored and answered, nothing else reads it

    def accepts(self, event_type: str, channels: tuple[str, ...] | None) -> bool:
        """True if a message of this type and channels goes to this endpoint."""
        if self.disabled:
            return False
        if self.event_types is not None and event_type not in self.event_types:
            return False
        return not (self.channels is not None and not (channels and set(channels) & set(self.channels)))


@dataclass(frozen=True)
class Message:
    id: str
    app_id: str
    event_type: str
    payload: str | None
    event_id: str | None = None
    channels: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None
    created_at: float = 0.0
    expires_at: float | None = None
    # a raw payload's Content-Type (Svix's transformationsParams); None: a JSON payload, application/json
    content_type: str | None = None


@dataclass(frozen=True)
class Dispatch:
    """The state of one message's delivery to one endpoint."""

    msg_id: str
    endpoint_id: str
    app_id: str
    status: MessageStatus
    attempts: int = 0
    next_attempt_at: float | None = None
    lease_until: float | None = None
    updated_at: float = 0.0


@dataclass(frozen=True)
class Attempt:
    id: str
    msg_id: str
    endpoint_id: str
    app_id: str
    url: str
    status: MessageStatus
    response_status_code: int
    response: str
    response_duration_ms: int
    trigger_type: TriggerType
    created_at: float
    request_headers: dict[str, str] | None = None
    response_headers: dict[str, str] | None = None  # None on attempts made before they were kept


@dataclass(frozen=True)
class EndpointMessage:
    """A message attempted to an endpoint, with its delivery's status there as Svix shows it."""

    message: Message
    status: MessageStatus
    next_attempt_at: float | None = None


@dataclass(frozen=True)
class Task:
    """A background task (recover, replay) as Svix reports it."""

    id: str
    kind: str
    status: str
    data: dict[str, Any]
    updated_at: float


@dataclass(frozen=True)
class OperationalEvent:
    id: str
    event_type: str
    payload: dict[str, Any]
    created_at: float


@dataclass(frozen=True)
class Claim:
    """A leased dispatch with what the sender needs: the message body, the target and its secrets."""

    msg_id: str
    endpoint_id: str
    app_id: str
    attempts: int
    event_type: str
    payload: str
    url: str
    headers: dict[str, str]
    throttle_rate: int | None
    secrets: tuple[str, ...]
    trigger: TriggerType = TriggerType.SCHEDULED
    send_slot: float | None = None  # a throttled delivery's reserved send slot, kept while it waited for it
    probe: bool = False  # its endpoint fails fast and this delivery tests whether it recovered
    content_type: str | None = None  # the message's own Content-Type, for a raw payload


@dataclass(frozen=True)
class Outcome:
    """The result of one send: the attempt to record and what happens to the dispatch next."""

    attempt: Attempt
    next_attempt_at: float | None  # None: no more tries (success, exhausted or aborted)
    disable_endpoint: str | None = None  # a reason, when the receiver asked to be disabled
    # for the endpoint's circuit breaker: -1 the receiver was unreachable (timeout, connection refused
    # or broken), 1 it answered and the breaker may be set (it may be open), 0 nothing to record
    breaker: int = 0
    prior_attempts: int = 0  # the dispatch's attempts before this one (operational events count them)


@dataclass(frozen=True)
class Page:
    """One page of a cursor-paginated list."""

    data: list[Any]
    iterator: str | None
    prev_iterator: str | None
    done: bool


@dataclass(frozen=True)
class NewMessage:
    """A message to accept. ``app_key`` (id or uid) is resolved in the accepting transaction; the
    idempotency key is checked and stored there too, so a retried request never stores twice."""

    message: Message
    idempotency_key: str | None = None
    response_body: str | None = None  # the API response to replay for the idempotency key
    only_endpoints: tuple[str, ...] | None = None  # restrict delivery (send-example)
    app_key: str | None = None  # when set, message.app_id is ignored and this id or uid is looked up
    deliver_at: float | None = None  # Svix's deliverAt: its dispatches are not due before this time
    traceparent: str | None = None  # the accept span's W3C trace context, while traces are on


@dataclass(frozen=True)
class Accepted:
    """What accepting one message did: how many endpoints it goes to, or the earlier answer replayed."""

    fan_out: int
    replay: str | None = None
    claims: tuple[Claim, ...] = ()  # the dispatches leased to the accepting process as they were stored


@dataclass(frozen=True)
class Lease:
    """Room the accepting process's own worker has: up to ``slots`` new dispatches are stored already
    leased to it for ``seconds`` from the moment they are written, so it sends them without claiming
    them first."""

    slots: int
    seconds: float
    # how many more deliveries of an endpoint the process may take now (its cap less what it has in
    # flight there; 0 while the endpoint fails fast); None leaves the count to the slots alone
    room: Callable[[Endpoint], int] | None = None
