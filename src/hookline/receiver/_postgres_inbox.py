"""The inbox on PostgreSQL via ``asyncpg`` (imported only when this backend opens)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from hookline.receiver._errors import InboxError
from hookline.receiver._stored import DEAD, DONE, PENDING, InboxRecord, check_identifier

_SCHEMA = """
CREATE TABLE IF NOT EXISTS {t} (
    message_id      TEXT PRIMARY KEY,
    event_type      TEXT NOT NULL,
    body            BYTEA NOT NULL,
    headers         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DOUBLE PRECISION NOT NULL,
    locked_until    DOUBLE PRECISION,
    lease_owner     TEXT,
    last_error      TEXT,
    received_at     DOUBLE PRECISION NOT NULL,
    completed_at    DOUBLE PRECISION
);
CREATE INDEX IF NOT EXISTS {index} ON {t} (status, next_attempt_at);
"""

_COLUMNS = (
    "message_id, event_type, body, headers, status, attempts, next_attempt_at, received_at, "
    "locked_until, completed_at, last_error"
)

# The insert notifies in the same statement, so a worker in another process wakes at commit.
_INSERT = """
WITH inserted AS (
    INSERT INTO {t} (message_id, event_type, body, headers, status, attempts, next_attempt_at, received_at)
    VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)
    ON CONFLICT (message_id) DO NOTHING
    RETURNING message_id
)
SELECT pg_notify($6, message_id) FROM inserted
"""

# SKIP LOCKED lets several workers claim at once without waiting on each other's rows.
_CLAIM = """
UPDATE {t} SET locked_until = $1, lease_owner = $2, attempts = attempts + 1
WHERE message_id IN (
    SELECT message_id FROM {t}
    WHERE status = 'pending' AND next_attempt_at <= $3 AND (locked_until IS NULL OR locked_until <= $3)
    ORDER BY next_attempt_at, received_at
    LIMIT $4
    FOR UPDATE SKIP LOCKED
)
RETURNING {columns}
"""

_COMPLETE = """
UPDATE {t} SET status = 'done', completed_at = $1, locked_until = NULL, lease_owner = NULL, last_error = NULL
WHERE message_id = $2 AND lease_owner = $3
"""

_FAIL = """
UPDATE {t} SET status = $1, next_attempt_at = $2, last_error = $3, locked_until = NULL, lease_owner = NULL
WHERE message_id = $4 AND lease_owner = $5
"""

_EXTEND = "UPDATE {t} SET locked_until = $1 WHERE message_id = $2 AND lease_owner = $3"

_NEXT_DUE = """
SELECT MIN(CASE WHEN locked_until > next_attempt_at THEN locked_until ELSE next_attempt_at END)
FROM {t} WHERE status = 'pending'
"""

_REQUEUE = """
UPDATE {t} SET status = 'pending', attempts = 0, next_attempt_at = $1, locked_until = NULL,
    lease_owner = NULL, completed_at = NULL
