"""The delivery engine's operational events, sent as Svix sends them: messages of the operational application.

Recording outcomes yields ``message.attempt.exhausted`` and ``endpoint.disabled`` (stored with the
outcomes); the worker adds ``message.attempt.failing`` (a scheduled attempt's fourth failure with a
retry due) and ``message.attempt.recovered`` (a success after that). Like svix-server, they are sent
after the outcomes are committed and without holding up recording; a failure to store one is logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from hookline.store.errors import StoreError
from hookline.store.operational import OPERATIONAL_APP_ID, operational_message
from hookline.store.records import MessageStatus, OperationalEvent, Outcome, TriggerType
from hookline.store.store import Store

log = logging.getLogger("hookline.delivery")

# svix-server's OP_WEBHOOKS_SEND_FAILING_EVENT_AFTER: ``failing`` on the fourth failed attempt
FAILING_AFTER = 4


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def attempt_events(outcomes: Sequence[Outcome]) -> list[tuple[str, Outcome]]:
    """``message.attempt.failing`` and ``message.attempt.recovered`` among these outcomes."""
    out: list[tuple[str, Outcome]] = []
    for o in outcomes:
        if o.attempt.trigger_type != TriggerType.SCHEDULED or o.attempt.app_id == OPERATIONAL_APP_ID:
            continue
        if o.attempt.status == MessageStatus.SUCCESS and o.prior_attempts >= FAILING_AFTER:
            out.append(("message.attempt.recovered", o))
        elif (
            o.attempt.status != MessageStatus.SUCCESS
            and o.next_attempt_at is not None
            and o.prior_attempts == FAILING_AFTER - 1
        ):
            out.append(("message.attempt.failing", o))
    return out


class OperationalForwarder:
    """Turns the engine's events into messages of the operational application, in the background."""

    def __init__(self, store: Store, announce: Callable[[], Awaitable[None]]) -> None:
        self.store = store
        self.announce = announce
        self._tasks: set[asyncio.Task[None]] = set()

    def forward(self, outcomes: Sequence[Outcome], events: Sequence[OperationalEvent]) -> None:
        """Send the events of one recorded batch (returns at once)."""
        found: list[tuple[str, dict[str, Any]]] = []
        for kind, o in attempt_events(outcomes):
            a = o.attempt
            found.append((kind, {
                "appId": a.app_id, "msgId": a.msg_id, "endpointId": a.endpoint_id,
                "lastAttempt": {"id": a.id, "responseStatusCode": a.response_status_code, "timestamp": a.created_at},
            }))  # fmt: skip
        for event in events:
            data = event.payload.get("data")
            if isinstance(data, dict) and data.get("appId") != OPERATIONAL_APP_ID:
                found.append((event.event_type, data))
        if not found:
            return
        task = asyncio.get_running_loop().create_task(self._send(found))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the events being sent (at shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _send(self, found: list[tuple[str, dict[str, Any]]]) -> None:
        try:
            if not await self.store.operational_listeners():
                return
            batch = [operational_message(kind, await self._svix_data(kind, data)) for kind, data in found]
            results = await self.store.accept_messages(batch)
            for result in results:
                if isinstance(result, BaseException):
                    log.warning("an operational event was not stored: %s", result)
            await self.announce()
        except StoreError as exc:
            log.warning("%d operational events were not stored: %s", len(found), exc)
        except Exception:
            # a task nobody awaits: an unexpected error is logged here or it would be lost
            log.exception("%d operational events were not stored", len(found))

    async def _svix_data(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        """The event's ``data`` as Svix writes it: uids beside ids, times in RFC 3339."""
        app = await self.store.get_app(data["appId"])
        app_uid = app.uid if app is not None else None
        if kind == "endpoint.disabled":
            return {
                "appId": data["appId"], "appUid": app_uid, "endpointId": data["endpointId"],
                "endpointUid": data.get("endpointUid"), "failSince": _iso(data.get("failSince")),
                "trigger": "automatic",
            }  # fmt: skip
        msg = await self.store.get_message(data["appId"], data["msgId"])
        last = data["lastAttempt"]
        return {
            "appId": data["appId"], "appUid": app_uid, "msgId": data["msgId"],
            "msgEventId": msg.event_id if msg is not None else None, "endpointId": data["endpointId"],
            "lastAttempt": {
                "id": last["id"], "responseStatusCode": last["responseStatusCode"], "timestamp": _iso(last["timestamp"]),
            },
        }  # fmt: skip
