"""The dashboard's reads: bounded, index-backed SQL over the store's tables (both dialects).

Every list is keyset-paged on a time-sortable id; filters that no index serves (status, endpoint,
free text) scan a bounded window of the newest rows, so no page ever reads the whole table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hookline.ids import ksuid_floor
from hookline.store.operational import OPERATIONAL_APP_ID
from hookline.store.records import Attempt, Endpoint, Message, MessageStatus
from hookline.store.rows import (
    ATTEMPT_COLS,
    ENDPOINT_COLS,
    MESSAGE_COLS,
    attempt_from_row,
    endpoint_from_row,
    loads,
    message_from_row,
)
from hookline.store.store import Store

PAGE = 50
# how many messages one page of a status, endpoint or text filter may look through (then "Search older
# messages" continues from where it stopped): 5,000 keeps such a page near 20 ms however large the table
SCAN_WINDOW = 5_000
HEALTH_SAMPLE = 500  # attempts per endpoint behind its success rate and percentiles

STATUS_FILTERS: dict[str, tuple[int, ...]] = {
    "success": (int(MessageStatus.SUCCESS),),
    "pending": (int(MessageStatus.PENDING), int(MessageStatus.SENDING)),
    "fail": (int(MessageStatus.FAIL),),
}


def _marks(n: int) -> str:
    return ",".join("?" * n)


@dataclass(frozen=True)
class LogFilter:
    """What the message log shows: every field optional; ``before`` is the keyset cursor."""

    app_id: str | None = None
    event_type: str | None = None
    status: str | None = None
    endpoint_id: str | None = None
    since: float | None = None
    until: float | None = None
    text: str | None = None
    before: str | None = None
    newer: str | None = None  # the keyset cursor of the page above: messages newer than this id

    @property
    def heavy(self) -> bool:
        """True when a filter needs the bounded scan (no index serves it)."""
        return bool(self.status in STATUS_FILTERS or self.endpoint_id or self.text)

    @property
    def live_ok(self) -> bool:
        """True when new messages can be streamed in (the first page, no upper time bound)."""
        return self.before is None and self.until is None and self.newer is None


@dataclass(frozen=True)
class Delivery:
    """Where one message went: an endpoint, its delivery status there, and how many attempts it took."""

    endpoint_id: str
    status: int
    attempts: int


@dataclass(frozen=True)
class LogRow:
    """One line of the message log: the message and its deliveries (only the chosen endpoint's when the
    log is filtered to one)."""

    message: Message
    deliveries: tuple[Delivery, ...] = ()

    @property
    def counts(self) -> dict[int, int]:
        """How many deliveries are in each status."""
        out: dict[int, int] = defaultdict(int)
        for d in self.deliveries:
            out[d.status] += 1
        return dict(out)

    @property
    def state(self) -> str:
        """``fail``, ``pending``, ``success`` or ``none`` (no endpoint took it)."""
        counts = self.counts
        if counts.get(int(MessageStatus.FAIL)):
            return "fail"
        if counts.get(int(MessageStatus.PENDING)) or counts.get(int(MessageStatus.SENDING)):
            return "pending"
        if counts.get(int(MessageStatus.SUCCESS)) or counts.get(int(MessageStatus.CANCELED)):
            return "success"
        return "none"


@dataclass(frozen=True)
class LogPage:
    rows: list[LogRow]
    next_before: str | None  # cursor for older messages, None at the end
    scanned_to: str | None = None  # set when a bounded scan stopped before filling the page
    newer_after: str | None = None  # cursor for newer messages, None on the newest page


def _log_sql(f: LogFilter, after_id: str | None = None) -> tuple[str, list[Any]]:
    """The indexed part of the log query: app, event type and id bounds (times become id bounds)."""
    sql = f"SELECT {MESSAGE_COLS} FROM messages WHERE 1 = 1"
    params: list[Any] = []
    if f.app_id:
        sql += " AND app_id = ?"
        params.append(f.app_id)
    if f.event_type:
        sql += " AND event_type = ?"
        params.append(f.event_type)
    if f.before:
        sql += " AND id < ?"
        params.append(f.before)
    if after_id:
        sql += " AND id > ?"
        params.append(after_id)
    # ids are KSUIDs that sort by creation time, so a time range is an id range on the same index
    if f.since is not None:
        sql += " AND id >= ?"
        params.append(ksuid_floor("msg", f.since))
    if f.until is not None:
        sql += " AND id < ?"
        params.append(ksuid_floor("msg", f.until))
    return sql, params


def _heavy_sql(f: LogFilter) -> tuple[str, list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    # with an endpoint chosen, the status is that endpoint's delivery status, not any endpoint's
    if f.endpoint_id or f.status in STATUS_FILTERS:
        cond = "d.msg_id = w.id"
        if f.endpoint_id:
            cond += " AND d.endpoint_id = ?"
            params.append(f.endpoint_id)
        if f.status in STATUS_FILTERS:
            codes = STATUS_FILTERS[f.status]
            cond += f" AND d.status IN ({_marks(len(codes))})"
            params.extend(codes)
        where.append(f"EXISTS (SELECT 1 FROM dispatches d WHERE {cond})")
    if f.text:
        escaped = f.text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append("LOWER(w.payload) LIKE ? ESCAPE '\\'")
        params.append(f"%{escaped}%")
    return " AND ".join(where), params


async def message_log(store: Store, f: LogFilter, limit: int = PAGE, after_id: str | None = None) -> LogPage:
    """One page of the log, newest first; ``after_id`` restricts it to messages newer than that id (the
    live stream); ``f.newer`` asks for the page just above that id (paging back up)."""
    upward = f.newer is not None and after_id is None
    base, params = _log_sql(f, f.newer if upward else after_id)
    order = "ASC" if upward else "DESC"
    scanned_to = None
    async with store.db.reader() as c:
        if not f.heavy:
            rows = await c.fetchall(f"{base} ORDER BY id {order} LIMIT ?", (*params, limit + 1))
        else:
            cond, extra = _heavy_sql(f)
            window = f"{base} ORDER BY id {order} LIMIT ?"
            rows = await c.fetchall(
                f"SELECT {MESSAGE_COLS} FROM ({window}) w WHERE {cond} ORDER BY id {order} LIMIT ?",
                (*params, SCAN_WINDOW, *extra, limit + 1),
            )
            if len(rows) <= limit:
                edge_of = "MAX" if upward else "MIN"
                edge = await c.fetchone(
                    f"SELECT {edge_of}(id), COUNT(*) FROM (SELECT id FROM ({window}) w0) w",
                    (*params, SCAN_WINDOW),
                )
                if edge is not None and edge[1] == SCAN_WINDOW:
                    scanned_to = edge[0]
        more = len(rows) > limit
        messages = [message_from_row(r) for r in rows[:limit]]
        if upward:
            messages.reverse()
        deliveries = await _deliveries(c, [m.id for m in messages], f.endpoint_id)
    page_rows = [LogRow(m, tuple(deliveries.get(m.id, ()))) for m in messages]
    if upward:
        # older messages exist: the page this one was reached from
        older = messages[-1].id if messages else f.newer
        newer = messages[0].id if messages and more else scanned_to
        return LogPage(page_rows, older, None, newer)
    next_before = messages[-1].id if more else scanned_to
    newer_after = messages[0].id if messages and f.before else (f.before if f.before else None)
    return LogPage(page_rows, next_before, scanned_to, newer_after)


async def count_matching(store: Store, f: LogFilter, cap: int = 10_000) -> int | None:
    """How many messages the filter's indexed part keeps, counted up to ``cap + 1``; None for the filters
    that need the bounded scan (their count would read the whole window)."""
    if f.heavy:
        return None
    plain = LogFilter(app_id=f.app_id, event_type=f.event_type, since=f.since, until=f.until)
    base, params = _log_sql(plain)
    sql = (
        "SELECT COUNT(*) FROM (" + base.replace(f"SELECT {MESSAGE_COLS}", "SELECT 1", 1) + " LIMIT ?) capped"
    )
    async with store.db.reader() as c:
        row = await c.fetchone(sql, (*params, cap + 1))
    return int(row[0]) if row else 0


async def _deliveries(c: Any, msg_ids: list[str], endpoint_id: str | None) -> dict[str, list[Delivery]]:
    out: dict[str, list[Delivery]] = defaultdict(list)
    if not msg_ids:
        return out
    sql = f"SELECT msg_id, endpoint_id, status, attempts FROM dispatches WHERE msg_id IN ({_marks(len(msg_ids))})"
    params: list[Any] = list(msg_ids)
    if endpoint_id:
        sql += " AND endpoint_id = ?"
        params.append(endpoint_id)
    for msg_id, ep_id, status, attempts in await c.fetchall(sql + " ORDER BY endpoint_id", params):
        out[msg_id].append(Delivery(ep_id, int(status), int(attempts)))
    return out


async def log_row(store: Store, msg: Message, endpoint_id: str | None) -> LogRow:
    """The log row of one message (its deliveries, or only the chosen endpoint's)."""
    async with store.db.reader() as c:
        deliveries = await _deliveries(c, [msg.id], endpoint_id)
    return LogRow(msg, tuple(deliveries.get(msg.id, ())))


async def endpoint_labels(store: Store, rows: list[LogRow]) -> dict[str, str]:
    """Endpoint id → a short label (its URL's host and path) for the endpoints these log rows name."""
    ids = sorted({d.endpoint_id for r in rows for d in r.deliveries})
    if not ids:
        return {}
    async with store.db.reader() as c:
        found = await c.fetchall(f"SELECT id, url FROM endpoints WHERE id IN ({_marks(len(ids))})", ids)
    return {r[0]: r[1].split("://", 1)[-1] for r in found}


async def event_type_names(store: Store, sees: Callable[[list[str] | None], bool] | None = None) -> list[str]:
    """Every event type name (archived too), for filters and pickers; with ``sees``, only those whose
    feature flags it accepts (a portal link sees only the event types its flags open)."""
    async with store.db.reader() as c:
        rows = await c.fetchall("SELECT name, feature_flags FROM event_types ORDER BY name LIMIT 1000")
    return [r[0] for r in rows if sees is None or sees(loads(r[1]))]


async def app_names(store: Store) -> dict[str, str]:
    """Application id → display name (uid or name)."""
    async with store.db.reader() as c:
        rows = await c.fetchall("SELECT id, uid, name FROM applications ORDER BY id LIMIT 1000")
    return {r[0]: r[2] or r[1] or r[0] for r in rows}


@dataclass(frozen=True)
class AppSummary:
    id: str
    uid: str | None
    name: str
    endpoints: int
    failing: int
    disabled: int


async def app_summaries(store: Store) -> list[AppSummary]:
    """Applications with their endpoint counts by health."""
    async with store.db.reader() as c:
        rows = await c.fetchall(
            "SELECT a.id, a.uid, a.name, COUNT(e.id), "
            "SUM(CASE WHEN e.first_failure_at IS NOT NULL AND e.disabled = 0 THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN e.disabled = 1 THEN 1 ELSE 0 END) "
            "FROM applications a LEFT JOIN endpoints e ON e.app_id = a.id "
            "WHERE a.id <> ? "  # operational webhooks' own application is managed through the API only
            "GROUP BY a.id, a.uid, a.name ORDER BY a.id LIMIT 1000",
            (OPERATIONAL_APP_ID,),
        )
    return [AppSummary(r[0], r[1], r[2], int(r[3]), int(r[4] or 0), int(r[5] or 0)) for r in rows]


async def endpoints_of(store: Store, app_id: str) -> list[Endpoint]:
    """An application's endpoints, failing and disabled ones first."""
    async with store.db.reader() as c:
        rows = await c.fetchall(
            f"SELECT {ENDPOINT_COLS} FROM endpoints WHERE app_id = ? ORDER BY id DESC LIMIT 500", (app_id,)
        )
    eps = [endpoint_from_row(r) for r in rows]
    return sorted(eps, key=lambda e: (not e.disabled and e.first_failure_at is None, not e.disabled))


async def troubled_endpoints(store: Store, limit: int = 20) -> list[Endpoint]:
    """Endpoints that are disabled or failing now, across applications, longest failing first."""
    async with store.db.reader() as c:
        rows = await c.fetchall(
            f"SELECT {ENDPOINT_COLS} FROM endpoints WHERE disabled = 1 OR first_failure_at IS NOT NULL "
            "ORDER BY disabled DESC, first_failure_at LIMIT ?",
            (limit,),
        )
    return [endpoint_from_row(r) for r in rows]


@dataclass(frozen=True)
class Health:
    """An endpoint's recent record, from its last ``HEALTH_SAMPLE`` attempts."""

    attempts: int
    success_rate: float | None
    p50_ms: int | None
    p95_ms: int | None
    last_error: Attempt | None
    last_attempt_at: float | None


def _percentile(sorted_values: list[int], q: float) -> int | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


async def endpoint_health(store: Store, endpoint_id: str) -> Health:
    """Success rate, p50/p95 response time and last error over the endpoint's recent attempts."""
    async with store.db.reader() as c:
        # only the columns the figures need: the sample's bodies and headers are never read
        sample = await c.fetchall(
            "SELECT id, status, response_duration_ms, created_at FROM attempts WHERE endpoint_id = ? "
            "ORDER BY id DESC LIMIT ?",
            (endpoint_id, HEALTH_SAMPLE),
        )
        if not sample:
            return Health(0, None, None, None, None, None)
        failed = next((r[0] for r in sample if int(r[1]) != MessageStatus.SUCCESS), None)
        row = (
            await c.fetchone(f"SELECT {ATTEMPT_COLS} FROM attempts WHERE id = ?", (failed,))
            if failed
            else None
        )
    ok = sum(1 for r in sample if int(r[1]) == MessageStatus.SUCCESS)
    durations = sorted(int(r[2]) for r in sample)
    return Health(
        len(sample), ok / len(sample), _percentile(durations, 0.5), _percentile(durations, 0.95),
        attempt_from_row(row) if row else None, float(sample[0][3]),
    )  # fmt: skip


async def message_endpoints(store: Store, msg: Message) -> list[tuple[Endpoint, int, int]]:
    """Endpoints this message was dispatched to, with the dispatch status and attempt count."""
    async with store.db.reader() as c:
        rows = await c.fetchall(
            f"SELECT d.status, d.attempts, {', '.join('e.' + col.strip() for col in ENDPOINT_COLS.split(','))} "
            "FROM dispatches d JOIN endpoints e ON e.id = d.endpoint_id WHERE d.msg_id = ? ORDER BY e.id",
            (msg.id,),
        )
    return [(endpoint_from_row(r), int(r["status"]), int(r["attempts"])) for r in rows]


async def message_attempts(store: Store, msg_id: str) -> list[Attempt]:
    """Every attempt of a message, oldest first."""
    async with store.db.reader() as c:
        rows = await c.fetchall(
            f"SELECT {ATTEMPT_COLS} FROM attempts WHERE msg_id = ? ORDER BY id LIMIT 1000", (msg_id,)
        )
    return [attempt_from_row(r) for r in rows]


def why_not(ep: Endpoint, msg: Message) -> str:
    """Why an endpoint of the message's application did not get the message, as the dashboard says it."""
    if ep.created_at > msg.created_at:
        return "The endpoint was created after the message; use “Replay missing” on the endpoint to send it."
    if ep.event_types is not None and msg.event_type not in ep.event_types:
        return (
            f"Filtered by event type: the endpoint subscribes to {', '.join(ep.event_types)}, "
            f"not {msg.event_type}."
        )
    if ep.channels is not None and not (msg.channels and set(msg.channels) & set(ep.channels)):
        got = ", ".join(msg.channels) if msg.channels else "no channel"
        return f"Channel mismatch: the endpoint listens on {', '.join(ep.channels)}; the message has {got}."
    if ep.disabled:
        reason = f" ({ep.disabled_reason})" if ep.disabled_reason else ""
        return f"The endpoint is disabled{reason}; enable it, then resend."
    return (
        "The endpoint was disabled when the message arrived, or the message was a test sent to one "
        "endpoint only; resend it to this endpoint if it should have it."
    )


async def identity_app_id(store: Store) -> str | None:
    """The id of the application identity events go to, if it exists."""
    from hookline.identity import APP_UID

    async with store.db.reader() as c:
        row = await c.fetchone("SELECT id FROM applications WHERE uid = ?", (APP_UID,))
    return row[0] if row else None


async def user_events(store: Store, user_id: str) -> list[LogRow]:
    """The identity events that name the user, newest first (a bounded scan of recent events)."""
    app_id = await identity_app_id(store)
    if app_id is None:
        return []
    page = await message_log(store, LogFilter(app_id=app_id, text=user_id), limit=100)
    return page.rows
