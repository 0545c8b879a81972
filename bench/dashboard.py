"""Dashboard benchmark: how fast the message log opens with 1,000,000 messages stored.

Fills a SQLite database straight through SQL (one application, one endpoint, a message and a
dispatch per row, spread over 30 days), starts hookline on it (API only, no worker), signs in to
the dashboard and times opening the log over HTTP. It prints a table; nothing here is asserted.

    python bench/dashboard.py                     # 1,000,000 messages (about a minute to fill)
    python bench/dashboard.py --messages 100000   # smaller
    python bench/dashboard.py --keep /tmp/dash.db # reuse (or keep) the filled database
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from hookline.ids import new_id

TOKEN = "bench_token_0123456789_abcdefghijklmn"
EVENT_TYPES = ("user.created", "user.updated", "session.created", "session.ended", "user.deleted")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fill(path: Path, count: int) -> tuple[str, str]:
    """Migrate the database, then bulk-insert ``count`` messages with their dispatches."""
    from hookline.store.store import Store

    async def migrate() -> None:
        store = await Store.connect(f"sqlite:///{path}")
        await store.close()

    asyncio.run(migrate())
    db = sqlite3.connect(path)
    row = db.execute("SELECT id FROM applications WHERE uid = 'bench'").fetchone()
    if row is not None:
        ep = db.execute("SELECT id FROM endpoints WHERE app_id = ?", (row[0],)).fetchone()
        have = db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        if have >= count:
            db.close()
            return row[0], ep[0]
    now = time.time()
    app_id, ep_id = new_id("app", now - 31 * 86400), new_id("ep", now - 31 * 86400)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("BEGIN")
    db.execute(
        "INSERT INTO applications (id, uid, name, metadata, created_at, updated_at) VALUES (?, 'bench', 'Bench', '{}', ?, ?)",
        (app_id, now, now),
    )
    db.execute(
        "INSERT INTO endpoints (id, app_id, url, headers, metadata, created_at, updated_at) "
        "VALUES (?, ?, 'https://example.org/hook', '{}', '{}', ?, ?)",
        (ep_id, app_id, now - 31 * 86400, now),
    )
    span = 30 * 86400
    batch = 50_000
    for start in range(0, count, batch):
        msgs, disp = [], []
        for i in range(start, min(count, start + batch)):
            at = now - span + span * i / count
            msg_id = new_id("msg", at)
            et = EVENT_TYPES[i % len(EVENT_TYPES)]
            payload = json.dumps({"type": et, "data": {"id": f"user_{i:08d}", "email": f"u{i}@example.org"}})
            msgs.append((msg_id, app_id, et, payload, at, at + 90 * 86400))
            disp.append((msg_id, ep_id, app_id, 2 if i % 50 == 0 else 0, at))
        db.executemany(
            "INSERT INTO messages (id, app_id, event_type, payload, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            msgs,
        )
        db.executemany(
            "INSERT INTO dispatches (msg_id, endpoint_id, app_id, status, attempts, updated_at) VALUES (?, ?, ?, ?, 1, ?)",
            disp,
        )
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()
    return app_id, ep_id


def serve(path: Path, port: int) -> None:
    import uvicorn

    from hookline.config import Settings
    from hookline.server import create_app

    settings = Settings(database_url=f"sqlite:///{path}", port=port, api_token=TOKEN, run_worker=False)
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.time() + 60
    while not server.started:
        if time.time() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.05)


def timed(client: httpx.Client, url: str, runs: int) -> tuple[float, float, int]:
    """Median and max milliseconds of ``runs`` GETs (after one warm-up), and the page size."""
    client.get(url)
    times = []
    size = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        resp = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert resp.status_code == 200, (url, resp.status_code)
        size = len(resp.content)
    return statistics.median(times), max(times), size


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", type=Path, default=None, help="database file to create or reuse")
    args = parser.parse_args()
    path = args.keep or Path(tempfile.mkdtemp(prefix="hookline-dash-")) / "bench.db"
    t0 = time.perf_counter()
    app_id, ep_id = fill(path, args.messages)
    fill_s = time.perf_counter() - t0
    port = free_port()
    serve(path, port)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    resp = client.post("/dashboard/sign-in", data={"token": TOKEN})
    assert resp.status_code == 303, resp.text
    first = client.get(f"/dashboard/app/{app_id}/messages").text
    older = first.split("before=")[1].split('"')[0] if "before=" in first else ""
    middle = time.strftime("%Y-%m-%dT%H:%M", time.gmtime(time.time() - 15 * 86400))
    cases = [
        ("log, first page", f"/dashboard/app/{app_id}/messages"),
        ("log, next page (keyset)", f"/dashboard/app/{app_id}/messages?before={older}"),
        ("log, all applications", "/dashboard/messages"),
        ("log, by event type", f"/dashboard/app/{app_id}/messages?event_type=session.ended"),
        ("log, 15 days back (until=)", f"/dashboard/app/{app_id}/messages?until={middle}"),
        ("log, status fail (bounded scan)", f"/dashboard/app/{app_id}/messages?status=fail"),
        ("log, text in payload (bounded scan)", f"/dashboard/app/{app_id}/messages?q=u999999@"),
        ("message detail", f"/dashboard/app/{app_id}/msg/{older}"),
        ("endpoint page", f"/dashboard/app/{app_id}/endpoint/{ep_id}"),
    ]
    print(f"\nhookline dashboard on SQLite, {args.messages:,} messages (filled in {fill_s:.1f} s), "
          f"{args.runs} requests each\n")  # fmt: skip
    print(f"| {'page':38} | median ms | max ms | bytes |")
    print(f"|{'-' * 40}|-----------|--------|-------|")
    for name, url in cases:
        median, worst, size = timed(client, url, args.runs)
        print(f"| {name:38} | {median:9.1f} | {worst:6.1f} | {size:5} |")
    client.close()


if __name__ == "__main__":
    main()
