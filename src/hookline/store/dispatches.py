"""Dispatches, the delivery of one message to one endpoint: claiming due ones, recording the
outcomes of their sends (attempts, endpoint health, auto-disable), throttle slots, leases, and
scheduling them again (resend, recover, replay).

The worker's hot path (claim, record) is one statement on PostgreSQL (``pg_batch``) and a few
shared statements in one transaction on SQLite.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from hookline.ids import ksuid_floor, new_id
from hookline.store import claiming, pg_batch
from hookline.store.accepting import PENDING, SENDING
from hookline.store.base import StoreBase, marks
from hookline.store.conn import Conn
from hookline.store.endpoints import signing_secrets
from hookline.store.records import (
    Claim,
    Dispatch,
    Endpoint,
    MessageStatus,
    OperationalEvent,
    Outcome,
    TriggerType,
)
from hookline.store.rows import (
    ATTEMPT_COLS,
    DISPATCH_COLS,
    MESSAGE_COLS,
    attempt_params,
    dispatch_from_row,
    dumps,
    message_from_row,
)


class DispatchStore(StoreBase):
    """The ``dispatches`` table, and the attempts and endpoint health that recording an outcome writes."""

    async def claim(
        self, limit: int, lease_seconds: float, now: float | None = None, *, waited: float = 0.0
    ) -> list[Claim]:
        """Lease up to ``limit`` due dispatches (reclaiming expired leases) with what sending needs.

        With ``waited``, only dispatches that have been due at least that many seconds are taken.
        """
        now = time.time() if now is None else now
        lease_until = now + lease_seconds
        if self.dialect == "postgres":
            return await self._claim_postgres(limit, lease_until, now, now - waited)
        return await self.db.run_transaction(
            lambda tx: self._claim_in(tx, limit, lease_until, now, now - waited)
        )

    async def _claim_in(
        self, tx: Conn, limit: int, lease_until: float, now: float, due_by: float
    ) -> list[Claim]:
        """``claim`` inside a transaction: lease a fair batch, then look up what sending needs."""
        rows, probes = await claiming.lease_sqlite(tx, self.fair, limit, due_by, now, lease_until, SENDING)
        if not rows:
            return []
        msg_ids = sorted({r["msg_id"] for r in rows})
        ep_ids = sorted({r["endpoint_id"] for r in rows})
        messages = {
            m["id"]: m
            for m in await tx.fetchall(
                f"SELECT id, event_type, payload, content_type FROM messages WHERE id IN ({marks(len(msg_ids))})",
                msg_ids,
            )
        }
        endpoints = {
            e["id"]: e
            for e in await tx.fetchall(
                "SELECT e.id, e.url, e.headers, COALESCE(e.throttle_rate, a.throttle_rate) AS throttle_rate, "
                "e.disabled FROM endpoints e LEFT JOIN applications a ON a.id = e.app_id "
                f"WHERE e.id IN ({marks(len(ep_ids))})",
                ep_ids,
            )
        }
        secrets = await signing_secrets(tx, self.box, ep_ids, now)
        claims: list[Claim] = []
        dead: list[tuple[Any, ...]] = []
        for r in rows:
            msg_id, ep_id = r["msg_id"], r["endpoint_id"]
            msg = messages.get(msg_id)
            ep = endpoints.get(ep_id)
            if (
                msg is None
                or ep is None
                or ep["disabled"]
                or msg["payload"] is None
                or not secrets.get(ep_id)
            ):
                # nothing can be sent: the endpoint went away or was disabled, or the payload expired
                dead.append((int(MessageStatus.FAIL), now, msg_id, ep_id))
                continue
            claims.append(
                Claim(
                    msg_id=msg_id, endpoint_id=ep_id, app_id=r["app_id"], attempts=r["attempts"],
                    event_type=msg["event_type"], payload=msg["payload"], url=ep["url"],
                    headers=json.loads(ep["headers"] or "{}"), throttle_rate=ep["throttle_rate"],
                    secrets=tuple(secrets[ep_id]), trigger=TriggerType(r["trigger_type"]),
                    send_slot=r["send_slot"], probe=ep_id in probes, content_type=msg["content_type"],
                )
            )  # fmt: skip
        if dead:
            await tx.executemany(
                "UPDATE dispatches SET status = ?, next_attempt_at = NULL, lease_until = NULL, updated_at = ? "
                "WHERE msg_id = ? AND endpoint_id = ?",
                dead,
            )
        return claims

    async def _claim_postgres(self, limit: int, lease_until: float, now: float, due_by: float) -> list[Claim]:
        """``claim`` as one statement: lease with SKIP LOCKED and return what sending needs.

        One statement is its own transaction, so a claim costs one round trip instead of six
        (BEGIN, the lease, three look-ups, COMMIT); with several workers that is most of their
        database time, since every wake-up claims.
        """
        async with self.db.keyed() as c:
            rows = await c.fetchall(
                claiming.PG_CLAIM,
                claiming.claim_params(self.fair, limit, due_by, now, lease_until, SENDING),
            )
            self.fair.advance(sorted({r["endpoint_id"] for r in rows}), len(rows), limit)
            self.fair.held = bool(rows) and bool(rows[0]["held"])
            claims: list[Claim] = []
            dead: list[tuple[Any, ...]] = []
            for r in rows:
                if r["url"] is None or r["disabled"] or r["payload"] is None or not r["secrets"]:
                    # nothing can be sent: the endpoint went away or was disabled, or the payload expired
                    dead.append((int(MessageStatus.FAIL), now, r["msg_id"], r["endpoint_id"]))
                    continue
                claims.append(
                    Claim(
                        msg_id=r["msg_id"], endpoint_id=r["endpoint_id"], app_id=r["app_id"],
                        attempts=r["attempts"], event_type=r["event_type"], payload=r["payload"], url=r["url"],
                        headers=json.loads(r["headers"] or "{}"), throttle_rate=r["throttle_rate"],
                        secrets=tuple(map(self.box.open, r["secrets"])), trigger=TriggerType(r["trigger_type"]),
                        send_slot=r["send_slot"], probe=bool(r["probe"]), content_type=r["content_type"],
                    )
                )  # fmt: skip
            if dead:
                await c.executemany(  # the key as a range of one row, as in pg_batch.RECORD_OUTCOMES
                    "UPDATE dispatches SET status = ?, next_attempt_at = NULL, lease_until = NULL, updated_at = ? "
                    "WHERE (msg_id, endpoint_id) >= (?, ?) AND (msg_id, endpoint_id) <= (?, ?)",
                    [(*d, *d[2:]) for d in dead],
                )
        return claims

    async def complete(self, outcomes: Sequence[Outcome], disable_after: float) -> list[OperationalEvent]:
        """Record attempts and move each dispatch on; update endpoint health; return operational events."""
        now = time.time()
        events: list[OperationalEvent] = []
        if self.dialect == "postgres" and pg_batch.is_plain(outcomes):
            # the common batch in one statement; only endpoints now failing too long need more
            async with self.db.keyed() as c:
                rows = await c.fetchall(
                    pg_batch.RECORD_OUTCOMES, pg_batch.record_outcomes_params(outcomes, now, disable_after)
                )
                await claiming.record_breakers(c, outcomes, self.fair.breaker, now)
            if not rows:
                return events
            async with self.db.transaction() as tx:
                reason = "failing without a success for too long"
                await self._disable_endpoints(tx, {r["id"]: reason for r in rows}, events, now)
            return events
        return await self.db.run_transaction(lambda tx: self._complete_in(tx, outcomes, disable_after, now))

    async def _complete_in(
        self,
        tx: Conn,
        outcomes: Sequence[Outcome],
        disable_after: float,
        now: float,
    ) -> list[OperationalEvent]:
        """``complete`` inside a transaction; returns the operational events it recorded."""
        events: list[OperationalEvent] = []
        # a message deleted (with its application) while it was being sent has no attempts to keep
        await tx.executemany(
            f"INSERT INTO attempts ({ATTEMPT_COLS}) SELECT {marks(13)} "
            "WHERE EXISTS (SELECT 1 FROM messages WHERE id = ?)",
            [(*attempt_params(o.attempt), o.attempt.msg_id) for o in outcomes],
        )
        updates = []
        for o in outcomes:
            a = o.attempt
            if a.status == MessageStatus.SUCCESS:
                status, nxt = int(MessageStatus.SUCCESS), None
            elif o.next_attempt_at is None:
                status, nxt = int(MessageStatus.FAIL), None
            else:
                status, nxt = PENDING, o.next_attempt_at
            updates.append((status, nxt, now, a.msg_id, a.endpoint_id))
            if (
                status == MessageStatus.FAIL
                and a.trigger_type == TriggerType.SCHEDULED
                and not o.disable_endpoint
            ):
                events.append(self._op_event("message.attempt.exhausted", {
                    "appId": a.app_id, "endpointId": a.endpoint_id, "msgId": a.msg_id,
                    "lastAttempt": {"id": a.id, "responseStatusCode": a.response_status_code,
                                    "timestamp": a.created_at},
                }, now))  # fmt: skip
        await tx.executemany(
            "UPDATE dispatches SET status = ?, next_attempt_at = ?, lease_until = NULL, attempts = attempts + 1, "
            # a resend or replay queued while the attempt was under way set it pending again: it stays so
            "trigger_type = 0, send_slot = NULL, updated_at = ? WHERE msg_id = ? AND endpoint_id = ? AND status = ?",
            [(*u, SENDING) for u in updates],
        )
        failed = sorted(
            {o.attempt.endpoint_id for o in outcomes if o.attempt.status != MessageStatus.SUCCESS}
        )
        succeeded = sorted(
            {o.attempt.endpoint_id for o in outcomes if o.attempt.status == MessageStatus.SUCCESS}
        )
        if failed:
            await tx.execute(
                f"UPDATE endpoints SET first_failure_at = ? WHERE id IN ({marks(len(failed))}) "
                "AND first_failure_at IS NULL",
                (now, *failed),
            )
        if succeeded:
            await tx.execute(
                f"UPDATE endpoints SET first_failure_at = NULL, last_success_at = ? WHERE id IN ({marks(len(succeeded))}) "
                "AND (first_failure_at IS NOT NULL OR last_success_at IS NULL OR last_success_at < ?)",
                (now, *succeeded, now - 60),
            )
        to_disable: dict[str, str] = {
            o.attempt.endpoint_id: o.disable_endpoint for o in outcomes if o.disable_endpoint
        }
        if failed:
            rows = await tx.fetchall(
                f"SELECT id FROM endpoints WHERE id IN ({marks(len(failed))}) AND disabled = 0 "
                "AND first_failure_at IS NOT NULL AND first_failure_at < ?",
                (*failed, now - disable_after),
            )
            for r in rows:
                to_disable.setdefault(r["id"], "failing without a success for too long")
        await self._disable_endpoints(tx, to_disable, events, now)
        await claiming.record_breakers(tx, outcomes, self.fair.breaker, now)
        return events

    async def _disable_endpoints(
        self, tx: Conn, to_disable: dict[str, str], events: list[OperationalEvent], now: float
    ) -> None:
        """Disable endpoints (id -> reason) not disabled yet; store ``events`` with an event for each."""
        for ep_id, reason in to_disable.items():
            row = await tx.fetchone(
                "SELECT app_id, uid, disabled, first_failure_at FROM endpoints WHERE id = ?", (ep_id,)
            )
            if row is None or row["disabled"]:
                continue
            await tx.execute(
                "UPDATE endpoints SET disabled = 1, disabled_reason = ?, updated_at = ? WHERE id = ?",
                (reason, now, ep_id),
            )
            events.append(self._op_event("endpoint.disabled", {
                "appId": row["app_id"], "endpointId": ep_id, "endpointUid": row["uid"],
                "failSince": row["first_failure_at"], "reason": reason,
            }, now))  # fmt: skip
        if events:
            await tx.executemany(
                "INSERT INTO operational_events (id, event_type, payload, created_at) VALUES (?, ?, ?, ?)",
                [(e.id, e.event_type, dumps(e.payload), e.created_at) for e in events],
            )

    @staticmethod
    def _op_event(kind: str, data: dict[str, Any], now: float) -> OperationalEvent:
        return OperationalEvent(new_id("opevt"), kind, {"type": kind, "data": data}, now)

    async def requeue(
        self,
        app_id: str,
        msg_id: str,
        endpoint_ids: Sequence[str],
        trigger: TriggerType,
        at: float | None = None,
    ) -> int:
        """Schedule a message again for some endpoints (resend, recover, replay); return how many."""
        now = time.time() if at is None else at
        if not endpoint_ids:
            return 0
        async with self.db.transaction() as tx:
            rows = [(msg_id, ep, app_id, PENDING, int(trigger), now, now) for ep in endpoint_ids]
            await tx.executemany(
                "INSERT INTO dispatches (msg_id, endpoint_id, app_id, status, attempts, trigger_type, next_attempt_at, "
                "updated_at) VALUES (?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT (msg_id, endpoint_id) DO UPDATE SET "
                "status = excluded.status, trigger_type = excluded.trigger_type, "
                "next_attempt_at = excluded.next_attempt_at, lease_until = NULL, send_slot = NULL, "
                "updated_at = excluded.updated_at",
                rows,
            )
        return len(rows)

    async def reserve_sends(
        self, endpoint_id: str, rate: int, count: int, now: float | None = None
    ) -> float | None:
        """Reserve an endpoint's next ``count`` send slots, ``1/rate`` s apart, for every worker at once;
        return the first (None when the endpoint is gone). After a pause, one second's worth is free at once."""
        now = time.time() if now is None else now
        interval = 1.0 / rate
        earliest = now - 1.0 + interval  # a bucket of ``rate`` sends refills within a second
        span = count * interval
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "UPDATE endpoints SET next_send_at = CASE WHEN next_send_at > ? THEN next_send_at ELSE ? END + ? "
                "WHERE id = ? RETURNING next_send_at",
                (earliest, earliest, span, endpoint_id),
            )
        return None if row is None else float(row["next_send_at"]) - span

    async def defer(self, slots: Sequence[tuple[str, str, float]]) -> None:
        """Give leased deliveries (message id, endpoint id, send slot) back to wait for their reserved
        slots: each is due at its slot and keeps it for whichever worker claims it then."""
        now = time.time()
        async with self.db.transaction() as tx:
            await tx.executemany(
                "UPDATE dispatches SET status = ?, next_attempt_at = ?, send_slot = ?, lease_until = NULL, "
                "updated_at = ? WHERE msg_id = ? AND endpoint_id = ? AND status = ?",
                [(PENDING, slot, slot, now, msg_id, ep_id, SENDING) for msg_id, ep_id, slot in slots],
            )

    async def extend_leases(self, keys: Sequence[tuple[str, str]], until: float) -> set[tuple[str, str]]:
        """Hold leased deliveries (message id, endpoint id) until ``until``, so no other worker claims one
        while its send is still under way. Returns the keys extended: those recorded meanwhile, or being
        recorded now, are left as they are."""
        if self.dialect == "postgres":
            msg_ids, ep_ids = pg_batch.columns(keys) if keys else ([], [])
            async with self.db.reader() as c:
                rows = await c.fetchall(
                    pg_batch.EXTEND_LEASES,
                    {"msg_ids": msg_ids, "endpoint_ids": ep_ids, "sending": SENDING, "until": until},
                )
            return {(r["msg_id"], r["endpoint_id"]) for r in rows}
        extended: set[tuple[str, str]] = set()
        async with self.db.transaction() as tx:
            for msg_id, ep_id in keys:
                extended.update(
                    (r["msg_id"], r["endpoint_id"])
                    for r in await tx.fetchall(
                        "UPDATE dispatches SET next_attempt_at = ?, lease_until = ? "
                        "WHERE msg_id = ? AND endpoint_id = ? AND status = ? RETURNING msg_id, endpoint_id",
                        (until, until, msg_id, ep_id, SENDING),
                    )
                )
        return extended

    async def recover(self, endpoint_id: str, since: float, until: float | None) -> int:
        """Schedule again every failed delivery to an endpoint of messages created in [since, until)."""
        now = time.time()
        params: list[Any] = [
            PENDING,
            int(TriggerType.MANUAL),
            now,
            now,
            endpoint_id,
            int(MessageStatus.FAIL),
            since,
        ]
        extra = ""
        if until is not None:
            extra = " AND created_at < ?"
            params.append(until)
        async with self.db.transaction() as tx:
            return await tx.execute(
                "UPDATE dispatches SET status = ?, trigger_type = ?, next_attempt_at = ?, lease_until = NULL, updated_at = ? "
                "WHERE endpoint_id = ? AND status = ? AND msg_id IN (SELECT id FROM messages WHERE created_at >= ?"
                f"{extra})",
                params,
            )

    async def replay_missing(self, ep: Endpoint, since: float, until: float | None) -> int:
        """Dispatch to an endpoint the messages since a time it never got (e.g. created or enabled later)."""
        now = time.time()
        params: list[Any] = [ep.app_id, since]
        extra = ""
        if until is not None:
            extra = " AND created_at < ?"
            params.append(until)
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                f"SELECT {MESSAGE_COLS} FROM messages m WHERE app_id = ? AND created_at >= ?{extra} AND payload IS NOT NULL "
                "AND NOT EXISTS (SELECT 1 FROM dispatches d WHERE d.msg_id = m.id AND d.endpoint_id = ?)",
                (*params, ep.id),
            )
            live = replace(ep, disabled=False)
            todo = [m for m in map(message_from_row, rows) if live.accepts(m.event_type, m.channels)]
            await tx.executemany(
                "INSERT INTO dispatches (msg_id, endpoint_id, app_id, status, attempts, trigger_type, next_attempt_at, "
                "updated_at) VALUES (?, ?, ?, ?, 0, ?, ?, ?)",
                [(m.id, ep.id, ep.app_id, PENDING, int(TriggerType.MANUAL), now, now) for m in todo],
            )
        return len(todo)

    async def count_missing(self, ep: Endpoint, since: float, scan: int) -> tuple[int, bool]:
        """How many of the first ``scan`` messages since a time ``replay_missing`` would send the
        endpoint, and whether that was all of them (so a preview stays cheap on a large log)."""
        async with self.db.reader() as c:
            # the id (a KSUID, time first) bounds the scan on the (app_id, id) index; the filter's
            # columns only, so payloads stay on disk
            rows = await c.fetchall(
                "SELECT event_type, channels, "
                "EXISTS (SELECT 1 FROM dispatches d WHERE d.msg_id = m.id AND d.endpoint_id = ?) AS got "
                "FROM messages m WHERE app_id = ? AND id >= ? AND created_at >= ? AND payload IS NOT NULL "
                "ORDER BY id LIMIT ?",
                (ep.id, ep.app_id, ksuid_floor("msg", min(since, time.time())), since, scan + 1),
            )
        live = replace(ep, disabled=False)
        missing = sum(
            1
            for r in rows[:scan]
            if not r["got"]
            and live.accepts(r["event_type"], tuple(json.loads(r["channels"])) if r["channels"] else None)
        )
        return missing, len(rows) <= scan

    async def count_failed(self, endpoint_id: str, since: float) -> int:
        """How many deliveries to an endpoint failed, of messages since a time (what ``recover`` retries),
        from the index of failed deliveries (``dispatches_failed``), the message's time read from its id."""
        async with self.db.reader() as c:
            row = await c.fetchone(
                "SELECT COUNT(*) AS n FROM dispatches WHERE endpoint_id = ? AND status = 2 AND msg_id >= ?",
                (endpoint_id, ksuid_floor("msg", min(since, time.time()))),
            )
        return int(row["n"]) if row else 0

    async def next_due(self) -> float | None:
        """When the earliest pending or leased dispatch becomes due (for the worker's fallback timer)."""
        async with self.db.reader() as c:
            row = await c.fetchone(
                "SELECT MIN(next_attempt_at) AS due FROM dispatches WHERE status IN (1, 3)"
            )
        return row["due"] if row and row["due"] is not None else None

    async def dispatches_for_message(self, msg_id: str) -> list[Dispatch]:
        """The delivery state of a message to each endpoint it went to."""
        async with self.db.reader() as c:
            rows = await c.fetchall(
                f"SELECT {DISPATCH_COLS} FROM dispatches WHERE msg_id = ? ORDER BY endpoint_id", (msg_id,)
            )
        return [dispatch_from_row(r) for r in rows]

    async def endpoint_stats(
        self, endpoint_id: str, since: float | None, until: float | None
    ) -> dict[int, int]:
        """Count an endpoint's deliveries by status (optionally for messages in a time range)."""
        sql = "SELECT d.status, COUNT(*) AS n FROM dispatches d"
        params: list[Any] = []
        where = " WHERE d.endpoint_id = ?"
        params.append(endpoint_id)
        if since is not None or until is not None:
            sql += " JOIN messages m ON m.id = d.msg_id"
            if since is not None:
                where += " AND m.created_at >= ?"
                params.append(since)
            if until is not None:
                where += " AND m.created_at < ?"
                params.append(until)
        async with self.db.reader() as c:
            rows = await c.fetchall(sql + where + " GROUP BY d.status", params)
        return {int(r["status"]): int(r["n"]) for r in rows}
