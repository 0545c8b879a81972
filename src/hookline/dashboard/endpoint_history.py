"""What the endpoint page shows beyond its settings: attempt history by tab, next retries, the delivery chart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hookline.dashboard import charts
from hookline.services.attempt_lists import AttemptFilters, list_attempts
from hookline.services.errors import OperationError
from hookline.services.runtime import Runtime
from hookline.store.records import Attempt, Endpoint, MessageStatus

HISTORY_PAGE = 25
COUNT_CAP = 10_000  # counts stop here ("10,000+"): a busy endpoint's history is never counted in full
TABS: dict[str, int | None] = {
    "all": None,
    "succeeded": int(MessageStatus.SUCCESS),
    "failed": int(MessageStatus.FAIL),
}


@dataclass(frozen=True)
class History:
    """One page of an endpoint's attempts under a tab, with paging both ways and the tab's count."""

    tab: str
    attempts: list[Attempt]
    older: str | None
    newer: str | None
    count: int
    capped: bool
    next_retry: dict[
        str, float
    ]  # attempt id → when the next attempt of its message here is due (newest only)


def _marks(n: int) -> str:
    return ",".join("?" * n)


async def _count(rt: Runtime, ep: Endpoint, status: int | None) -> int:
    sql = "SELECT COUNT(*) FROM (SELECT 1 FROM attempts WHERE endpoint_id = ?"
    params: list[Any] = [ep.id]
    if status is not None:
        sql += " AND status = ?"
        params.append(status)
    async with rt.store.db.reader() as c:
        row = await c.fetchone(sql + " LIMIT ?) capped", (*params, COUNT_CAP + 1))
    return int(row[0]) if row else 0


async def _next_retries(rt: Runtime, ep: Endpoint, msg_ids: list[str]) -> dict[str, float]:
    if not msg_ids:
        return {}
    async with rt.store.db.reader() as c:
        rows = await c.fetchall(
            "SELECT msg_id, next_attempt_at FROM dispatches WHERE endpoint_id = ? AND status IN (1, 3) "
            f"AND msg_id IN ({_marks(len(msg_ids))})",
            (ep.id, *msg_ids),
        )
    return {r[0]: float(r[1]) for r in rows if r[1] is not None}


async def history(rt: Runtime, ep: Endpoint, tab: str, iterator: str | None) -> History:
    """The tab's page of attempts (``all``, ``succeeded``, ``failed``), newest first."""
    tab = tab if tab in TABS else "all"
    status = TABS[tab]
    try:
        page = await list_attempts(
            rt,
            ep.app_id,
            HISTORY_PAGE,
            iterator or None,
            AttemptFilters(status=status, expanded_statuses=True),
            endpoint_id=ep.id,
        )
    except OperationError:  # a hand-edited cursor: start from the newest
        page = await list_attempts(
            rt,
            ep.app_id,
            HISTORY_PAGE,
            None,
            AttemptFilters(status=status, expanded_statuses=True),
            endpoint_id=ep.id,
        )
        iterator = None
    attempts: list[Attempt] = list(page.data)
    backwards = bool(iterator and iterator.startswith("-"))
    older = page.iterator if attempts and (not page.done or backwards) else None
    newer = page.prev_iterator if attempts and iterator else None
    count = await _count(rt, ep, status)
    due = await _next_retries(rt, ep, sorted({a.msg_id for a in attempts}))
    retries: dict[str, float] = {}
    for a in sorted(attempts, key=lambda a: a.id, reverse=True):  # the newest attempt of a message shows it
        if a.msg_id in due:
            retries[a.id] = due.pop(a.msg_id)
    return History(tab, attempts, older, newer, min(count, COUNT_CAP), count > COUNT_CAP, retries)


async def app_chart(rt: Runtime, app_id: str, range_key: str | None) -> dict[str, Any]:
    """The application's delivery chart over the chosen range, with its totals."""
    return await chart(rt, None, range_key, app_id)


async def chart(
    rt: Runtime, ep: Endpoint | None, range_key: str | None, app_id: str | None = None
) -> dict[str, Any]:
    """The endpoint's (or application's) delivery chart over the chosen range, with its totals."""
    key = charts.pick_range(range_key)
    data = await charts.buckets(rt.store, key, app_id=app_id, endpoint_id=ep.id if ep else None)
    total, rate = charts.totals(data)
    return {
        "chart": charts.delivery_chart(data, key),
        "chart_range": key,
        "chart_total": total,
        "chart_rate": rate,
    }