WHERE message_id = $2 AND status IN ('dead', 'done')
"""


def _record(row: Any) -> InboxRecord:
    return InboxRecord(
        message_id=row["message_id"],
        event_type=row["event_type"],
        body=bytes(row["body"]),
        headers=json.loads(row["headers"]),
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        received_at=row["received_at"],
        locked_until=row["locked_until"],
        completed_at=row["completed_at"],
        last_error=row["last_error"],
    )


def _count(status: str) -> int:
    # asyncpg returns the command tag, e.g. "UPDATE 1"
    return int(status.rsplit(" ", 1)[-1])


class PostgresBackend:
    """Inbox rows in PostgreSQL; any number of processes may share the table.

    ``PostgresBackend("postgresql://...", schema="app", table="hookline_inbox")``. New rows are
    announced with ``NOTIFY``, so workers in other processes wake without polling.
    """

    def __init__(
        self,
        dsn: str,
        *,
        schema: str | None = None,
        table: str = "hookline_inbox",
        min_size: int = 1,
        max_size: int = 4,
    ) -> None:
        self.dsn = dsn
        self.schema = check_identifier(schema) if schema else None
        self.table = check_identifier(table)
        self.min_size = min_size
        self.max_size = max_size
        self._qualified = f'"{self.schema}"."{self.table}"' if self.schema else f'"{self.table}"'
        self._channel = f"{self.schema}_{self.table}" if self.schema else self.table
        self._pool: Any = None
        self._listener: Any = None
        # concurrent first requests would otherwise each create (and leak) a pool
        self._open_lock = asyncio.Lock()

    def _sql(self, template: str) -> str:
        return template.format(t=self._qualified, columns=_COLUMNS, index=f'"{self.table}_due"')

    async def open(self) -> None:
        """Create the connection pool and the table if needed."""
        async with self._open_lock:
            if self._pool is None:
                self._pool = await self._create_pool()

    async def _create_pool(self) -> Any:
        try:
            import asyncpg
        except ImportError as exc:
            raise InboxError("the PostgreSQL inbox needs asyncpg: pip install 'hookline[postgres]'") from exc
        pool = await asyncpg.create_pool(self.dsn, min_size=self.min_size, max_size=self.max_size)
        try:
            async with pool.acquire() as conn, conn.transaction():
                # concurrent first starts would race on CREATE TABLE IF NOT EXISTS without this lock
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", self._channel)
                if self.schema:
                    await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                await conn.execute(self._sql(_SCHEMA))
        except BaseException:
            await pool.close()
            raise
        return pool

    async def close(self) -> None:
        """Close the listener and the pool."""
        if self._listener is not None:
            listener, self._listener = self._listener, None
            await listener.close()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def listen(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever any process inserts a row."""
        import asyncpg

        if self._listener is None:
            self._listener = await asyncpg.connect(self.dsn)
        await self._listener.add_listener(self._channel, lambda *_: callback())

    async def insert(self, message_id: str, event_type: str, body: bytes, headers: str, now: float) -> bool:
        """Store a new pending row; False if the message id is already there."""
        rows = await self._pool.fetch(
            self._sql(_INSERT), message_id, event_type, body, headers, now, self._channel
        )
        return len(rows) == 1

    async def claim(self, owner: str, now: float, lease_until: float, limit: int) -> list[InboxRecord]:
        """Lease up to ``limit`` due rows and count an attempt on each."""
        rows = await self._pool.fetch(self._sql(_CLAIM), lease_until, owner, now, limit)
        return sorted((_record(r) for r in rows), key=lambda r: (r.next_attempt_at, r.received_at))

    async def complete(self, message_id: str, owner: str, now: float) -> bool:
        """Mark a row this owner leases as done."""
        return _count(await self._pool.execute(self._sql(_COMPLETE), now, message_id, owner)) == 1

    async def fail(self, message_id: str, owner: str, error: str, retry_at: float | None, now: float) -> bool:
        """Release a failed row: pending again at ``retry_at``, or dead when that is None."""
        status, when = (PENDING, retry_at) if retry_at is not None else (DEAD, now)
        tag = await self._pool.execute(self._sql(_FAIL), status, when, error[:2000], message_id, owner)
        return _count(tag) == 1

    async def extend(self, message_id: str, owner: str, lease_until: float) -> bool:
        """Push this owner's lease further out."""
        return _count(await self._pool.execute(self._sql(_EXTEND), lease_until, message_id, owner)) == 1

    async def get(self, message_id: str) -> InboxRecord | None:
        """Return one row, or None."""
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM {self._qualified} WHERE message_id = $1", message_id
        )
        return _record(row) if row else None

    async def counts(self) -> dict[str, int]:
        """Rows per status."""
        rows = await self._pool.fetch(f"SELECT status, COUNT(*) AS n FROM {self._qualified} GROUP BY status")
        return {PENDING: 0, DONE: 0, DEAD: 0, **{r["status"]: r["n"] for r in rows}}

    async def next_due(self) -> float | None:
        """The earliest time a pending row becomes claimable."""
        value: float | None = await self._pool.fetchval(self._sql(_NEXT_DUE))
        return value

    async def requeue(self, message_id: str, now: float) -> bool:
        """Make a dead or done row pending again with a fresh attempt count."""
        return _count(await self._pool.execute(self._sql(_REQUEUE), now, message_id)) == 1

    async def purge(self, before: float) -> int:
        """Delete done rows completed before ``before``."""
        tag = await self._pool.execute(
            f"DELETE FROM {self._qualified} WHERE status = 'done' AND completed_at < $1", before
        )
        return _count(tag)
