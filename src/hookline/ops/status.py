"""What an operator watches: queue depth and age, throughput, failing endpoints, size, retention.

Every figure is read with a statement that touches an index range, not a whole table, so the status
page and the metrics sampler stay cheap however large the database grows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hookline.ids import ksuid_floor
from hookline.ops.heartbeat import FORGET_SECONDS, STALE_SECONDS
from hookline.store import ops_runs, processes, retention
from hookline.store.db import Database
from hookline.store.ops_runs import LastRun
from hookline.store.processes import ProcessRow

# counting a backlog stops here: past it the figure is "at least", and counting more would cost more
QUEUE_COUNT_CAP = 100_000
FAILING_SHOWN = 20


@dataclass(frozen=True)
class Queue:
    """Deliveries waiting: how many (up to ``QUEUE_COUNT_CAP``), and how long the oldest due one waits."""

    depth: int
    capped: bool
    oldest_due_seconds: float


@dataclass(frozen=True)
class FailingEndpoint:
    """An endpoint failing since ``since`` (unix seconds), not disabled yet."""

    id: str
    app_id: str
    url: str
    since: float


@dataclass(frozen=True)
class Status:
    """One look at the whole installation."""

    at: float
    queue: Queue
    attempts_last_minute: int
    endpoints: dict[str, int]  # enabled, failing, disabled
    failing: list[FailingEndpoint] = field(default_factory=list)
    database_bytes: int | None = None
    free_pages: int | None = None  # SQLite: pages free for reuse
    incremental_vacuum: bool | None = None  # SQLite: whether free pages can be given back
    retention: LastRun | None = None
    processes: list[ProcessRow] = field(default_factory=list)  # API and worker processes seen recently

    def answering(self, p: ProcessRow) -> bool:
        """Whether process ``p`` beat recently (else it stopped without saying so, or hangs)."""
        return self.at - p.last_seen <= STALE_SECONDS


async def queue(db: Database, now: float) -> Queue:
    """Deliveries pending or being sent, and how long the oldest due one has been due."""
    async with db.reader() as c:
        row = await c.fetchone(
            "SELECT COUNT(*) FROM (SELECT 1 FROM dispatches WHERE status IN (1, 3) LIMIT ?) q",
            (QUEUE_COUNT_CAP,),
        )
        depth = int(row[0]) if row else 0
        # a row being sent (3) carries its lease's end as next_attempt_at: only overdue leases count
        row = await c.fetchone("SELECT MIN(next_attempt_at) FROM dispatches WHERE status IN (1, 3)")
    oldest = float(row[0]) if row and row[0] is not None else None
    age = max(0.0, now - oldest) if oldest is not None else 0.0
    return Queue(depth, depth >= QUEUE_COUNT_CAP, age)


async def endpoint_states(db: Database) -> dict[str, int]:
    """How many endpoints are enabled and healthy, failing (not disabled yet), and disabled."""
    async with db.reader() as c:
        rows = await c.fetchall(
            "SELECT disabled, CASE WHEN first_failure_at IS NULL THEN 0 ELSE 1 END, COUNT(*) "
            "FROM endpoints GROUP BY 1, 2"
        )
    states = {"enabled": 0, "failing": 0, "disabled": 0}
    for disabled, failing, count in rows:
        key = "disabled" if disabled else ("failing" if failing else "enabled")
        states[key] += int(count)
    return states


async def attempts_since(db: Database, since: float) -> int:
    """Delivery attempts made since ``since`` (attempt ids are time-sortable: a key range)."""
    async with db.reader() as c:
        row = await c.fetchone("SELECT COUNT(*) FROM attempts WHERE id >= ?", (ksuid_floor("atmpt", since),))
    return int(row[0]) if row else 0


async def failing_endpoints(db: Database, limit: int = FAILING_SHOWN) -> list[FailingEndpoint]:
    """The endpoints failing longest (not disabled yet), oldest failure first."""
    async with db.reader() as c:
        rows = await c.fetchall(
            "SELECT id, app_id, url, first_failure_at FROM endpoints "
            "WHERE disabled = 0 AND first_failure_at IS NOT NULL ORDER BY first_failure_at LIMIT ?",
            (limit,),
        )
    return [FailingEndpoint(str(r[0]), str(r[1]), str(r[2]), float(r[3])) for r in rows]


async def read_status(db: Database, now: float) -> Status:
    """Everything the status page shows."""
    space = await retention.file_space(db)
    return Status(
        at=now,
        queue=await queue(db, now),
        attempts_last_minute=await attempts_since(db, now - 60),
        endpoints=await endpoint_states(db),
        failing=await failing_endpoints(db),
        database_bytes=await retention.database_bytes(db),
        free_pages=None if space is None else space.free_pages,
        incremental_vacuum=None if space is None else space.incremental,
        retention=await ops_runs.last_run(db, "retention"),
        processes=await processes.seen_since(db, now - FORGET_SECONDS),
    )
