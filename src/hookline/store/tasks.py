"""Background tasks (recover, replay-missing) as Svix reports them, and operational events."""

from __future__ import annotations

from hookline.store.base import StoreBase
from hookline.store.records import OperationalEvent, Task
from hookline.store.rows import dumps, op_event_from_row, task_from_row


class TaskStore(StoreBase):
    """The ``tasks`` and ``operational_events`` tables."""

    async def put_task(self, task: Task) -> Task:
        """Insert or update a background task."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO tasks (id, kind, status, data, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE "
                "SET status = excluded.status, data = excluded.data, updated_at = excluded.updated_at",
                (task.id, task.kind, task.status, dumps(task.data), task.updated_at),
            )
        return task

    async def get_task(self, task_id: str) -> Task | None:
        """Find a background task."""
        async with self.db.reader() as c:
            row = await c.fetchone(
                "SELECT id, kind, status, data, updated_at FROM tasks WHERE id = ?", (task_id,)
            )
        return task_from_row(row) if row else None

    async def list_operational_events(self, limit: int = 100) -> list[OperationalEvent]:
        """The most recent operational events, newest first."""
        async with self.db.reader() as c:
            rows = await c.fetchall(
                "SELECT id, event_type, payload, created_at FROM operational_events ORDER BY id DESC LIMIT ?",
                (limit,),
            )
        return [op_event_from_row(r) for r in rows]
