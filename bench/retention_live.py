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
import os
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from _delivered import delivered

from delivery import (
    TOKEN,
    Client,
    free_port,
    payload_1kb,
    post_many,
    receiver_count,
    reset,
    wait_count,
    wait_http,
)
from hookline.ids import new_id
from hookline.store.records import Message, NewMessage
from hookline.store.store import Store

HERE = Path(__file__).resolve().parent
DAY = 86400.0
# seals the endpoint secrets, so every copy of the template opens with the same key
KEY = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
LEAD = 8.0  # seconds from the end of the fill to the first old message passing the horizon
BATCH = 500


@dataclass
class Result:
    """One run: delivery throughput, and how many old messages the pass deleted while it lasted."""

    retention: bool
    delivered_per_s: float
    seconds: float
    old_deleted: int
    old_total: int


async def _fill(url: str, app_id: str, count: int, first_due: float, window: float) -> None:
    """``count`` delivered messages that pass the 1-day horizon evenly over ``window`` seconds from ``first_due``."""
    store = await Store.connect(url)
    try:
        payload = json.dumps(payload_1kb(0))
        step = window / count
        for first in range(0, count, BATCH):
            items = []
            for i in range(first, min(count, first + BATCH)):
                at = first_due + i * step - DAY
                items.append(NewMessage(Message(new_id("msg", at), app_id, "user.created", payload, created_at=at,
                                                expires_at=at + 90 * DAY)))  # fmt: skip
            await store.accept_messages(items)
            while claims := await store.claim(1000, 60.0, now=at):
                await store.complete(delivered(claims, at), 5 * DAY)
    finally:
        await store.close()


def _old_left(path: str, before: float) -> int:
    """Messages in the SQLite file at ``path`` created before ``before``."""
    from hookline.ids import ksuid_floor

    with sqlite3.connect(path) as conn:
        return int(
            conn.execute(
                "SELECT COUNT(*) FROM messages WHERE id < ?", (ksuid_floor("msg", before),)
            ).fetchone()[0]
        )


class Server:
    """`hookline serve` (API and worker in one process) on a database, with retention on or off."""

    def __init__(self, database: str, retention: bool) -> None:
        self.port = free_port()
        self.database = database
        self.retention = retention
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        env = dict(os.environ)
        env.update(
            HOOKLINE_API_TOKEN=TOKEN,
            HOOKLINE_ALLOWED_TARGETS="127.0.0.0/8",
            HOOKLINE_DATABASE_URL=self.database,
            HOOKLINE_ENCRYPTION_KEY=KEY,
            HOOKLINE_RETENTION_DAYS="1" if self.retention else "0",
            HOOKLINE_RETENTION_INTERVAL="1",
        )
        args = [sys.executable, "-m", "hookline.cli", "serve", "--port", str(self.port)]
        self.proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL)
        await wait_http(self.api + "/api/v1/health")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


async def _template(folder: Path, receiver: str) -> tuple[Path, str]:
    """A migrated SQLite file with one application and one endpoint at ``receiver``; returns it and the app id."""
    path = folder / "template.db"
    server = Server(f"sqlite:///{path}", retention=False)
    await server.start()
    try:
        async with aiohttp.ClientSession() as s:
            app_id = await Client(s, server.api).setup(receiver, uid="retention")
    finally:
        server.stop()
    # the template's server held the retention lease: free it for the copies
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE ops_runs SET lease_until = 0")
    return path, app_id


async def one_run(
    template: Path,
    app_id: str,
    receiver: str,
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
    first_due = time.time() + LEAD  # refined below, once the fill is done
    await _fill(url, app_id, messages, first_due, window)
    server = Server(url, retention)
    await server.start()
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as s:
            client = Client(s, server.api)
            await reset(s, receiver)
            await post_many(client, app_id, 200, 16)  # warm-up
            await wait_count(s, receiver, 200, 60)
            await asyncio.sleep(max(0.0, first_due - time.time()))
            await reset(s, receiver)
            start = time.time()
            await post_many(client, app_id, messages, concurrency)
            done = await wait_count(s, receiver, messages, 600)
            assert await receiver_count(s, receiver) >= messages
    finally:
        server.stop()
    left = _old_left(str(path), first_due + window - DAY + 1)
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
    recv_port = free_port()
    receiver = f"http://127.0.0.1:{recv_port}"
    recv = subprocess.Popen([sys.executable, str(HERE / "_receiver.py"), str(recv_port)])
    try:
        await wait_http(receiver + "/_stats")
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            template, app_id = await _template(folder, receiver)
            for pair in range(pairs):
                order = (False, True) if pair % 2 == 0 else (True, False)
                for retention in order:
                    # the old messages pass the horizon over most of the time the traffic took without
                    # retention, so that a pass a second has deleted them all by the end of the run
                    first_off = next((r.seconds for r in results if not r.retention), messages / 4000)
                    span = window or 0.7 * first_off
                    r = await one_run(
                        template, app_id, receiver, folder, retention, messages, span, concurrency
                    )
                    print(
                        f"  pair {pair + 1} retention={'on ' if retention else 'off'}: {r.delivered_per_s:7.0f} msg/s "
                        f"in {r.seconds:5.1f} s, old messages deleted {r.old_deleted:,} of {r.old_total:,}",
                        flush=True,
                    )
                    results.append(r)
    finally:
        recv.terminate()
        recv.wait()
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
