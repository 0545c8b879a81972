"""The retention pass: one process at a time expunges expired payloads and deletes old rows.

Every API and worker process runs a ``RetentionRunner``; the lease in ``ops_runs`` lets one of them
work at a time, and another takes over within a lease period if it stops. The clock is injectable,
so tests and ``bench/retention.py`` drive simulated time instead of waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field

from hookline.opsconfig import DAY, RetentionSettings
from hookline.store import ops_runs, pg_partitions, retention
from hookline.store.db import Database

log = logging.getLogger("hookline.retention")

JOB = "retention"
# a SQLite file in INCREMENTAL auto-vacuum mode gives free pages back once they are this share of it;
# below, and in the default mode, they are reused in place
GIVE_BACK_SHARE = 0.25
GIVE_BACK_STEP = 2000  # pages per transaction


@dataclass
class RetentionReport:
    """What one pass did."""

    started_at: float
    finished_at: float = 0.0
    payloads_expunged: int = 0
    messages: int = 0
    dispatches: int = 0
    attempts: int = 0
    kept_in_delivery: int = 0  # old messages kept because a delivery of theirs is still pending
    other: dict[str, int] = field(default_factory=dict)  # idempotency, operational_events, ...
    pages_given_back: int = 0
    partitions_dropped: list[str] = field(default_factory=list)  # PostgreSQL: whole days dropped
    partitions_created: list[str] = field(default_factory=list)
    complete: bool = True  # False when the lease was lost part-way (another process goes on)

    def as_dict(self) -> dict[str, object]:
        """The report as JSON-ready data."""
        return asdict(self)


def holder_name() -> str:
    """A name for this process that no other process shares: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class _LeaseLost(Exception):
    pass


