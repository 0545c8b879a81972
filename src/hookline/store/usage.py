"""Reads and bulk changes behind Svix's background-task operations: listing tasks, attempt statistics,
usage per application, event types in use, the deliveries a bulk replay picks, and expunging an
application's payloads."""

from __future__ import annotations

import json
from typing import Any

from hookline.store.conn import Database
from hookline.store.listing import has_element
from hookline.store.records import Page
from hookline.store.rows import task_from_row


class Usage:
    """The SQL of the task-backed operations (both backends)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def list_tasks(
        self, status: str | None, kind: str | None, limit: int, iterator: str | None, ascending: bool
    ) -> Page:
        """One page of background tasks, by id (``-`` iterator: the page before)."""
        sql = "SELECT id, kind, status, data, updated_at FROM tasks WHERE 1 = 1"
        params: list[Any] = []
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        reverse = bool(iterator and iterator.startswith("-"))
        forward_asc = ascending != reverse
        if iterator:
            sql += f" AND id {'>' if forward_asc else '<'} ?"
            params.append(iterator.lstrip("-"))
        sql += f" ORDER BY id {'ASC' if forward_asc else 'DESC'} LIMIT ?"
        async with self.db.reader() as c:
            rows = await c.fetchall(sql, (*params, limit + 1))
        tasks = [task_from_row(r) for r in rows]
        done = len(tasks) <= limit
        tasks = tasks[:limit]
        if reverse:
            tasks.reverse()
        if not tasks:
            return Page([], None, None, True)
        return Page(tasks, tasks[-1].id, "-" + tasks[0].id, done and not reverse)

    async def attempt_counts(self, endpoint_id: str, since: float, until: float) -> dict[int, int]:
        """Attempts made to an endpoint in [since, until), by status."""
        async with self.db.reader() as c:
            rows = await c.fetchall(
                "SELECT status, COUNT(*) AS n FROM attempts WHERE endpoint_id = ? AND created_at >= ? "
                "AND created_at < ? GROUP BY status",
                (endpoint_id, since, until),
            )
        return {int(r["status"]): int(r["n"]) for r in rows}

    async def destinations(self, since: float, until: float, app_ids: list[str] | None) -> dict[str, int]:
        """Per application, the deliveries (message x endpoint) of messages created in [since, until)."""
        sql = (
            "SELECT d.app_id, COUNT(*) AS n FROM dispatches d JOIN messages m ON m.id = d.msg_id "
            "WHERE m.created_at >= ? AND m.created_at < ?"
        )
        params: list[Any] = [since, until]
        if app_ids is not None:
            if not app_ids:
                return {}
            sql += f" AND d.app_id IN ({','.join('?' * len(app_ids))})"
            params += app_ids
        async with self.db.reader() as c:
            rows = await c.fetchall(sql + " GROUP BY d.app_id", params)
        return {r["app_id"]: int(r["n"]) for r in rows}

    async def endpoint_filters(self, exclude_app: str) -> list[tuple[str, list[str] | None]]:
        """Every endpoint's (application id, event-type filter or None for all), by application."""
        async with self.db.reader() as c:
            rows = await c.fetchall(
                "SELECT app_id, event_types FROM endpoints WHERE app_id <> ? ORDER BY app_id, id",
                (exclude_app,),
            )
        return [(r["app_id"], json.loads(r["event_types"]) if r["event_types"] else None) for r in rows]

    async def replayable(
        self,
        endpoint_id: str,
        since: float,
        until: float | None,
        *,
        event_types: list[str] | None,
        channel: str | None,
        tag: str | None,
        status: int | None,
        code_class: int | None,
    ) -> list[str]:
        """Ids of the messages sent to the endpoint in the window that a bulk replay sends again:
        their delivery there in ``status``, its latest attempt's code in ``code_class`` (0: none)."""
        sql = (
            "SELECT d.msg_id FROM dispatches d JOIN messages m ON m.id = d.msg_id "
            "WHERE d.endpoint_id = ? AND m.created_at >= ? AND m.payload IS NOT NULL"
        )
        params: list[Any] = [endpoint_id, since]
        if until is not None:
            sql += " AND m.created_at < ?"
            params.append(until)
        if event_types:
            sql += f" AND m.event_type IN ({','.join('?' * len(event_types))})"
            params += event_types
        if channel is not None:
            sql += " AND m.channels IS NOT NULL AND " + has_element(self.db.dialect, "m.channels")
            params.append(channel)
        if tag is not None:
            sql += " AND m.tags IS NOT NULL AND " + has_element(self.db.dialect, "m.tags")
            params.append(tag)
        if status is not None:
            sql += " AND d.status = ?"
            params.append(status)
        if code_class is not None:
            latest = (
                "(SELECT a.response_status_code FROM attempts a WHERE a.msg_id = d.msg_id "
                "AND a.endpoint_id = d.endpoint_id ORDER BY a.id DESC LIMIT 1)"
            )
            if code_class == 0:
                sql += f" AND COALESCE({latest}, 0) = 0"
            else:
                sql += f" AND {latest} >= ? AND {latest} < ?"
                params += [code_class, code_class + 100]
        async with self.db.reader() as c:
            rows = await c.fetchall(sql + " ORDER BY d.msg_id", params)
        return [r["msg_id"] for r in rows]

    async def expunge_app(self, app_id: str) -> int:
        """Drop the payload of every message of the application; return how many had one."""
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT COUNT(*) AS n FROM messages WHERE app_id = ? AND payload IS NOT NULL", (app_id,)
            )
            await tx.execute(
                "UPDATE messages SET payload = NULL WHERE app_id = ? AND payload IS NOT NULL", (app_id,)
            )
        return int(row["n"]) if row else 0
