"""The trace context a message was accepted in (``message_traces``), kept only while traces are on."""

from __future__ import annotations

from collections.abc import Sequence

from hookline.store.base import marks
from hookline.store.conn import Conn
from hookline.store.db import Database


async def save_in(tx: Conn, traced: Sequence[tuple[str, str]], now: float) -> None:
    """Keep the ``traceparent`` of each ``(message id, traceparent)`` in the caller's transaction."""
    await tx.executemany(
        "INSERT INTO message_traces (msg_id, traceparent, created_at) VALUES (?, ?, ?) "
        "ON CONFLICT (msg_id) DO NOTHING",
        [(msg_id, parent, now) for msg_id, parent in traced],
    )


async def traceparents(db: Database, msg_ids: Sequence[str]) -> dict[str, str]:
    """The stored ``traceparent`` of each of ``msg_ids`` that has one."""
    if not msg_ids:
        return {}
    found: dict[str, str] = {}
    ids = sorted(set(msg_ids))
    async with db.reader() as c:
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            rows = await c.fetchall(
                f"SELECT msg_id, traceparent FROM message_traces WHERE msg_id IN ({marks(len(part))})", part
            )
            found.update((str(r[0]), str(r[1])) for r in rows)
    return found
