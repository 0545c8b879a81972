"""Attempts, the delivery log: one row per try, as recorded by ``DispatchStore.complete``; and the
messages attempted to an endpoint, with their delivery there."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from hookline.store import listing
from hookline.store.base import StoreBase, marks
from hookline.store.conn import Row
from hookline.store.records import Attempt, EndpointMessage, MessageStatus, Page
from hookline.store.rows import ATTEMPT_COLS, MESSAGE_COLS, attempt_from_row, message_from_row


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
        status: int | Sequence[int] | None = None,
        status_code_class: int | None = None,
        event_types: Sequence[str] | None = None,
        channel: str | None = None,
        tag: str | None = None,
        before: float | None = None,
        after: float | None = None,
    ) -> Page:
        """List attempts by message and/or endpoint, newest first, with svix-server's filters and window.

        ``status`` is the attempt status (or statuses) kept; ``status_code_class`` (0, 100, … 500) the hundred the
        response code falls in (0: none received); channel and tag match one element exactly.
        """
        base = f"SELECT {ATTEMPT_COLS} FROM attempts WHERE app_id = ?"
        params: list[Any] = [app_id]
        for column, value in (("msg_id", msg_id), ("endpoint_id", endpoint_id)):
            if value is not None:
                base += f" AND {column} = ?"
                params.append(value)
        if isinstance(status, int):
            status = [status]
        if status is not None:
            base += f" AND status IN ({marks(len(status))})"
            params.extend(status)
        if status_code_class is not None:
            base += " AND response_status_code BETWEEN ? AND ?"
            params += [status_code_class, status_code_class + 99]
        wanted = []
        if event_types:
            wanted.append(f"m.event_type IN ({marks(len(event_types))})")
            params.extend(event_types)
        for column, value in (("m.channels", channel), ("m.tags", tag)):
            if value is not None:
                wanted.append(listing.has_element(self.dialect, column))
                params.append(value)
        if wanted:
            base += (
                " AND EXISTS (SELECT 1 FROM messages m WHERE m.id = attempts.msg_id AND "
                + " AND ".join(wanted)
                + ")"
            )
        sql, params, reverse = listing.windowed(
            base, params, prefix="atmpt", id_column="id", time_column="created_at",
            iterator=iterator, before=before, after=after, now=time.time(),
        )  # fmt: skip
        async with self.db.reader() as c:
            rows = await c.fetchall(sql + " LIMIT ?", (*params, limit + 1))
        return listing.windowed_page([attempt_from_row(r) for r in rows], limit, lambda a: a.id, reverse)

    async def list_attempted_messages(
        self,
        app_id: str,
        endpoint_id: str,
        limit: int,
        iterator: str | None,
        *,
        status: int | None = None,
        event_types: Sequence[str] | None = None,
        channel: str | None = None,
        tag: str | None = None,
        before: float | None = None,
        after: float | None = None,
    ) -> Page:
        """The messages tried at least once at an endpoint, one row each (``EndpointMessage``), newest
        first with svix-server's window, and their delivery there: a retry due reads as sending (3)
        with its time; ``status`` 0 keeps messages delivered at least once (shown as success), 2 those
        that failed for good without a success, 3 those with a retry due, others none."""
        base = (
            f"SELECT {_MESSAGE_COLS_M}, d.status AS delivery_status, d.next_attempt_at AS delivery_next "
            "FROM messages m JOIN dispatches d ON d.msg_id = m.id AND d.endpoint_id = ? "
            "WHERE m.app_id = ? AND d.attempts > 0"
        )
        params: list[Any] = [endpoint_id, app_id]
        succeeded = (
            "EXISTS (SELECT 1 FROM attempts a WHERE a.msg_id = m.id AND a.endpoint_id = d.endpoint_id "
            f"AND a.status = {int(MessageStatus.SUCCESS)})"
        )
        if status == MessageStatus.SUCCESS:
            base += f" AND {succeeded}"
        elif status == MessageStatus.FAIL:
            base += f" AND d.status = {int(MessageStatus.FAIL)} AND NOT {succeeded}"
        elif status == MessageStatus.SENDING:
            base += f" AND d.status IN ({int(MessageStatus.PENDING)}, {int(MessageStatus.SENDING)})"
        elif status is not None:
            return Page([], None, None, True)
        if event_types:
            base += f" AND m.event_type IN ({marks(len(event_types))})"
            params.extend(event_types)
        for column, value in (("m.channels", channel), ("m.tags", tag)):
            if value is not None:
                base += " AND " + listing.has_element(self.dialect, column)
                params.append(value)
        sql, params, reverse = listing.windowed(
            base, params, prefix="msg", id_column="m.id", time_column="m.created_at",
            iterator=iterator, before=before, after=after, now=time.time(),
        )  # fmt: skip
        async with self.db.reader() as c:
            rows = await c.fetchall(sql + " LIMIT ?", (*params, limit + 1))
        shown = [_endpoint_message(r, status) for r in rows]
        return listing.windowed_page(shown, limit, lambda e: e.message.id, reverse)

    async def get_attempt(self, app_id: str, attempt_id: str) -> Attempt | None:
        """Find one attempt."""
        async with self.db.reader() as c:
            row = await c.fetchone(
                f"SELECT {ATTEMPT_COLS} FROM attempts WHERE app_id = ? AND id = ?", (app_id, attempt_id)
            )
        return attempt_from_row(row) if row else None


_MESSAGE_COLS_M = ", ".join(f"m.{col}" for col in MESSAGE_COLS.split(", "))


def _endpoint_message(row: Row, wanted: int | None) -> EndpointMessage:
    """A row of ``list_attempted_messages``: a delivery still to be retried is sending (3) until it
    settles; a status filter shows the status it kept (as svix-server shows the attempt it matched)."""
    if wanted is not None:
        return EndpointMessage(
            message_from_row(row), MessageStatus(wanted), row["delivery_next"] if wanted == 3 else None
        )
    delivery = MessageStatus(row["delivery_status"])
    if delivery in (MessageStatus.PENDING, MessageStatus.SENDING):
        return EndpointMessage(message_from_row(row), MessageStatus.SENDING, row["delivery_next"])
    return EndpointMessage(message_from_row(row), delivery)
