"""Retention over a simulated month: database size and delivery throughput with a 1-day horizon.

A steady stream of messages (each to two endpoints) is accepted, claimed and recorded as delivered
through the store itself, hour after simulated hour, on a clock this script moves: nothing waits,
so a month takes minutes. Every few simulated hours the retention pass runs on the same clock (1-day
message horizon; payloads keep Svix's default 90 days unless --payload-hours says less). A second
run without retention is the baseline.

Two ways to deliver, and two ways to run the pass:

- ``--deliver store`` (default) records every delivery as a success without sending it: only the
  database's work is measured, the harshest case for retention, whose work is all database work.
  ``--deliver http`` signs and POSTs each delivery through the worker's own ``Sender`` to a local
  receiver (``bench/_receiver.py``), at most ``max_in_flight`` at once, and records the answer.
- By default the pass runs in line with the traffic, so its whole cost adds to the measured time.
  ``--alongside`` runs it as the worker does, as a task beside delivery with the usual pause between
  batches; each lane's hour ends only once its pass is over, so the pass never runs in the other
  lane's time.

Targets (issue 24): database size flat after the first day (within 20 %), and throughput with
retention at least 90 % of throughput without it. Nothing here is asserted; it prints a table and,
with --markdown, a file for bench/results/.

    python bench/retention.py                               # SQLite, 30 days, 1,000 messages per hour
    python bench/retention.py --backend postgres --postgres postgresql://postgres@127.0.0.1:5432/test
    python bench/retention.py --days 30 --per-hour 1000 --markdown bench/results/retention.md
    python bench/retention.py --deliver http --alongside    # as a worker runs: sent over HTTP, pass beside
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from _delivered import delivered  # noqa: E402  (bench/, the script's own folder)

from hookline.config import DeliverySettings, parse_networks  # noqa: E402
from hookline.delivery.sender import Sender  # noqa: E402
from hookline.ids import new_id  # noqa: E402
from hookline.ops.retention import RetentionReport, RetentionRunner  # noqa: E402
from hookline.opsconfig import RetentionSettings  # noqa: E402
from hookline.store import retention as retention_sql  # noqa: E402
from hookline.store.records import (  # noqa: E402
    Application,
    Attempt,
    Claim,
    Endpoint,
    Message,
    MessageStatus,
    NewMessage,
    Outcome,
)
from hookline.store.store import Store  # noqa: E402

HOUR = 3600.0
DAY = 86400.0
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BATCH = 250  # messages per accept, as the API's group commit makes them under load


@dataclass
class Sample:
    """One simulated day: size at its end, and the wall time its traffic and retention took."""

    day: int
    size_bytes: int
    messages: int
    traffic_seconds: float
    retention_seconds: float
    rows_deleted: int = 0

    @property
    def throughput(self) -> float:
        """Messages accepted and delivered (to two endpoints) per wall-clock second, retention included."""
        return self.messages / (self.traffic_seconds + self.retention_seconds)


@dataclass
class Run:
    backend: str
    retention: bool
    samples: list[Sample] = field(default_factory=list)


async def _schema(url: str) -> tuple[str, str]:
    """A fresh PostgreSQL schema for one run; returns (name, URL using it)."""
    import asyncpg

    name = "hl_bench_" + secrets.token_hex(4)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"CREATE SCHEMA {name}")
    finally:
        await conn.close()
    sep = "&" if "?" in url else "?"
    return name, f"{url}{sep}schema={name}"


async def _drop_schema(url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"DROP SCHEMA {name} CASCADE")
    finally:
        await conn.close()


async def _send_all(sender: Sender, claims: list[Claim], now: float) -> list[Outcome]:
    """Sign and POST every claim at once (a claim holds at most max_in_flight); one outcome each."""
    results = await asyncio.gather(
        *(sender.send(c.url, c.msg_id, c.secrets, c.payload, c.headers) for c in claims)
    )
    outcomes = []
    for c, r in zip(claims, results, strict=True):
        status = MessageStatus.SUCCESS if r.ok else MessageStatus.FAIL
        attempt = Attempt(
            new_id("atmpt", now), c.msg_id, c.endpoint_id, c.app_id, c.url, status, r.status_code, r.body,
            r.duration_ms, c.trigger, now, r.request_headers, r.response_headers,
        )  # fmt: skip
        outcomes.append(Outcome(attempt, None if r.ok else now + 60.0))
    return outcomes


async def accept_and_deliver(
    store: Store,
    app_id: str,
    start: float,
    count: int,
    payload: str,
    expiry: float,
    sender: Sender | None,
    span: float = HOUR,
) -> None:
    """Accept ``count`` messages created over the ``span`` seconds (simulated) from ``start``; deliver every
    one, through ``sender`` or, without one, recorded as delivered."""
    step = span / count
    claim_size = sender.settings.max_in_flight if sender is not None else 1000
    for first in range(0, count, BATCH):
        items = []
        for i in range(first, min(count, first + BATCH)):
            at = start + i * step
            m = Message(
                new_id("msg", at), app_id, "user.created", payload, created_at=at, expires_at=at + expiry
            )
            items.append(NewMessage(m))
        await store.accept_messages(items)
        now = start + min(count, first + BATCH) * step
        while claims := await store.claim(claim_size, 60.0, now=now):
            outcomes = await _send_all(sender, claims, now) if sender is not None else delivered(claims, now)
            await store.complete(outcomes, 5 * DAY)


class Lane:
    """One database on the simulated clock, with or without the retention pass."""

    def __init__(
        self,
        url: str,
        backend: str,
        with_retention: bool,
        t0: float,
        payload_hours: float,
        pass_every: int,
        receiver: str | None = None,
        alongside: bool = False,
    ) -> None:
        self.url = url
        self.receiver = receiver  # base URL of the local receiver with --deliver http
        self.alongside = alongside
        self.sender: Sender | None = None
        self.run = Run(backend, with_retention)
        self.t0 = t0
        self.payload_hours = payload_hours
        self.pass_every = pass_every  # simulated hours between retention passes
        self.clock = [t0]
        self.store: Store | None = None
        self.app: Application | None = None
        self.runner: RetentionRunner | None = None
        self.payload = json.dumps({"type": "user.created", "data": {"id": "user_x", "pad": "x" * 400}})
        self.traffic = self.spent = 0.0
        self.deleted = 0

    async def open(self) -> None:
        self.store = store = await Store.connect(self.url)
        t0 = self.t0
        self.app = await store.create_app(Application(new_id("app", t0), "bench", None, None, {}, t0, t0))
        for n in range(2):
            ep = Endpoint(
                new_id("ep", t0),
                self.app.id,
                url=f"{self.receiver}/hook{n}" if self.receiver else f"https://receiver{n}.example/hook",
                created_at=t0,
                updated_at=t0,
            )
            await store.create_endpoint(ep, SECRET)
        if self.receiver:
            self.sender = Sender(DeliverySettings(allowed_targets=parse_networks("127.0.0.0/8")))
            await self.sender.open()
        if self.run.retention:
            # beside the traffic, batches pause as in the worker so waiting writers get the lock first
            pause = RetentionSettings().pause_seconds if self.alongside else 0.0
            self.runner = RetentionRunner(
                store.db, RetentionSettings(days=1.0, pause_seconds=pause),
                idempotency_seconds=DAY, clock=lambda: self.clock[0], sleep=asyncio.sleep,
            )  # fmt: skip

    async def hour(self, start: float, per_hour: int) -> None:
        """One simulated hour of traffic with, every ``pass_every`` hours, a retention pass: at the hour's
        end in line, or from its start beside the traffic with ``--alongside``."""
        assert self.store is not None and self.app is not None
        due = self.runner is not None and round((start + HOUR - self.t0) / HOUR) % self.pass_every == 0
        beside: asyncio.Task[RetentionReport | None] | None = None
        if due and self.alongside:
            assert self.runner is not None
            self.clock[0] = start
            beside = asyncio.create_task(self.runner.run_once())
        began = time.perf_counter()
        await accept_and_deliver(
            self.store, self.app.id, start, per_hour, self.payload, self.payload_hours * HOUR, self.sender
        )
        self.traffic += time.perf_counter() - began
        if due:
            assert self.runner is not None
            began = time.perf_counter()
            if beside is None:
                self.clock[0] = start + HOUR
                report = await self.runner.run_once()
            else:
                report = await beside  # what is left of the pass once the hour's traffic is done
            self.spent += time.perf_counter() - began
            if report is not None:
                self.deleted += report.messages + report.dispatches + report.attempts

    async def end_of_day(self, day: int, per_hour: int) -> None:
        assert self.store is not None
        size = await retention_sql.database_bytes(self.store.db) or 0
        self.run.samples.append(Sample(day, size, 24 * per_hour, self.traffic, self.spent, self.deleted))
        print(
            f"  {self.run.backend:8} retention={'on ' if self.run.retention else 'off'} day {day:2}: "
            f"{size / 1e6:8.1f} MB  {self.run.samples[-1].throughput:7.0f} msg/s  "
            f"(retention {self.spent:5.1f} s, {self.deleted} rows)",
            flush=True,
        )
        self.traffic = self.spent = 0.0
        self.deleted = 0

    async def close(self) -> None:
        if self.sender is not None:
            await self.sender.close()
        if self.store is not None:
            await self.store.close()


def _start_receiver() -> tuple[subprocess.Popen[bytes], str]:
    """The benchmark receiver in its own process; returns it with its base URL once it answers."""
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "_receiver.py"), str(port)])
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/_stats", timeout=1).read()
            return proc, base
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the benchmark receiver did not start")


async def bench(
    backend: str,
    pg: str,
    days: int,
    per_hour: int,
    payload_hours: float,
    pass_every: int,
    deliver: str = "store",
    alongside: bool = False,
) -> list[Run]:
    """Both lanes, hour by hour in turn, so whatever else the machine does slows both alike."""
    t0 = time.time() + DAY  # ahead of the wall clock, so every simulated message is due when simulated
    schemas: list[str] = []
    receiver, base = _start_receiver() if deliver == "http" else (None, None)
    with tempfile.TemporaryDirectory() as tmp:
        lanes = []
        for with_retention in (True, False):
            if backend == "sqlite":
                url = f"sqlite:///{tmp}/bench-{'on' if with_retention else 'off'}.db"
            else:
                name, url = await _schema(pg)
                schemas.append(name)
            lanes.append(Lane(url, backend, with_retention, t0, payload_hours, pass_every, base, alongside))
        try:
            for lane in lanes:
                await lane.open()
            for day in range(days):
                for hour in range(24):
                    for lane in lanes if hour % 2 == 0 else reversed(lanes):
                        await lane.hour(t0 + day * DAY + hour * HOUR, per_hour)
                for lane in lanes:
                    await lane.end_of_day(day + 1, per_hour)
        finally:
            for lane in lanes:
                await lane.close()
            for name in schemas:
                await _drop_schema(pg, name)
            if receiver is not None:
                receiver.terminate()
                receiver.wait()
    return [lane.run for lane in lanes]


def summary(runs: list[Run], alongside: bool = False) -> list[str]:
    """A markdown table: per run, size after day 1 vs at the end, and median daily throughput."""
    # beside the traffic, only the wait for a pass still running when the hour's traffic was done adds time
    share = "waiting for the pass after the traffic" if alongside else "retention's share of the time"
    lines = [
        "| backend | retention | size after day 2 | size at the end | growth after day 2 "
        f"| median throughput (msg/s) | traffic alone (msg/s) | {share} |",
        "|---|---|---|---|---|---|---|---|",
    ]
    base = {r.backend: statistics.median(s.throughput for s in r.samples) for r in runs if not r.retention}
    for r in runs:
        first = r.samples[min(1, len(r.samples) - 1)].size_bytes
        last = r.samples[-1].size_bytes
        tput = statistics.median(s.throughput for s in r.samples)
        ratio = (
            f" ({tput / base[r.backend] * 100:.0f} % of without)" if r.retention and r.backend in base else ""
        )
        lines.append(
            f"| {r.backend} | {'1 day' if r.retention else 'off'} | {first / 1e6:.1f} MB | {last / 1e6:.1f} MB | "
            f"{(last / first - 1) * 100:+.0f} % | {tput:.0f}{ratio} | "
            f"{statistics.median(s.messages / s.traffic_seconds for s in r.samples):.0f} | "
            f"{sum(s.retention_seconds for s in r.samples) / sum(s.traffic_seconds + s.retention_seconds for s in r.samples) * 100:.1f} % |"
        )
    return lines


def per_day(runs: list[Run]) -> list[str]:
    lines = ["| day | " + " | ".join(f"{r.backend} {'1 day' if r.retention else 'off'}" for r in runs) + " |"]
    lines.append("|---|" + "---|" * len(runs))
    for i in range(len(runs[0].samples)):
        cells = [f"{r.samples[i].size_bytes / 1e6:.1f} MB, {r.samples[i].throughput:.0f}/s" for r in runs]
        lines.append(f"| {i + 1} | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("HOOKLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-hour", type=int, default=1000, help="messages per simulated hour")
    parser.add_argument(
        "--payload-hours", type=float, default=90 * 24,
        help="each message's payload retention in hours (default 90 days, as Svix; below 24 the pass also expunges)",
    )  # fmt: skip
    parser.add_argument(
        "--pass-every", type=int, default=6,
        help="simulated hours between retention passes (a real pass runs every minute of wall time; a simulated "
        "hour here lasts well under a second, so a pass per simulated hour would overstate its share)",
    )  # fmt: skip
    parser.add_argument(
        "--deliver", choices=("store", "http"), default="store",
        help="store: record deliveries without sending (database work only); http: sign and POST each through "
        "the worker's Sender to a local receiver",
    )  # fmt: skip
    parser.add_argument(
        "--alongside", action="store_true",
        help="run the retention pass beside the traffic, as the worker does, instead of in line with it",
    )  # fmt: skip
    parser.add_argument("--markdown", type=Path, help="also write the tables to this file")
    args = parser.parse_args()
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    runs: list[Run] = []
    for backend in backends:
        runs.extend(
            asyncio.run(
                bench(
                    backend,
                    args.postgres,
                    args.days,
                    args.per_hour,
                    args.payload_hours,
                    args.pass_every,
                    args.deliver,
                    args.alongside,
                )
            )
        )
    table = summary(runs, args.alongside)
    print("\n".join(table))
    if args.markdown:
        command = "python bench/retention.py " + " ".join(sys.argv[1:])
        text = [
            "# `bench/retention.py`: a simulated month with 1-day retention",
            "",
            f"Command: `{command}`",
            "",
            f"{args.per_hour} messages per simulated hour, each to two endpoints, accepted, claimed and recorded",
            f"as delivered ({'signed and POSTed to a local receiver' if args.deliver == 'http' else 'without sending'});"
            f" the retention pass runs every {args.pass_every} simulated hours"
            f" {'beside' if args.alongside else 'in line with'} the traffic.",
            "Throughput is messages per wall-clock second including the retention passes' time.",
            "The two databases (retention on and off) run hour by hour in turn, so the machine's other load",
            "slows both alike.",
            "",
            *table,
            "",
            "Per simulated day (size at its end, throughput over it):",
            "",
            *per_day(runs),
            "",
        ]
        args.markdown.write_text("\n".join(text))


if __name__ == "__main__":
    main()
