"""Retention in a running server: delivery throughput of `hookline serve` while its own retention pass
deletes as many old messages as the traffic adds, against the same server with retention off.

Each run gets a copy of one SQLite file that already holds ``--messages`` old
messages, each delivered to the endpoint, with its dispatch and attempt. Their creation times are set
so that they pass the 1-day horizon one after another while the traffic runs: a steady state, where
every second the pass deletes about what the API accepted in that second. The server runs with
``HOOKLINE_RETENTION_DAYS=1`` and a pass every second, or with ``HOOKLINE_RETENTION_DAYS=0``; runs
alternate between the two so that whatever else the machine does slows both alike. Nothing here is
asserted; it prints a table (and, with --markdown, writes it). SQLite only: on PostgreSQL retention
drops whole days' partitions, which ``bench/retention.py --backend postgres`` measures.

    python bench/retention_live.py                               # SQLite, 20,000 messages, 3 pairs
    python bench/retention_live.py --messages 40000 --pairs 5 --markdown /tmp/retention-live.md
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import secrets
import shutil
import sqlite3
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from retention import DAY, accept_and_deliver

from delivery import Client, Processes, payload_1kb, post_many, receiver_count, reset, wait_count
from hookline.ids import ksuid_floor
from hookline.store.store import Store

# seals the endpoint secrets, so every copy of the template opens with the same key
KEY = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
FILL_RATE = 4000.0  # old messages filled per second, at least, on the 2-core machine


@dataclass
class Result:
    """One run: delivery throughput, and how many old messages the pass deleted while it lasted."""

    retention: bool
    delivered_per_s: float
    seconds: float
    old_deleted: int
    old_total: int


class Server(Processes):
    """`hookline serve` (API and worker in one process) with retention on or off, sending to a receiver
    that outlives it."""

    def __init__(self, database: str, receiver_port: int, retention: bool) -> None:
        super().__init__(database, workers=0)
        self.recv_port = receiver_port
        self.retention = retention

    def env(self) -> dict[str, str]:
        env = super().env()
        env.update(
            HOOKLINE_ENCRYPTION_KEY=KEY,
            HOOKLINE_RETENTION_DAYS="1" if self.retention else "0",
            HOOKLINE_RETENTION_INTERVAL="1",
        )
        return env


async def _fill(url: str, app_id: str, count: int, first_due: float, window: float) -> None:
    """``count`` delivered messages that pass the 1-day horizon evenly over ``window`` seconds from ``first_due``."""
    store = await Store.connect(url)
    try:
        payload = json.dumps(payload_1kb(0))
        await accept_and_deliver(store, app_id, first_due - DAY, count, payload, 90 * DAY, None, span=window)
    finally:
        await store.close()


def _old_left(path: Path, before: float) -> int:
    """Messages in the SQLite file at ``path`` created before ``before``."""
    with sqlite3.connect(path) as conn:
        row = conn.execute(
            "SELECT COUNT(*) FROM messages WHERE id < ?", (ksuid_floor("msg", before),)
        ).fetchone()
    return int(row[0])


async def _template(folder: Path, receiver_port: int) -> tuple[Path, str]:
    """A migrated SQLite file with one application and one endpoint at the receiver; returns it and the app id."""
    path = folder / "template.db"
    server = Server(f"sqlite:///{path}", receiver_port, retention=False)
    await server.start_hookline()
    try:
        async with aiohttp.ClientSession() as s:
            app_id = await Client(s, server.api).setup(server.receiver, uid="retention")
    finally:
        server.stop()
    # the template's server held the retention lease (a stop gives it up; a kill would not): free it
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE ops_runs SET lease_until = 0")
    return path, app_id


async def one_run(
    template: Path,
    app_id: str,
    receiver_port: int,
    folder: Path,
    retention: bool,
    messages: int,
    window: float,
    concurrency: int,
) -> Result:
    """Fill a copy of the template with old messages, start the server, post ``messages`` and time their delivery."""
    path = folder / f"run-{'on' if retention else 'off'}-{time.time_ns()}.db"
    shutil.copy(template, path)
    url = f"sqlite:///{path}"
    # time enough to fill, start and warm up before the first old message passes the horizon
    first_due = time.time() + 5.0 + messages / FILL_RATE
    await _fill(url, app_id, messages, first_due, window)
    server = Server(url, receiver_port, retention)
    await server.start_hookline()
    receiver = server.receiver
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as s:
            client = Client(s, server.api)
            await reset(s, receiver)
            await post_many(client, app_id, 200, 16)  # warm-up
            await wait_count(s, receiver, 200, 60)
            if time.time() > first_due:
                print(
                    f"  (the traffic starts {time.time() - first_due:.1f} s after the first old message is due)"
                )
            await asyncio.sleep(max(0.0, first_due - time.time()))
            await reset(s, receiver)
            start = time.time()
            await post_many(client, app_id, messages, concurrency)
            done = await wait_count(s, receiver, messages, 600)
            assert await receiver_count(s, receiver) >= messages
    finally:
        server.stop()
    left = _old_left(path, first_due + window - DAY + 1)
    path.unlink()
    return Result(retention, messages / (done - start), done - start, messages - left, messages)


def table(results: list[Result]) -> list[str]:
    """Median throughput with and without retention, and each pair's ratio."""
    on = [r for r in results if r.retention]
    off = [r for r in results if not r.retention]
    lines = [
        "| pair | retention off (msg/s) | retention on (msg/s) | on / off | old messages deleted during the run |",
        "|---|---|---|---|---|",
    ]
    for i, (a, b) in enumerate(zip(off, on, strict=True), 1):
        lines.append(
            f"| {i} | {a.delivered_per_s:.0f} | {b.delivered_per_s:.0f} | {b.delivered_per_s / a.delivered_per_s * 100:.0f} % "
            f"| {b.old_deleted:,} of {b.old_total:,} |"
        )
    med_off = statistics.median(r.delivered_per_s for r in off)
    med_on = statistics.median(r.delivered_per_s for r in on)
    ratios = [b.delivered_per_s / a.delivered_per_s for a, b in zip(off, on, strict=True)]
    lines.append(
        f"| median | {med_off:.0f} | {med_on:.0f} | {statistics.median(ratios) * 100:.0f} % (medians: {med_on / med_off * 100:.0f} %) | |"
    )
    return lines


