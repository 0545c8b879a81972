"""Delivery charts: attempts and success rate over a chosen range (1 h, 24 h, 7 d, 30 d), as server-side SVG.

Each range has a bucket size that keeps the bars readable at phone width (12 to 30 bars). The counts come
from the attempts table, bounded below by an id (ids sort by time), per application or per endpoint.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from hookline.bounded import BoundedDict
from hookline.ids import ksuid_floor
from hookline.store.store import Store

# range → (seconds covered, seconds per bar, label)
RANGES: dict[str, tuple[int, int, str]] = {
    "1h": (3600, 300, "last hour"),
    "24h": (86400, 3600, "last 24 hours"),
    "7d": (7 * 86400, 6 * 3600, "last 7 days"),
    "30d": (30 * 86400, 86400, "last 30 days"),
}
DEFAULT_RANGE = "24h"


def pick_range(value: str | None) -> str:
    """The chart range a query string asks for (``range=7d``), or the default."""
    return value if value in RANGES else DEFAULT_RANGE


@dataclass(frozen=True)
class Bucket:
    start: float
    total: int
    ok: int

    @property
    def rate(self) -> float | None:
        return self.ok / self.total if self.total else None


@dataclass
class _Hours:
    """The closed hours of one scope already counted: hour → (attempts, successes), from ``first`` on."""

    first: int
    upto: int  # the last closed hour counted
    counts: dict[int, tuple[int, int]]


# per store, scope (application, endpoint) → its counted closed hours. An hour that has ended gets no
# new attempt (an attempt is stamped when it is made), so its counts are kept: a 30-day chart reads
# only the current hour from the table. Retention deleting old attempts shows after a restart.
_closed: weakref.WeakKeyDictionary[Store, BoundedDict[tuple[str | None, str | None], _Hours]] = (
    weakref.WeakKeyDictionary()
)


async def _count(
    store: Store, step: int, lo: float, hi: float | None, app_id: str | None, endpoint_id: str | None
) -> dict[int, tuple[int, int]]:
    """Attempts and successes per ``step`` seconds, for attempts made in [lo, hi)."""
    if store.dialect == "postgres":
        slot = f"FLOOR(created_at / {step})::bigint"
    else:
        slot = f"CAST(created_at / {step} AS INTEGER)"
    # canceled (4) is a delivery that needed no attempt; it is no failure
    sql = f"SELECT {slot} AS s, COUNT(*), SUM(CASE WHEN status IN (0, 4) THEN 1 ELSE 0 END) FROM attempts WHERE "
    params: list[Any] = []
    if endpoint_id:
        sql += "endpoint_id = ? AND "
        params.append(endpoint_id)
    elif app_id:
        sql += "app_id = ? AND "
        params.append(app_id)
    sql += "id >= ?"
    params.append(ksuid_floor("atmpt", lo))
    if hi is not None:
        sql += " AND id < ?"
        params.append(ksuid_floor("atmpt", hi))
    async with store.db.reader() as c:
        rows = await c.fetchall(sql + " GROUP BY s", params)
    return {int(r[0]): (int(r[1]), int(r[2] or 0)) for r in rows}


async def _hourly(
    store: Store, first: int, now: float, app_id: str | None, endpoint_id: str | None
) -> dict[int, tuple[int, int]]:
    """Counts per hour from hour ``first`` to the current one: closed hours from the cache (counting the
    ones not seen yet), the current hour from the table."""
    current = int(now) // 3600
    scopes = _closed.get(store)
    if scopes is None:
        scopes = _closed.setdefault(store, BoundedDict(2000))
    key = (app_id, endpoint_id)
    known = scopes.get(key)
    if known is None or first < known.first:
        counted = await _count(store, 3600, first * 3600, current * 3600, app_id, endpoint_id)
        known = scopes.put(key, _Hours(first, current - 1, counted))
    elif known.upto < current - 1:
        known.counts.update(
            await _count(store, 3600, (known.upto + 1) * 3600, current * 3600, app_id, endpoint_id)
        )
        known.upto = current - 1
    live = await _count(store, 3600, current * 3600, None, app_id, endpoint_id)
    return {**{h: v for h, v in known.counts.items() if h >= first}, **live}


async def buckets(
    store: Store, range_key: str, app_id: str | None = None, endpoint_id: str | None = None
) -> list[Bucket]:
    """Attempts and successes per bar over the range (oldest first)."""
    span, step, _ = RANGES[pick_range(range_key)]
    now = time.time()
    count = span // step
    first = int(now) // step - count + 1
    if step < 3600:  # the last hour: read as it is
        by_slot = await _count(store, step, first * step, None, app_id, endpoint_id)
    else:
        by_slot = {}
        for hour, (total, ok) in (
            await _hourly(store, first * step // 3600, now, app_id, endpoint_id)
        ).items():
            slot = hour * 3600 // step
            t, o = by_slot.get(slot, (0, 0))
            by_slot[slot] = (t + total, o + ok)
    return [Bucket(s * float(step), *by_slot.get(s, (0, 0))) for s in range(first, first + count)]


def _tick(ts: float, step: int) -> str:
    dt = datetime.fromtimestamp(ts, UTC)
    if step < 3600:
        return dt.strftime("%H:%M")
    if step < 86400:
        return dt.strftime("%H:%M") if dt.hour or step == 3600 else dt.strftime("%d %b")
    return dt.strftime("%d %b")


def delivery_chart(data: list[Bucket], range_key: str, width: int = 720, height: int = 230) -> Markup:
    """Bars of attempts (succeeded over failed) with a success-rate line; labelled axes: attempts on the
    left, success % on the right, time (UTC) below."""
    _, step, label = RANGES[pick_range(range_key)]
    left, right, top, bottom = 52, 46, 12, 40
    inner_w, inner_h = width - left - right, height - top - bottom
    peak = max((b.total for b in data), default=0) or 1
    slot = inner_w / max(1, len(data))
    bar = max(2.0, slot * 0.7)
    base = top + inner_h
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Delivery attempts and success rate, {label}, {len(data)} bars">',
        f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" class="axis"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" class="axis"/>',
        f'<text x="{left - 6}" y="{top + 10}" class="tick" text-anchor="end">{peak}</text>',
        f'<text x="{left - 6}" y="{base}" class="tick" text-anchor="end">0</text>',
        f'<text x="{width - right + 6}" y="{top + 10}" class="tick">100%</text>',
        f'<text x="{width - right + 6}" y="{base}" class="tick">0%</text>',
        f'<text x="14" y="{top + inner_h / 2}" class="tick axis-label" text-anchor="middle" '
        f'transform="rotate(-90 14 {top + inner_h / 2})">attempts</text>',
        f'<text x="{width - 10}" y="{top + inner_h / 2}" class="tick axis-label" text-anchor="middle" '
        f'transform="rotate(90 {width - 10} {top + inner_h / 2})">success %</text>',
        f'<text x="{left + inner_w / 2}" y="{height - 4}" class="tick axis-label" text-anchor="middle">'
        f"time (UTC), {label}</text>",
    ]
    points = []
    every = max(1, len(data) // 6)
    for i, b in enumerate(data):
        x = left + i * slot + (slot - bar) / 2
        ok_h = b.ok / peak * inner_h
        fail_h = (b.total - b.ok) / peak * inner_h
        rate = "no attempts" if b.rate is None else f"{b.rate * 100:.1f}% succeeded"
        stamp = datetime.fromtimestamp(b.start, UTC).strftime("%Y-%m-%d %H:%M")
        parts.append(f"<g><title>{stamp} UTC: {b.total} attempts, {rate}</title>")
        if ok_h:
            parts.append(
                f'<rect x="{x:.1f}" y="{base - ok_h:.1f}" width="{bar:.1f}" height="{ok_h:.1f}" class="ok"/>'
            )
        if fail_h:
            parts.append(
                f'<rect x="{x:.1f}" y="{base - ok_h - fail_h:.1f}" width="{bar:.1f}" height="{fail_h:.1f}" class="bad"/>'
            )
        parts.append("</g>")
        if b.rate is not None:
            cx, cy = x + bar / 2, top + (1 - b.rate) * inner_h
            points.append(f"{cx:.1f},{cy:.1f}")
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" class="dot"/>')
        if i % every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{base + 16}" class="tick" text-anchor="middle">'
                f"{_tick(b.start, step)}</text>"
            )
    if len(points) > 1:
        parts.append(f'<polyline points="{" ".join(points)}" class="rate"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def totals(data: list[Bucket]) -> tuple[int, float | None]:
    """All attempts over the range, and the share that succeeded (None without attempts)."""
    total = sum(b.total for b in data)
    return total, (sum(b.ok for b in data) / total if total else None)
