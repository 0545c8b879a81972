"""The message log: filters from the query string, the page, and its live stream of new messages."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, StreamingResponse

from hookline.dashboard import queries
from hookline.dashboard.auth import Viewer
from hookline.dashboard.render import qs, render, render_text
from hookline.ids import ksuid_floor
from hookline.store.store import Store

FILTER_KEYS = ("event_type", "status", "endpoint", "since", "until", "q", "app")
STREAM_SECONDS = 55.0  # a stream ends and the browser reconnects, so a server stop never waits on it
POLL_SECONDS = 1.0


def parse_when(value: str | None) -> float | None:
    """A ``datetime-local`` value (read as UTC) or an RFC 3339 time, as epoch seconds; None if unreadable."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def filter_from(params: dict[str, str], app_id: str | None) -> tuple[queries.LogFilter, list[str]]:
    """The log filter the query string asks for, and the problems found in it (shown, not fatal)."""
    problems = []
    since, until = parse_when(params.get("since")), parse_when(params.get("until"))
    if params.get("since") and since is None:
        problems.append("“From” is not a date and time; it was ignored.")
    if params.get("until") and until is None:
        problems.append("“To” is not a date and time; it was ignored.")
    status = params.get("status") or None
    if status and status not in queries.STATUS_FILTERS:
        problems.append(f"Unknown status {status!r}; use success, pending or fail.")
        status = None
    f = queries.LogFilter(
        app_id=app_id or params.get("app") or None, event_type=params.get("event_type") or None,
        status=status, endpoint_id=params.get("endpoint") or None, since=since, until=until,
        text=(params.get("q") or "").strip() or None, before=params.get("before") or None,
        newer=params.get("after") or None,
    )  # fmt: skip
    return f, problems


PRESETS = (("Last hour", 3600), ("24 hours", 86400), ("7 days", 7 * 86400), ("30 days", 30 * 86400))


def date_presets(params: dict[str, str]) -> list[tuple[str, str]]:
    """Links that set the log's "from" to a recent time (in the ``datetime-local`` form, UTC)."""
    now = time.time()
    out = []
    for label, seconds in PRESETS:
        since = datetime.fromtimestamp(now - seconds, UTC).strftime("%Y-%m-%dT%H:%M")
        out.append((label, "?" + qs({k: params.get(k, "") for k in FILTER_KEYS}, since=since, until="")))
    return out


async def row_context(store: Store, rows: list[queries.LogRow], endpoint_id: str | None) -> dict[str, Any]:
    """What the log's rows template needs besides the rows, the viewer and the application names."""
    return {"labels": await queries.endpoint_labels(store, rows), "chosen_endpoint": endpoint_id or ""}


async def log_page(
    request: Request, store: Store, viewer: Viewer, app_id: str | None, **extra: Any
) -> HTMLResponse:
    """Render the log for one application (``app_id``) or, for an administrator, for all of them."""
    params = dict(request.query_params)
    f, problems = filter_from(params, app_id)
    page = await queries.message_log(store, f)
    total = await queries.count_matching(store, f)
    apps = await queries.app_names(store)
    endpoints = await queries.endpoints_of(store, f.app_id) if f.app_id else []
    newest = page.rows[0].message.id if page.rows else ksuid_floor("msg", time.time())
    stream_params = {k: params[k] for k in FILTER_KEYS if params.get(k)}
    return render(
        request, "messages.html", viewer=viewer, page=page, f=f, params={k: params.get(k, "") for k in FILTER_KEYS},
        problems=problems, apps=apps, endpoints=endpoints, event_types=await queries.event_type_names(store, viewer.sees),
        app_id=app_id, newest=newest, stream_params=stream_params, total=total, scan_window=queries.SCAN_WINDOW, presets=date_presets(params),
        **await row_context(store, page.rows, f.endpoint_id), **extra,
    )  # fmt: skip


async def log_stream(request: Request, store: Store, viewer: Viewer, app_id: str | None) -> StreamingResponse:
    """Server-sent events: each ``rows`` event carries the HTML rows of messages newer than ``after``."""
    params = dict(request.query_params)
    f, _ = filter_from(params, app_id)
    f = queries.LogFilter(**{**f.__dict__, "before": None, "until": None, "newer": None})
    last = request.headers.get("last-event-id") or params.get("after") or ksuid_floor("msg", time.time())
    apps = await queries.app_names(store)

    async def events() -> AsyncIterator[str]:
        nonlocal last
        yield "retry: 1000\n\n"
        deadline = time.monotonic() + STREAM_SECONDS
        idle = 0.0
        while time.monotonic() < deadline:
            page = await queries.message_log(store, f, after_id=last)
            if page.rows:
                last = page.rows[0].message.id
                context = await row_context(store, page.rows, f.endpoint_id)
                html = render_text(
                    "_message_rows.html", rows=page.rows, live=True, viewer=viewer, apps=apps, **context
                )
                data = "\n".join("data: " + line for line in html.strip().splitlines())
                yield f"event: rows\nid: {last}\n{data}\n\n"
                idle = 0.0
            else:
                idle += POLL_SECONDS
                if idle >= 15:
                    yield ": keep-alive\n\n"
                    idle = 0.0
            await asyncio.sleep(POLL_SECONDS)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )
