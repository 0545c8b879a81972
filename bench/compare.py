"""Delivery compared: hookline on SQLite and PostgreSQL, the bare aiohttp ceiling, and other Python
webhook-sending packages from PyPI doing the same job (sign a JSON payload and POST it).

Everything runs on 127.0.0.1 against one receiver process (`bench/_receiver.py`, answers 200). Each
row delivers the same number of 1 KB payloads with the same concurrency and reports messages per
second from the first send to the last arrival at the receiver:

- bare aiohttp: one keep-alive session POSTing the bodies, no signing, no storage (the ceiling);
- hookline: messages created through its API (stored durably, fanned out, signed with Standard
  Webhooks headers) and delivered by its worker, `hookline serve` in its own process;
- lazyhooks (PyPI): `WebhookSender.send`, with its SQLite storage (durable) and without;
- webhook-cannon (PyPI): `WebhookCannon.fire` (no storage; its loopback block bypassed for the bench).

It writes `bench/results/compare.md` (the table) and `bench/results/compare.png` (a bar chart;
`compare.svg`, drawn by hand, when matplotlib is not installed).

    python bench/compare.py                               # 5,000 messages, PostgreSQL from HOOKLINE_TEST_POSTGRES_URL
    python bench/compare.py --messages 2000 --no-postgres
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from delivery import (
    Client,
    Processes,
    bare_aiohttp,
    payload_1kb,
    post_many,
    receiver_count,
    reset,
    wait_count,
)

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


async def _bounded(n: int, concurrency: int, one: Any) -> None:
    todo = iter(range(n))

    async def worker() -> None:
        for i in todo:
            await one(i)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def run_hookline(database: str, receiver: str, n: int, concurrency: int) -> float:
    p = Processes(database, 0)
    p.recv_port = int(receiver.rsplit(":", 1)[1])
    await p.start_hookline()
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as s:
            c = Client(s, p.api)
            app_id = await c.setup(receiver, uid=f"cmp{uuid.uuid4().hex[:8]}")
            await post_many(c, app_id, 200, 16)  # warm-up
            await wait_count(s, receiver, 200, 60)
            await reset(s, receiver)
            start = time.time()
            await post_many(c, app_id, n, concurrency)
            done = await wait_count(s, receiver, n, 600)
            return n / (done - start)
    finally:
        p.stop()  # only hookline: the receiver belongs to the caller


async def run_lazyhooks(receiver: str, n: int, concurrency: int, durable: bool, tmp: Path) -> float:
    from lazyhooks import WebhookSender

    storage = f"sqlite://{tmp / f'lazyhooks-{uuid.uuid4().hex[:6]}.db'}" if durable else None
    sender = WebhookSender(SECRET, storage=storage, retry_delays=[1])
    async with aiohttp.ClientSession() as s:
        await reset(s, receiver)
        start = time.time()
        await _bounded(n, concurrency, lambda i: sender.send(f"{receiver}/lazyhooks", payload_1kb(i)))
        done = await wait_count(s, receiver, n, 600)
    return n / (done - start)


async def run_webhook_cannon(receiver: str, n: int, concurrency: int) -> float:
    import webhook_cannon.cannon

    # its private-network block has no allow-list; hookline's is configured to allow 127.0.0.0/8 here
    webhook_cannon.cannon.resolve_and_validate = lambda *a, **k: None  # type: ignore[assignment]
    cannon = webhook_cannon.WebhookCannon(SECRET, timeout=15, max_failures=10**9)
    async with aiohttp.ClientSession() as s:
        await reset(s, receiver)
        start = time.time()
        await _bounded(
            n, concurrency, lambda i: cannon.fire(f"{receiver}/cannon", "user.created", payload_1kb(i))
        )
        done = await wait_count(s, receiver, n, 600)
    return n / (done - start)


def fresh_postgres(url: str) -> tuple[str, str] | None:
    """A fresh database on the server at ``url``; None when it is unreachable."""
    sys.path.insert(0, str(HERE.parent))
    try:
        import pytest  # noqa: F401 - tests.support.postgres imports it
        from tests.support import postgres

        os.environ.setdefault("HOOKLINE_TEST_POSTGRES_URL", url)
        name = f"hl_compare_{uuid.uuid4().hex[:8]}"
        postgres.execute(f'CREATE DATABASE "{name}"', url)
        return name, postgres.with_database(url, name)
    except Exception as exc:
        print(f"PostgreSQL skipped: {exc!r}", file=sys.stderr)
        return None


def write_chart(rows: list[tuple[str, float, str]], path_png: Path, path_svg: Path) -> Path:
    labels = [r[0] for r in rows]
    values = [r[1] for r in rows]
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return _svg_chart(labels, values, path_svg)
    fig, ax = plt.subplots(figsize=(9, 0.6 * len(rows) + 1.4))
    colors = ["#9aa5b1" if lbl.startswith("bare") else "#2f6fde" if lbl.startswith("hookline") else "#e0833a"
              for lbl in labels]  # fmt: skip
    bars = ax.barh(labels[::-1], values[::-1], color=colors[::-1])
    ax.bar_label(bars, labels=[f"{v:,.0f}" for v in values[::-1]], padding=4)
    ax.set_xlabel("messages delivered per second (higher is better)")
    ax.set_title("Signed webhook delivery on 127.0.0.1, 1 KB payloads")
    ax.set_xlim(0, max(values) * 1.18)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path_png, dpi=110)
    return path_png


def _svg_chart(labels: list[str], values: list[float], path: Path) -> Path:
    width, bar_h, left = 760, 26, 290
    top = max(values) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{len(values) * 36 + 40}" '
             'font-family="sans-serif" font-size="13">']  # fmt: skip
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 20 + i * 36
        w = (width - left - 90) * value / top
        parts.append(f'<text x="{left - 8}" y="{y + 18}" text-anchor="end">{label}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{w:.0f}" height="{bar_h}" fill="#2f6fde"/>')
        parts.append(f'<text x="{left + w + 6:.0f}" y="{y + 18}">{value:,.0f}</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts))
    return path


async def main_async(args: argparse.Namespace) -> list[tuple[str, float, str]]:
    tmp = Path(tempfile.mkdtemp(prefix="hookline-compare-"))
    rows: list[tuple[str, float, str]] = []
    recv = Processes("", 0)
    await recv.start_receiver()
    receiver = recv.receiver
    pg = None if args.no_postgres else fresh_postgres(args.postgres)
    try:
        n, c = args.messages, args.concurrency
        rows.append(("bare aiohttp (ceiling)", await bare_aiohttp(receiver, n, c), "no signing, no storage"))
        rows.append(("hookline, SQLite", await run_hookline(f"sqlite:///{tmp / 'cmp.db'}", receiver, n, c),
                     "durable, signed, retried; API + worker in one process"))  # fmt: skip
        if pg is not None:
            rows.append(("hookline, PostgreSQL", await run_hookline(pg[1], receiver, n, c),
                         "durable, signed, retried; API + worker in one process"))  # fmt: skip
        rows.append(("lazyhooks, SQLite storage", await run_lazyhooks(receiver, n, c, True, tmp),
                     "durable, signed; a new HTTP session per send"))  # fmt: skip
        rows.append(("lazyhooks, no storage", await run_lazyhooks(receiver, n, c, False, tmp),
                     "signed, not durable; a new HTTP session per send"))  # fmt: skip
        rows.append(("webhook-cannon", await run_webhook_cannon(receiver, n, c),
                     "signed, not durable; a new httpx client per send"))  # fmt: skip
        async with aiohttp.ClientSession() as s:
            await receiver_count(s, receiver)
    finally:
        recv.stop()
        if pg is not None:
            from tests.support import postgres

            postgres.drop_database(pg[0])
    return rows


def versions() -> str:
    from importlib.metadata import version

    names = ["aiohttp", "lazyhooks", "webhook-cannon", "httpx"]
    return ", ".join(f"{n} {version(n)}" for n in names)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=5000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--postgres", default=os.environ.get("HOOKLINE_TEST_POSTGRES_URL",
                                                          "postgresql://postgres@127.0.0.1:5432/test"))  # fmt: skip
    ap.add_argument("--no-postgres", action="store_true")
    args = ap.parse_args(argv)
    rows = asyncio.run(main_async(args))
    ceiling = rows[0][1]
    lines = [
        f"Delivery of {args.messages:,} signed 1 KB webhooks to one receiver on 127.0.0.1, "
        f"{args.concurrency} at a time ({platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; {versions()}). Messages per second from the first send to the "
        "last arrival; `python bench/compare.py`.",
        "",
        "| sender | msg/s | of the ceiling | what it does |",
        "|---|---:|---:|---|",
    ]
    lines += [
        f"| {name} | {rate:,.0f} | {rate / ceiling * 100:.0f} % | {what} |" for name, rate, what in rows
    ]
    table = "\n".join(lines)
    print(table)
    RESULTS.mkdir(exist_ok=True)
    chart = write_chart(rows, RESULTS / "compare.png", RESULTS / "compare.svg")
    (RESULTS / "compare.md").write_text(table + f"\n\n![delivery compared]({chart.name})\n")
    print(f"\nwrote {RESULTS / 'compare.md'} and {chart}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
