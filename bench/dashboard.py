"""Dashboard benchmark: every dashboard and portal page with 1,000,000 messages stored.

Fills a SQLite database straight through SQL (one application with three endpoints; each message has
a dispatch and an attempt to the first, spread over 30 days, one in 50 failed), starts hookline on it
(no worker), adds event types, users and a portal link through the APIs, then times every page over
HTTP. The goal is under 50 ms a page; the table marks the pages over it.

    python bench/dashboard.py                     # 1,000,000 messages (about two minutes to fill)
    python bench/dashboard.py --messages 100000   # smaller
    python bench/dashboard.py --keep /tmp/dash.db # reuse (or keep) the filled database
    python bench/dashboard.py --out bench/results/dashboard.md
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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
SECRET_KEY = "sk_test_bench_identity_key_0123456789"
GOAL_MS = 50.0
EVENT_TYPES = ("user.created", "user.updated", "session.created", "session.ended", "user.deleted")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fill(path: Path, count: int) -> tuple[str, str]:
    """Migrate the database, then bulk-insert ``count`` messages with their dispatches and attempts."""
    from hookline.store.store import Store

    async def migrate() -> None:
        store = await Store.connect(f"sqlite:///{path}")
        await store.close()

    asyncio.run(migrate())
    db = sqlite3.connect(path)
    row = db.execute("SELECT id FROM applications WHERE uid = 'bench'").fetchone()
    if row is not None:
        ep = db.execute("SELECT id FROM endpoints WHERE app_id = ? ORDER BY id", (row[0],)).fetchone()
        have = db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        if have >= count:
            db.close()
            return row[0], ep[0]
    now = time.time()
    born = now - 31 * 86400
    app_id, ep_id = new_id("app", born), new_id("ep", born)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("BEGIN")
    db.execute(
        "INSERT INTO applications (id, uid, name, metadata, created_at, updated_at) VALUES (?, 'bench', 'Bench', '{}', ?, ?)",
        (app_id, now, now),
    )
    endpoints = [
        (ep_id, "https://example.org/hook", 0, None),
        (new_id("ep", born + 1), "https://example.org/quiet", 0, None),
        (new_id("ep", born + 2), "https://example.org/off", 1, "disabled in the dashboard"),
    ]
    for eid, url, disabled, reason in endpoints:
        db.execute(
            "INSERT INTO endpoints (id, app_id, url, headers, metadata, disabled, disabled_reason, created_at, "
            "updated_at) VALUES (?, ?, ?, '{}', '{}', ?, ?, ?, ?)",
            (eid, app_id, url, disabled, reason, born, now),
        )
    span = 30 * 86400
    batch = 50_000
    for start in range(0, count, batch):
        msgs, disp, atts = [], [], []
        for i in range(start, min(count, start + batch)):
            at = now - span + span * i / count
            msg_id = new_id("msg", at)
            et = EVENT_TYPES[i % len(EVENT_TYPES)]
            payload = json.dumps({"type": et, "data": {"id": f"user_{i:08d}", "email": f"u{i}@example.org"}})
            failed = i % 50 == 0
            msgs.append((msg_id, app_id, et, payload, at, at + 90 * 86400))
            disp.append((msg_id, ep_id, app_id, 2 if failed else 0, at))
            atts.append((new_id("atmpt", at + 0.05), msg_id, ep_id, app_id, 2 if failed else 0,
                         500 if failed else 200, "error" if failed else "ok", 20 + i % 80, at + 0.05))  # fmt: skip
        db.executemany(
            "INSERT INTO messages (id, app_id, event_type, payload, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            msgs,
        )
        db.executemany(
            "INSERT INTO dispatches (msg_id, endpoint_id, app_id, status, attempts, updated_at) VALUES (?, ?, ?, ?, 1, ?)",
            disp,
        )
        db.executemany(
            "INSERT INTO attempts (id, msg_id, endpoint_id, app_id, url, status, response_status_code, response, "
            "response_duration_ms, trigger_type, created_at) VALUES (?, ?, ?, ?, 'https://example.org/hook', ?, ?, ?, ?, 0, ?)",
            atts,
        )
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()
    return app_id, ep_id


def serve(path: Path, port: int) -> None:
    import uvicorn

    from hookline.config import Settings
    from hookline.server import create_app

    settings = Settings(database_url=f"sqlite:///{path}", port=port, api_token=TOKEN, secret_key=SECRET_KEY,
                        run_worker=False)  # fmt: skip
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.time() + 60
    while not server.started:
        if time.time() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.05)


def timed(client: httpx.Client, url: str, runs: int, status: int = 200) -> tuple[float, float, int]:
    """Median and max milliseconds of ``runs`` GETs (after one warm-up), and the page size."""
    client.get(url)
    times = []
    size = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        resp = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert resp.status_code == status, (url, resp.status_code, resp.text[:300])
        size = len(resp.content)
    return statistics.median(times), max(times), size


def populate(api: httpx.Client, clerk: httpx.Client) -> str:
    """Event types with schemas, users with sessions; return a user id."""
    for i in range(40):
        group = ("user", "session", "invoice", "order")[i % 4]
        schema = {"type": "object", "properties": {"id": {"type": "string"}, "n": {"type": "integer"}},
                  "required": ["id"], "examples": [{"id": f"{group}_{i}", "n": i}]}  # fmt: skip
        api.put(f"/api/v1/event-type/{group}.event{i}",
                json={"description": f"Event {i} of {group}", "groupName": group, "schemas": {"1": schema}})  # fmt: skip
    user_id = ""
    for i in range(25):
        resp = clerk.post(
            "/v1/users", json={"email_address": [f"bench{i}@example.org"], "first_name": f"B{i}"}
        )
        if resp.status_code == 200:
            user_id = resp.json()["id"]
            clerk.post("/v1/sessions", json={"user_id": user_id})
    if not user_id:  # a reused database has them already
        user_id = clerk.get("/v1/users", params={"limit": 1}).json()[0]["id"]
    return user_id


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", type=Path, default=None, help="database file to create or reuse")
    parser.add_argument("--out", type=Path, default=None, help="also write the table to this Markdown file")
    args = parser.parse_args()
    path = args.keep or Path(tempfile.mkdtemp(prefix="hookline-dash-")) / "bench.db"
    t0 = time.perf_counter()
    app_id, ep_id = fill(path, args.messages)
    fill_s = time.perf_counter() - t0
    port = free_port()
    serve(path, port)
    url = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=url, timeout=60)
    api = httpx.Client(base_url=url, timeout=60, headers={"authorization": f"Bearer {TOKEN}"})
    clerk = httpx.Client(base_url=url, timeout=60, headers={"authorization": f"Bearer {SECRET_KEY}"})
    user_id = populate(api, clerk)
    resp = client.post("/dashboard/sign-in", data={"token": TOKEN})
    assert resp.status_code == 303, resp.text
    link = api.post(f"/api/v1/auth/app-portal-access/{app_id}", json={}).json()["url"]
    portal = httpx.Client(base_url=url, timeout=60)
    opened = portal.post("/dashboard/portal/access", data={"token": link.split("#token=")[1]},
                         headers={"sec-fetch-site": "same-origin"})  # fmt: skip
    assert opened.status_code == 303, opened.text
    base = f"/dashboard/app/{app_id}"
    first = client.get(f"{base}/messages").text
    older = first.split("before=")[1].split('"')[0].split("&")[0] if "before=" in first else ""
    attempt = api.get(f"/api/v1/app/{app_id}/attempt/msg/{older}").json()["data"][0]["id"]
    middle = time.strftime("%Y-%m-%dT%H:%M", time.gmtime(time.time() - 15 * 86400))
    pbase = opened.headers[
        "location"
    ]  # the portal's pages under its page key, as a customer's browser has them
    admin_cases = [
        ("overview (24 h chart)", "/dashboard/", 200),
        ("overview, 30 d chart", "/dashboard/?range=30d", 200),
        ("applications", "/dashboard/apps", 200),
        ("application (24 h chart)", base, 200),
        ("application, 7 d chart", f"{base}?range=7d", 200),
        ("endpoint (history, 24 h chart)", f"{base}/endpoint/{ep_id}", 200),
        ("endpoint, failed tab, 30 d chart", f"{base}/endpoint/{ep_id}?tab=failed&range=30d", 200),
        ("endpoint, succeeded tab", f"{base}/endpoint/{ep_id}?tab=succeeded", 200),
        ("message detail", f"{base}/msg/{older}", 200),
        ("attempt detail", f"{base}/attempt/{attempt}", 200),
        ("log, first page", f"{base}/messages", 200),
        ("log, next page (keyset)", f"{base}/messages?before={older}", 200),
        ("log, newer page (keyset)", f"{base}/messages?after={older}", 200),
        ("log, all applications", "/dashboard/messages", 200),
        ("log, by event type", f"{base}/messages?event_type=session.ended", 200),
        ("log, 15 days back (until=)", f"{base}/messages?until={middle}", 200),
        ("log, by endpoint", f"{base}/messages?endpoint={ep_id}", 200),
        ("log, status fail (bounded scan)", f"{base}/messages?status=fail", 200),
        ("log, text in payload (bounded scan)", f"{base}/messages?q=u999999@", 200),
        ("test event form", f"{base}/test", 200),
        ("event catalog", "/dashboard/event-types", 200),
        ("event catalog, search", "/dashboard/event-types?q=invoice", 200),
        ("event type", "/dashboard/event-types/invoice.event2", 200),
        ("event type, edit form", "/dashboard/event-types/invoice.event2/edit", 200),
        ("users", "/dashboard/users", 200),
        ("user (sessions, events)", f"/dashboard/users/{user_id}", 200),
        ("find by id (message)", f"/dashboard/find?id={older}", 303),
        ("find by id (not found)", "/dashboard/find?id=evt_missing", 404),
        ("status", "/dashboard/status", 200),
    ]
    portal_cases = [
        ("portal: endpoints", pbase, 200),
        ("portal: endpoint", f"{pbase}/endpoint/{ep_id}", 200),
        ("portal: log", f"{pbase}/messages", 200),
        ("portal: message", f"{pbase}/msg/{older}", 200),
        ("portal: attempt", f"{pbase}/attempt/{attempt}", 200),
        ("portal: event catalog", f"{pbase}/event-types", 200),
        ("portal: test event form", f"{pbase}/test", 200),
    ]
    lines = [
        f"hookline dashboard on SQLite, {args.messages:,} messages and as many attempts "
        f"(filled in {fill_s:.1f} s), {args.runs} requests a page after one warm-up; goal {GOAL_MS:.0f} ms",
        "",
        f"| {'page':38} | median ms | max ms | bytes |",
        f"|{'-' * 40}|-----------|--------|-------|",
    ]
    print("\n" + "\n".join(lines))
    slow = []
    for who, cases in ((client, admin_cases), (portal, portal_cases)):
        for name, page_url, status in cases:
            median, worst, size = timed(who, page_url, args.runs, status)
            mark = " ⚠" if median > GOAL_MS else ""
            if median > GOAL_MS:
                slow.append(name)
            line = f"| {name + mark:38} | {median:9.1f} | {worst:6.1f} | {size:5} |"
            lines.append(line)
            print(line)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines.append("")
    lines.append(f"Load average while measuring (1, 5, 15 min): {load} on {os.cpu_count()} CPUs.")
    summary = f"{len(slow)} page(s) over {GOAL_MS:.0f} ms (median): {', '.join(slow)}" if slow else (
        f"Every page's median is under {GOAL_MS:.0f} ms.")  # fmt: skip
    print("\n" + summary)
    if args.out:
        args.out.write_text("\n".join(["# Dashboard pages with 1,000,000 messages", "", "    python bench/dashboard.py --out "
                                        f"{args.out}", "", *lines, "", summary, ""]))  # fmt: skip
    for c in (client, api, clerk, portal):
        c.close()


if __name__ == "__main__":
    main()
