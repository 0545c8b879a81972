"""The inbox on a SQLite file (stdlib ``sqlite3``, WAL mode), run in a thread from asyncio."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from hookline.receiver._stored import DEAD, DONE, PENDING, InboxRecord, check_identifier

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS {t} (
    message_id      TEXT PRIMARY KEY,
    event_type      TEXT NOT NULL,
    body            BLOB NOT NULL,
    headers         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    locked_until    REAL,
    lease_owner     TEXT,
    last_error      TEXT,
    received_at     REAL NOT NULL,
    completed_at    REAL
);
CREATE INDEX IF NOT EXISTS {t}_due ON {t} (status, next_attempt_at);
"""

_COLUMNS = (
    "message_id, event_type, body, headers, status, attempts, next_attempt_at, received_at, "
    "locked_until, completed_at, last_error"
)

_INSERT = """
INSERT INTO {t} (message_id, event_type, body, headers, status, attempts, next_attempt_at, received_at)
VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)
ON CONFLICT (message_id) DO NOTHING
"""

# One statement claims due rows and reclaims rows whose lease ran out (a crashed worker's).
_CLAIM = """
UPDATE {t} SET locked_until = ?, lease_owner = ?, attempts = attempts + 1
WHERE message_id IN (
    SELECT message_id FROM {t}
    WHERE status = 'pending' AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until <= ?)
    ORDER BY next_attempt_at, received_at
    LIMIT ?
)
RETURNING {columns}
"""

_COMPLETE = """
UPDATE {t} SET status = 'done', completed_at = ?, locked_until = NULL, lease_owner = NULL, last_error = NULL
WHERE message_id = ? AND lease_owner = ?
"""

_FAIL = """
UPDATE {t} SET status = ?, next_attempt_at = ?, last_error = ?, locked_until = NULL, lease_owner = NULL
WHERE message_id = ? AND lease_owner = ?
"""

_EXTEND = "UPDATE {t} SET locked_until = ? WHERE message_id = ? AND lease_owner = ?"

_NEXT_DUE = """
SELECT MIN(CASE WHEN locked_until > next_attempt_at THEN locked_until ELSE next_attempt_at END)
FROM {t} WHERE status = 'pending'
"""

_REQUEUE = """
UPDATE {t} SET status = 'pending', attempts = 0, next_attempt_at = ?, locked_until = NULL,
    lease_owner = NULL, completed_at = NULL
WHERE message_id = ? AND status IN ('dead', 'done')
"""


def _record(row: tuple[Any, ...]) -> InboxRecord:
    return InboxRecord(
        message_id=row[0],
        event_type=row[1],
        body=bytes(row[2]),
        headers=json.loads(row[3]),
        status=row[4],
        attempts=row[5],
        next_attempt_at=row[6],
        received_at=row[7],
        locked_until=row[8],
        completed_at=row[9],
        last_error=row[10],
    )


class SQLiteBackend:
    """Inbox rows in a SQLite file; several processes may share it (WAL, busy timeout).

    ``SQLiteBackend("inbox.db", table="hookline_inbox")``. Commits are ``synchronous=FULL``: an
    acknowledged event survives a power cut, not only a process crash.
    """

    def __init__(self, path: str | os.PathLike[str], *, table: str = "hookline_inbox") -> None:
        self.path = os.fspath(path)
        self.table = check_identifier(table)
        self._conn: sqlite3.Connection | None = None
        # one connection shared by the request threads and the worker; sqlite3 needs it serialized
        self._lock = threading.Lock()

    def _sql(self, template: str) -> str:
        return template.format(t=self.table, columns=_COLUMNS)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                conn.executescript(self._sql(_SCHEMA))
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _locked(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            return fn(self._connection())

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.to_thread(self._locked, fn)

    async def open(self) -> None:
        """Open the file and create the table if needed."""
        await self._run(lambda conn: None)

    async def close(self) -> None:
        """Close the connection."""

        def close() -> None:
            with self._lock:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None

        await asyncio.to_thread(close)

    def insert_sync(self, message_id: str, event_type: str, body: bytes, headers: str, now: float) -> bool:
        """Blocking :meth:`insert`, so a WSGI app can store without an event loop."""
        sql = self._sql(_INSERT)
        return self._locked(
            lambda conn: conn.execute(sql, (message_id, event_type, body, headers, now, now)).rowcount == 1
        )

    async def insert(self, message_id: str, event_type: str, body: bytes, headers: str, now: float) -> bool:
        """Store a new pending row; False if the message id is already there."""
        return await asyncio.to_thread(self.insert_sync, message_id, event_type, body, headers, now)

    async def claim(self, owner: str, now: float, lease_until: float, limit: int) -> list[InboxRecord]:
        """Lease up to ``limit`` due rows and count an attempt on each."""
        sql = self._sql(_CLAIM)
        rows = await self._run(
            lambda conn: conn.execute(sql, (lease_until, owner, now, now, limit)).fetchall()
        )
        return sorted((_record(r) for r in rows), key=lambda r: (r.next_attempt_at, r.received_at))

    async def complete(self, message_id: str, owner: str, now: float) -> bool:
        """Mark a row this owner leases as done."""
        sql = self._sql(_COMPLETE)
        return await self._run(lambda conn: conn.execute(sql, (now, message_id, owner)).rowcount == 1)

    async def fail(self, message_id: str, owner: str, error: str, retry_at: float | None, now: float) -> bool:
        """Release a failed row: pending again at ``retry_at``, or dead when that is None."""
        sql = self._sql(_FAIL)
        status, when = (PENDING, retry_at) if retry_at is not None else (DEAD, now)
        params = (status, when, error[:2000], message_id, owner)
        return await self._run(lambda conn: conn.execute(sql, params).rowcount == 1)

    async def extend(self, message_id: str, owner: str, lease_until: float) -> bool:
        """Push this owner's lease further out."""
        sql = self._sql(_EXTEND)
        return await self._run(lambda conn: conn.execute(sql, (lease_until, message_id, owner)).rowcount == 1)

    async def get(self, message_id: str) -> InboxRecord | None:
        """Return one row, or None."""
        sql = f"SELECT {_COLUMNS} FROM {self.table} WHERE message_id = ?"
        row = await self._run(lambda conn: conn.execute(sql, (message_id,)).fetchone())
        return _record(row) if row else None

    async def counts(self) -> dict[str, int]:
        """Rows per status."""
        sql = f"SELECT status, COUNT(*) FROM {self.table} GROUP BY status"
        rows = await self._run(lambda conn: conn.execute(sql).fetchall())
        return {PENDING: 0, DONE: 0, DEAD: 0, **dict(rows)}

    async def next_due(self) -> float | None:
        """The earliest time a pending row becomes claimable."""
        sql = self._sql(_NEXT_DUE)
        row = await self._run(lambda conn: conn.execute(sql).fetchone())
        return row[0] if row else None

    async def requeue(self, message_id: str, now: float) -> bool:
        """Make a dead or done row pending again with a fresh attempt count."""
        sql = self._sql(_REQUEUE)
        return await self._run(lambda conn: conn.execute(sql, (now, message_id)).rowcount == 1)

    async def purge(self, before: float) -> int:
        """Delete done rows completed before ``before``."""
        sql = f"DELETE FROM {self.table} WHERE status = 'done' AND completed_at < ?"
        return await self._run(lambda conn: conn.execute(sql, (before,)).rowcount)
