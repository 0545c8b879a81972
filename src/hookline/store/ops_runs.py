"""Leases for background jobs that one process at a time runs, and the report of their last run.

A lease is a row of ``ops_runs``: any number of API and worker processes may try to take it; the one
that holds it (until its lease runs out unrenewed) runs the job. Rows, not PostgreSQL advisory locks,
so the same code serves SQLite's processes and PostgreSQL's, and a lease survives a pooled
connection being swapped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hookline.store.conn import Conn, Row
from hookline.store.db import Database


async def take_lease(db: Database, name: str, holder: str, now: float, seconds: float) -> bool:
    """Take (or renew) the lease on job ``name`` for ``seconds`` if it is free, expired or ours."""

    async def take(tx: Conn) -> Row | None:
        return await tx.fetchone(
            "INSERT INTO ops_runs (name, holder, lease_until) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until "
            "WHERE ops_runs.lease_until < ? OR ops_runs.holder = excluded.holder RETURNING holder",
            (name, holder, now + seconds, now),
        )

    # one statement: run where the write lock is free (on SQLite, without a trip to the writer's thread)
    row = await db.run_transaction(take)
    return row is not None and row[0] == holder


async def release_lease(db: Database, name: str, holder: str) -> None:
    """Give up the lease on ``name`` if ``holder`` holds it, so another process may take it at once."""
    async with db.transaction() as tx:
        await tx.execute("UPDATE ops_runs SET lease_until = 0 WHERE name = ? AND holder = ?", (name, holder))


async def record_run(
    db: Database, name: str, holder: str, started_at: float, finished_at: float, report: dict[str, Any]
) -> None:
    """Keep the report of a finished run of ``name`` (for the status page and ``/metrics``)."""
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE ops_runs SET started_at = ?, finished_at = ?, report = ? WHERE name = ? AND holder = ?",
            (started_at, finished_at, json.dumps(report, sort_keys=True), name, holder),
        )


@dataclass(frozen=True)
class LastRun:
    """The last finished run of a job: who ran it, when, and what it reported."""

    holder: str
    started_at: float
    finished_at: float
    report: dict[str, Any]


async def last_run(db: Database, name: str) -> LastRun | None:
    """The last finished run of job ``name``, or None if it never finished one."""
    async with db.reader() as c:
        row = await c.fetchone(
            "SELECT holder, started_at, finished_at, report FROM ops_runs WHERE name = ? AND finished_at IS NOT NULL",
            (name,),
        )
    if row is None:
        return None
    return LastRun(str(row[0]), float(row[1]), float(row[2]), json.loads(row[3] or "{}"))
