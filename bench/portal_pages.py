"""Portal benchmark: the customer portal's pages, its previews and its token as an API key, with
1,000,000 messages stored.

Fills the database as ``bench/dashboard.py`` does (one application and endpoint, a message and a
dispatch per row, one in fifty failed, over 30 days), opens a portal link the way its page does and
times each page over HTTP. It prints a table; nothing here is asserted.

    python bench/portal_pages.py                     # 1,000,000 messages
    python bench/portal_pages.py --messages 100000   # smaller
    python bench/portal_pages.py --keep /tmp/dash.db # reuse (or keep) the filled database
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

# the fill, the server and the timing of the dashboard benchmark
import dashboard as bench


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", type=Path, default=None, help="database file to create or reuse")
    args = parser.parse_args()
    path = args.keep or Path(tempfile.mkdtemp(prefix="hookline-portal-")) / "bench.db"
    app_id, ep_id = bench.fill(path, args.messages)
    port = bench.free_port()
    bench.serve(path, port)
    url = f"http://127.0.0.1:{port}"
    api = httpx.Client(base_url=url, headers={"authorization": f"Bearer {bench.TOKEN}"}, timeout=60)
    token = api.post(f"/api/v1/auth/app-portal-access/{app_id}", json={}).json()["token"]
    browser = httpx.Client(base_url=url, timeout=60)
    opened = browser.post(
        "/dashboard/portal/access", data={"token": token}, headers={"sec-fetch-site": "same-origin"}
    )
    base = opened.headers["location"]
    customer = httpx.Client(base_url=url, headers={"authorization": f"Bearer {token}"}, timeout=60)
    cases = [
        ("endpoints", browser, base),
        ("message log", browser, f"{base}/messages"),
        ("endpoint page (forms, catalog)", browser, f"{base}/endpoint/{ep_id}"),
        ("add endpoint form", browser, f"{base}/endpoint/new"),
        ("replay missing preview, 24 h", browser, f"{base}/endpoint/{ep_id}/replay?kind=missing&since=24h"),
        ("replay missing preview, 7 d", browser, f"{base}/endpoint/{ep_id}/replay?kind=missing&since=7d"),
        ("recover failed preview, 7 d", browser, f"{base}/endpoint/{ep_id}/replay?kind=recover&since=7d"),
        ("API, portal token: list endpoints", customer, f"/api/v1/app/{app_id}/endpoint"),
        ("API, portal token: list messages", customer, f"/api/v1/app/{app_id}/msg"),
    ]
    print(f"\nhookline portal on SQLite, {args.messages:,} messages, {args.runs} requests each\n")
    print(f"| {'page':38} | median ms | max ms |")
    print(f"|{'-' * 40}|-----------|--------|")
    for name, client, target in cases:
        median, worst, _ = bench.timed(client, target, args.runs)
        print(f"| {name:38} | {median:9.1f} | {worst:6.1f} |")


if __name__ == "__main__":
    main()
