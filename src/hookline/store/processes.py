"""Processes seen recently: one row per running API or worker process, written every few seconds.

Each beat is a single upsert of the process's own row, so a beat costs one short write whatever the
number of processes; rows of processes that stopped without removing theirs are deleted once they
have not been seen for a while, by whichever process beats next.
"""

from __future__ import annotations

from dataclasses import dataclass

from hookline.store.db import Database


@dataclass(frozen=True)
class ProcessRow:
    """A process as it last reported itself."""

    id: str
    kind: str  # "api", "api+worker" or "worker"
    host: str
    pid: int
    version: str
    started_at: float
    last_seen: float


async def beat(db: Database, p: ProcessRow, forget_before: float | None = None) -> None:
    """Write ``p`` (its ``last_seen`` is now); with ``forget_before``, also delete rows last seen before it."""
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO processes (id, kind, host, pid, version, started_at, last_seen) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen",
            (p.id, p.kind, p.host, p.pid, p.version, p.started_at, p.last_seen),
        )
        if forget_before is not None:
            await tx.execute("DELETE FROM processes WHERE last_seen < ?", (forget_before,))


async def remove(db: Database, process_id: str) -> None:
    """Delete the row of a process that is stopping."""
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM processes WHERE id = ?", (process_id,))


async def seen_since(db: Database, since: float) -> list[ProcessRow]:
    """The processes last seen at or after ``since``, by kind, host and start."""
    async with db.reader() as c:
        rows = await c.fetchall(
            "SELECT id, kind, host, pid, version, started_at, last_seen FROM processes "
            "WHERE last_seen >= ? ORDER BY kind, host, started_at",
            (since,),
        )
    return [
        ProcessRow(str(r[0]), str(r[1]), str(r[2]), int(r[3]), str(r[4]), float(r[5]), float(r[6]))
        for r in rows
    ]