async def bench(messages: int, pairs: int, concurrency: int, window: float | None) -> list[Result]:
    """``pairs`` runs each way, alternating which goes first."""
    results: list[Result] = []
    receiver = Processes("", workers=0)  # the receiver alone, kept for every run
    await receiver.start_receiver()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            template, app_id = await _template(folder, receiver.recv_port)
            for pair in range(pairs):
                order = (False, True) if pair % 2 == 0 else (True, False)
                for retention in order:
                    # the old messages pass the horizon over most of the time the traffic took without
                    # retention, so that a pass a second has deleted them all by the end of the run
                    first_off = next((r.seconds for r in results if not r.retention), messages / 4000)
                    span = window or 0.7 * first_off
                    r = await one_run(
                        template, app_id, receiver.recv_port, folder, retention, messages, span, concurrency
                    )
                    print(
                        f"  pair {pair + 1} retention={'on ' if retention else 'off'}: {r.delivered_per_s:7.0f} msg/s "
                        f"in {r.seconds:5.1f} s, old messages deleted {r.old_deleted:,} of {r.old_total:,}",
                        flush=True,
                    )
                    results.append(r)
    finally:
        receiver.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--messages", type=int, default=20_000, help="messages posted per run, and old ones filled"
    )
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--window", type=float, default=None,
        help="seconds over which the old messages pass the horizon (default: 70 %% of the first run without retention)",
    )  # fmt: skip
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    results = asyncio.run(bench(args.messages, args.pairs, args.concurrency, args.window))
    lines = table(results)
    print("\n".join(lines))
    if args.markdown:
        head = [
            "# `bench/retention_live.py`: a running server with retention deleting as fast as it accepts",
            "",
            f"Command: `python bench/retention_live.py --messages {args.messages} --pairs {args.pairs}`",
            "",
        ]
        args.markdown.write_text("\n".join(head + lines) + "\n")


if __name__ == "__main__":
    main()