class RetentionRunner:
    """Runs retention passes every ``settings.interval_seconds`` while this process holds the lease."""

    def __init__(
        self,
        db: Database,
        settings: RetentionSettings,
        *,
        idempotency_seconds: float = DAY,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        holder: str | None = None,
        on_report: Callable[[RetentionReport], None] | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.idempotency_seconds = idempotency_seconds
        self.clock = clock
        self.sleep = sleep
        self.holder = holder or holder_name()
        self.on_report = on_report
        self._renewed_at = 0.0

    async def run_once(self) -> RetentionReport | None:
        """One full pass, if this process can take the lease; None when another process holds it."""
        now = self.clock()
        if not await ops_runs.take_lease(self.db, JOB, self.holder, now, self.settings.lease_seconds):
            return None
        self._renewed_at = now
        report = RetentionReport(started_at=now)
        try:
            partitioned_from = await self._partitions(report, now)
            await self._payloads(report, now)
            await self._messages(report, now, partitioned_from)
            await self._other_tables(report, now)
            await self._give_back_pages(report)
            # deleted rows' space is reused only once vacuumed: autovacuum's job, unless it is off
            changed = {"messages": report.messages or report.payloads_expunged, "dispatches": report.dispatches,
                       "attempts": report.attempts}  # fmt: skip
            await retention.vacuum_if_autovacuum_off(self.db, [t for t, n in changed.items() if n])
        except _LeaseLost:
            report.complete = False
            log.info("retention: lease lost part-way; another process carries on")
        report.finished_at = self.clock()
        if report.complete:
            await ops_runs.record_run(
                self.db, JOB, self.holder, report.started_at, report.finished_at, report.as_dict()
            )
        if self.on_report is not None:
            self.on_report(report)
        return report

    async def run_forever(self) -> None:
        """Pass after pass until cancelled; a failed pass is logged and tried again next interval."""
        try:
            while True:
                try:
                    await self._pass_and_log()
                except Exception as exc:  # the database may be away for a while; the next pass catches up
                    log.warning("retention pass failed: %s", exc)
                await self.sleep(self.settings.interval_seconds)
        except asyncio.CancelledError:
            await self._release()
            raise

    async def _pass_and_log(self) -> None:
        report = await self.run_once()
        if report is not None and (report.messages or report.payloads_expunged):
            log.info(
                "retention: expunged %d payloads, deleted %d messages, %d dispatches, %d attempts",
                report.payloads_expunged, report.messages, report.dispatches, report.attempts,
            )  # fmt: skip

    async def _release(self) -> None:
        """Give the lease up as this process stops, so another (or this one restarted) takes it at once
        instead of waiting for it to run out; a database that does not answer within 2 s is left alone."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(ops_runs.release_lease(self.db, JOB, self.holder)), 2.0)

    async def _between_batches(self) -> None:
        """Let waiting writers in, and renew the lease once half of it has gone by."""
        await self.sleep(self.settings.pause_seconds)
        now = self.clock()
        if now - self._renewed_at >= self.settings.lease_seconds / 2:
            if not await ops_runs.take_lease(self.db, JOB, self.holder, now, self.settings.lease_seconds):
                raise _LeaseLost
            self._renewed_at = now

    async def _payloads(self, report: RetentionReport, now: float) -> None:
        batch = self.settings.batch
        while True:
            done = await retention.expunge_payloads(self.db, now, batch)
            report.payloads_expunged += done
            if done < batch:
                return
            await self._between_batches()

    async def _partitions(self, report: RetentionReport, now: float) -> float | None:
        """PostgreSQL: partition the per-message tables by day (once), keep days ahead ready, drop the
        days past the horizon. Returns where daily partitions start: older messages are deleted in
        batches, newer ones only by dropping their day."""
        if self.db.dialect != "postgres" or not self.settings.partitions:
            return None
        horizon = self.settings.horizon_seconds
        start: float | None = None
        for table in pg_partitions.TABLES:
            await pg_partitions.convert(self.db, table, now)
            report.partitions_created += await pg_partitions.create_ahead(self.db, table, now)
            if horizon is not None:
                dropped = await pg_partitions.drop_before(self.db, table, now - horizon, self.settings.batch)
                report.partitions_dropped += dropped.partitions
                report.dispatches += dropped.dispatches
            if table.name == "messages":
                start = await pg_partitions.first_day(self.db, table)
        return start

    async def _messages(self, report: RetentionReport, now: float, partitioned_from: float | None) -> None:
        horizon = self.settings.horizon_seconds
        if horizon is None:
            return
        before = now - horizon
        if partitioned_from is not None:
            before = min(before, partitioned_from)
        start = retention.FIRST_MESSAGE
        while True:
            b = await retention.delete_messages(self.db, before, start, self.settings.batch)
            report.messages += b.messages
            report.dispatches += b.dispatches
            report.attempts += b.attempts
            report.kept_in_delivery += b.scanned - b.messages
            if b.scanned < self.settings.batch:
                return
            start = b.next_from
            await self._between_batches()

    async def _other_tables(self, report: RetentionReport, now: float) -> None:
        operational = self.settings.operational_days * DAY if self.settings.operational_days > 0 else None
        for kind in retention.SIDE_TABLES:
            horizon = {
                "idempotency": self.idempotency_seconds,
                "message_traces": self.settings.horizon_seconds,
            }.get(kind, operational)
            if horizon is None:
                continue
            total = 0
            while True:
                done = await retention.delete_older(self.db, kind, now - horizon, self.settings.batch)
                total += done
                if done < self.settings.batch:
                    break
                await self._between_batches()
            report.other[kind] = total

    async def _give_back_pages(self, report: RetentionReport) -> None:
        """Shrink a SQLite file whose free pages grew past a share of it (after a horizon was shortened)."""
        space = await retention.file_space(self.db, on_writer=True)
        if space is None or not space.incremental or space.free_pages < space.pages * GIVE_BACK_SHARE:
            return
        left = space.free_pages
        while left > 0:
            await retention.give_back_pages(self.db, GIVE_BACK_STEP)
            report.pages_given_back += min(left, GIVE_BACK_STEP)
            left -= GIVE_BACK_STEP
            await self._between_batches()
