"""The delivery charts' counts: closed hours are counted once and kept, the current hour is read each time."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from hookline.dashboard import charts
from hookline.ids import new_id
from hookline.store.store import Store


async def _attempt(store: Store, at: float, status: int, endpoint: str = "ep_1") -> None:
    msg_id = new_id("msg", at)
    async with store.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO messages (id, app_id, event_type, payload, created_at, expires_at) VALUES (?, 'app_1', 'a.b', '{}', ?, ?)",
            (msg_id, at, at + 86400 * 90),
        )
        await tx.execute(
            "INSERT INTO attempts (id, msg_id, endpoint_id, app_id, url, status, response_status_code, response, "
            "response_duration_ms, trigger_type, created_at) VALUES (?, ?, ?, 'app_1', 'https://x', ?, ?, '', 5, 0, ?)",
            (new_id("atmpt", at), msg_id, endpoint, status, 200 if status == 0 else 500, at),
        )


def test_closed_hours_are_kept_and_the_current_hour_is_live(tmp_path: Path) -> None:
    async def run() -> None:
        store = await Store.connect(f"sqlite:///{tmp_path / 'c.db'}")
        try:
            async with store.db.transaction() as tx:
                await tx.execute(
                    "INSERT INTO applications (id, uid, name, metadata, created_at, updated_at) "
                    "VALUES ('app_1', 'a', 'A', '{}', 0, 0)"
                )
            now = time.time()
            hour = int(now) // 3600 * 3600
            await _attempt(store, hour - 3 * 3600 + 10, 0)
            await _attempt(store, hour - 3 * 3600 + 20, 2)
            await _attempt(store, hour - 30 * 3600, 0)  # outside 24 h, inside 7 d
            await _attempt(store, hour + 1, 0, endpoint="ep_2")
            day = await charts.buckets(store, "24h")
            assert charts.totals(day) == (3, 2 / 3)
            three_ago = next(b for b in day if b.start == hour - 3 * 3600)
            assert (three_ago.total, three_ago.ok) == (2, 1)
            week = await charts.buckets(store, "7d")
            assert charts.totals(week)[0] == 4 and len(week) == 28
            month = await charts.buckets(store, "30d")
            assert charts.totals(month)[0] == 4 and len(month) == 30
            # a new attempt in the current hour shows at once; the endpoint's chart has only its own
            await _attempt(store, time.time(), 2)
            assert charts.totals(await charts.buckets(store, "24h"))[0] == 4
            assert charts.totals(await charts.buckets(store, "30d", endpoint_id="ep_2")) == (1, 1.0)
            hour_chart = await charts.buckets(store, "1h")
            assert len(hour_chart) == 12 and charts.totals(hour_chart)[0] == 2
        finally:
            await store.close()

    asyncio.run(run())


def test_chart_svg_labels_axes_and_rates() -> None:
    data = [charts.Bucket(3600.0 * i, 10, 9 if i % 2 else 10) for i in range(24)]
    svg = str(charts.delivery_chart(data, "24h"))
    assert "attempts</text>" in svg and "success %</text>" in svg and "time (UTC), last 24 hours" in svg
    assert "100%</text>" in svg and "0%</text>" in svg and "10 attempts, 90.0% succeeded" in svg
    assert str(charts.delivery_chart([], "30d")).count("<rect") == 0
