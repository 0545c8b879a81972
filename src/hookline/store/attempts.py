"""Attempts, the delivery log: one row per try, as recorded by ``DispatchStore.complete``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hookline.store.base import StoreBase, marks, page
from hookline.store.records import Attempt, Page
from hookline.store.rows import ATTEMPT_COLS, attempt_from_row


class AttemptStore(StoreBase):
    """Reading the ``attempts`` table."""

    async def list_attempts(
        self,
        app_id: str,
        limit: int,
        iterator: str | None,
        *,
        msg_id: str | None = None,
        endpoint_id: str | None = None,
        status: int | None = None,
        event_types: Sequence[str] | None = None,
        before: float | None = None,
        after: float | None = None,
    ) -> Page:
        """List attempts newest first, by message and/or endpoint."""
        base = f"SELECT {ATTEMPT_COLS} FROM attempts WHERE app_id = ?"
        params: list[Any] = [app_id]
        for column, value in (("msg_id", msg_id), ("endpoint_id", endpoint_id), ("status", status)):
            if value is not None:
                base += f" AND {column} = ?"
                params.append(value)
        if before is not None:
            base += " AND created_at < ?"
            params.append(before)
        if after is not None:
            base += " AND created_at > ?"
            params.append(after)
        if event_types:
            base += f" AND msg_id IN (SELECT id FROM messages WHERE app_id = ? AND event_type IN ({marks(len(event_types))}))"
            params.extend([app_id, *event_types])
        sql, params, reverse = self._cursor(base, params, "id", iterator, ascending=False)
        async with self.db.reader() as c:
            rows = await c.fetchall(sql + " LIMIT ?", (*params, limit + 1))
        return page([attempt_from_row(r) for r in rows], limit, lambda a: a.id, reverse)

    async def get_attempt(self, app_id: str, attempt_id: str) -> Attempt | None:
        """Find one attempt."""
        async with self.db.reader() as c:
            row = await c.fetchone(
                f"SELECT {ATTEMPT_COLS} FROM attempts WHERE app_id = ? AND id = ?", (app_id, attempt_id)
            )
        return attempt_from_row(row) if row else None
