"""What accepting a batch of messages stores, worked out from what the database already holds.

Both backends look the same things up (applications, endpoints, earlier idempotency answers and
event ids, signing secrets) in their own way; deciding each message's fate and the rows to insert
is the same for both and lives here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hookline.store.errors import ConflictError, NotFoundError
from hookline.store.operational import OPERATIONAL_APP_ID
from hookline.store.records import Accepted, Claim, Endpoint, Lease, Message, MessageStatus, NewMessage
from hookline.store.rows import message_params

SENDING = int(MessageStatus.SENDING)
PENDING = int(MessageStatus.PENDING)


@dataclass
class AcceptPlan:
    """Per message its result, and the rows to insert for the whole batch."""

    results: list[BaseException | Accepted] = field(default_factory=list)
    messages: list[tuple[Any, ...]] = field(default_factory=list)
    # msg_id, endpoint_id, app_id, status, attempts, trigger_type, next_attempt_at, updated_at, lease_until
    dispatches: list[tuple[Any, ...]] = field(default_factory=list)
    idempotency: list[tuple[Any, ...]] = field(default_factory=list)  # key, status_code, body, created_at
    # per message row, its idempotency key where an answer for it is stored with it
    message_keys: list[str | None] = field(default_factory=list)


def app_ids_by_key(keys: Iterable[str], rows: Iterable[Sequence[Any]]) -> dict[str, str]:
    """Map application ids and uids (``keys``) to ids, from (id, uid) rows; an id wins over a uid."""
    wanted = set(keys)
    out: dict[str, str] = {}
    for app_id, uid in rows:
        if uid in wanted:
            out.setdefault(uid, app_id)
        if app_id in wanted:
            out[app_id] = app_id
    return out


def resolve(batch: Sequence[NewMessage], apps: Mapping[str, str]) -> list[Message | None]:
    """Each item's message with its application id filled in; None where the application is unknown."""
    out: list[Message | None] = []
    for item in batch:
        m: Message | None = item.message
        if item.app_key is not None:
            app_id = apps.get(item.app_key)
            # operational webhooks' application is written to by the server only, never by a caller
            m = replace(item.message, app_id=app_id) if app_id and app_id != OPERATIONAL_APP_ID else None
        out.append(m)
    return out


def plan_accept(
    batch: Sequence[NewMessage],
    resolved: Sequence[Message | None],
    *,
    replays: dict[str, str],
    endpoints: Mapping[str, Sequence[Endpoint]],
    taken: set[tuple[str, str]],
    secrets: Mapping[str, Sequence[str]],
    lease: Lease | None,
    now: float,
) -> AcceptPlan:
    """Decide every message of the batch: replayed, refused, or stored with its dispatches.

    With a ``lease`` (and ``secrets`` for the endpoints), up to ``lease.slots`` dispatches are stored
    leased to the caller from ``now``, which is when the rows are written, and returned as its claims.
    """
    plan = AcceptPlan()
    slots, lease_until = (
        (lease.slots, now + lease.seconds) if lease is not None and lease.seconds > 0 else (0, 0.0)
    )
    # the endpoint's cap holds for what this batch leases too; the rest waits to be claimed
    room = lease.room if lease is not None else None
    taken_per_endpoint: dict[str, int] = {}
    for item, m in zip(batch, resolved, strict=True):
        key = item.idempotency_key
        if key and key in replays:
            plan.results.append(Accepted(0, replays[key]))
            continue
        if m is None:
            plan.results.append(NotFoundError("application not found"))
            continue
        if m.event_id and (m.app_id, m.event_id) in taken:
            plan.results.append(_taken(m.event_id))
            continue
        if m.event_id:
            taken.add((m.app_id, m.event_id))
        plan.messages.append(message_params(m))
        if item.only_endpoints is not None:
            targets = [e for e in endpoints.get(m.app_id, ()) if e.id in item.only_endpoints]
        else:
            targets = [e for e in endpoints.get(m.app_id, ()) if e.accepts(m.event_type, m.channels)]
        due = max(now, m.created_at, item.deliver_at or 0.0)
        claims: list[Claim] = []
        for e in targets:
            if (
                slots
                and due <= now
                and not e.throttle_rate
                and secrets.get(e.id)
                and (room is None or taken_per_endpoint.get(e.id, 0) < room(e))
            ):
                taken_per_endpoint[e.id] = taken_per_endpoint.get(e.id, 0) + 1
                # leased to the caller as it is stored: a claim would only rewrite this row at once.
                # Like a claimed row it is due again when the lease ends, should the caller die.
                slots -= 1
                plan.dispatches.append((m.id, e.id, m.app_id, SENDING, 0, 0, lease_until, now, lease_until))
                claims.append(
                    Claim(
                        m.id, e.id, m.app_id, 0, m.event_type, m.payload or "", e.url, e.headers,
                        e.throttle_rate, tuple(secrets[e.id]), content_type=m.content_type,
                    )
                )  # fmt: skip
            else:
                plan.dispatches.append((m.id, e.id, m.app_id, PENDING, 0, 0, due, now, None))
        if key and item.response_body is not None:
            plan.idempotency.append((key, 202, item.response_body, now))
            replays[key] = item.response_body
        plan.message_keys.append(key if key and item.response_body is not None else None)
        plan.results.append(Accepted(len(targets), claims=tuple(claims)))
    return plan


def refuse(
    plan: AcceptPlan, batch: Sequence[NewMessage], refused: Iterable[str], answers: Mapping[str, str]
) -> None:
    """Settle the messages the database refused: another request stored their event id, or an answer
    for their idempotency key, since the look-up.

    A message whose key has an answer now replays it, as if it had come second (it did); any other
    is a conflict. Every replay of its key within the batch follows it. None of its rows were
    written, so nothing of it is handed out to send.
    """
    lost = set(refused)
    settled: dict[str, BaseException | Accepted] = {}
    for i, item in enumerate(batch):
        if item.message.id not in lost:
            continue
        key = item.idempotency_key if item.response_body is not None else None
        if key is not None and key in answers:
            result: BaseException | Accepted = Accepted(0, answers[key])
        elif item.message.event_id is not None:
            result = _taken(item.message.event_id)
        else:
            result = ConflictError(f"another request with idempotency key {key!r} was being stored at once")
        plan.results[i] = result
        if key is not None:
            settled[key] = result
    for i, item in enumerate(batch):
        if item.idempotency_key in settled and isinstance(plan.results[i], Accepted):
            plan.results[i] = settled[item.idempotency_key]


def _taken(event_id: str) -> ConflictError:
    return ConflictError(f"a message with event id {event_id!r} already exists")
