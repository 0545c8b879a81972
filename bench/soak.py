"""Soak: a mixed load on one `hookline serve` process for a fixed time, sampled each minute.

Everything runs on 127.0.0.1 and stops by itself: a receiver process (`tests/faults/receiver.py`),
hookline in its own process, and this script as the client. The load, for ``--minutes`` minutes:

- ingest: ``--rate`` messages a second, spread over 20 applications with one endpoint each;
- 5 % failing endpoints: one application in 20 points at a path that always answers 500, so its
  messages keep being retried (a short retry schedule keeps the retry queue busy all the time);
- reads: the dashboard (overview, message log, one application's pages) when it is served, and the
  API's message and attempt lists, a few times a second.

Each minute it samples the server's RSS, the ingest and read latencies (p50/p99) and the backlog of
deliveries not yet made. At the end it prints a table and the least-squares slope of RSS over time
(after the first minute's warm-up): a slope under ``--max-slope`` MB/min is "no growth trend".

    python bench/soak.py                      # 10 minutes, SQLite
    python bench/soak.py --minutes 2 --rate 50
    python bench/soak.py --database postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from delivery import TOKEN, Processes, rss_mb, wait_http

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
APPS = 20
FAILING = 1  # of APPS: 5 %


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys over xs."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


class SoakProcesses(Processes):
    """delivery.py's receiver and hookline processes, with the fault receiver and a short retry schedule."""

    def __init__(self, database: str, workdir: Path) -> None:
        super().__init__(database, workers=0)
        self.workdir = workdir

    def env(self) -> dict[str, str]:
        """delivery.py's environment with retries soon enough to keep the retry queue busy all the time."""
        env = super().env()
        env["HOOKLINE_RETRY_SCHEDULE"] = "1,2,5,10,20,30,30,30"
        return env

    async def start_receiver(self) -> None:
        """Start ``tests/faults/receiver.py``, whose ``/hook/500`` path never succeeds."""
        receiver = [sys.executable, str(ROOT / "tests/faults/receiver.py"), str(self.recv_port),
                    str(self.workdir), str(10**9)]  # fmt: skip
        self.procs.append(subprocess.Popen(receiver, env=self.env()))
        await wait_http(self.receiver + "/_count")


class Soak:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.processes = SoakProcesses(args.database or f"sqlite:///{workdir / 'soak.db'}", workdir)
        self.api = self.processes.api
        self.recv = self.processes.receiver
        self.ingest_ms: list[float] = []
        self.read_ms: list[float] = []
        self.errors = 0
        self.sent_ok = 0
        self.h = {"authorization": f"Bearer {TOKEN}", "content-type": "application/json"}

    async def start(self) -> subprocess.Popen[bytes]:
        await self.processes.start_receiver()
        await self.processes.start_hookline()
        assert self.processes.server is not None
        return self.processes.server

    def stop(self) -> None:
        self.processes.stop()

    async def post(self, s: aiohttp.ClientSession, path: str, body: Any) -> Any:
        async with s.post(self.api + path, data=json.dumps(body), headers=self.h) as r:
            if r.status >= 300:
                raise RuntimeError(f"{path}: {r.status} {await r.text()}")
            return await r.json()

    async def setup(self, s: aiohttp.ClientSession) -> list[str]:
        apps = []
        for i in range(APPS):
            app = await self.post(s, "/api/v1/app", {"name": f"soak {i}"})
            path = "/hook/500" if i < FAILING else "/hook/ok"
            await self.post(s, f"/api/v1/app/{app['id']}/endpoint", {"url": self.recv + path})
            apps.append(app["id"])
        return apps

    async def ingest(self, s: aiohttp.ClientSession, apps: list[str], until: float) -> None:
        interval = 1.0 / self.args.rate
        n = 0
        start = time.perf_counter()
        pending: set[asyncio.Task[None]] = set()

        async def one(i: int) -> None:
            t0 = time.perf_counter()
            try:
                await self.post(s, f"/api/v1/app/{apps[i % APPS]}/msg",
                                {"eventType": "user.created", "payload": {"i": i, "pad": "x" * 500}})  # fmt: skip
                self.sent_ok += 1
            except Exception:
                self.errors += 1
            self.ingest_ms.append((time.perf_counter() - t0) * 1000)

        while time.time() < until:
            delay = start + n * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(n))
            pending.add(task)
            task.add_done_callback(pending.discard)
            n += 1
        await asyncio.gather(*pending)

    async def reads(self, s: aiohttp.ClientSession, apps: list[str], until: float, dashboard: bool) -> None:
        paths = [f"/api/v1/app/{apps[1]}/msg?limit=50", f"/api/v1/app/{apps[0]}/attempt/endpoint/"]
        async with s.get(f"{self.api}/api/v1/app/{apps[0]}/endpoint", headers=self.h) as r:
            ep0 = (await r.json())["data"][0]["id"]
        paths[1] += ep0
        if dashboard:
            paths += ["/dashboard/", "/dashboard/messages", f"/dashboard/app/{apps[1]}",
                      f"/dashboard/app/{apps[0]}/endpoint/{ep0}"]  # fmt: skip
        i = 0
        while time.time() < until:
            t0 = time.perf_counter()
            try:
                async with s.get(self.api + paths[i % len(paths)], headers=self.h) as r:
                    await r.read()
                    if r.status >= 400:
                        self.errors += 1
            except aiohttp.ClientError:
                self.errors += 1
            self.read_ms.append((time.perf_counter() - t0) * 1000)
            i += 1
            await asyncio.sleep(1.0 / self.args.read_rate)

    async def sign_in(self, s: aiohttp.ClientSession) -> bool:
        async with s.get(self.api + "/dashboard/sign-in") as r:
            if r.status == 404:
                return False
        async with s.post(self.api + "/dashboard/sign-in", data={"token": TOKEN, "next": "/dashboard/"},
                          allow_redirects=False) as r:  # fmt: skip
            return r.status == 303

    async def run(self) -> list[dict[str, float]]:
        server = await self.start()
        rows: list[dict[str, float]] = []
        jar = aiohttp.CookieJar(unsafe=True)
        try:
            async with aiohttp.ClientSession(cookie_jar=jar, connector=aiohttp.TCPConnector(limit=64)) as s:
                apps = await self.setup(s)
                dashboard = await self.sign_in(s)
                t0 = time.time()
                until = t0 + self.args.minutes * 60
                load = asyncio.gather(self.ingest(s, apps, until), self.reads(s, apps, until, dashboard))
                for minute in range(1, self.args.minutes + 1):
                    await asyncio.sleep(max(0.0, t0 + minute * 60 - time.time()))
                    async with s.get(self.recv + "/_count") as r:
                        delivered = (await r.json(content_type=None))["count"]
                    ok_sent = self.sent_ok - self.sent_ok * FAILING // APPS
                    rows.append({
                        "minute": minute, "rss_mb": rss_mb(server.pid), "sent": self.sent_ok,
                        "ingest_p50": pct(self.ingest_ms, 0.5), "ingest_p99": pct(self.ingest_ms, 0.99),
                        "read_p50": pct(self.read_ms, 0.5), "read_p99": pct(self.read_ms, 0.99),
                        "backlog": max(0, ok_sent - delivered), "errors": self.errors,
                    })  # fmt: skip
                    self.ingest_ms, self.read_ms = [], []
                    print(json.dumps(rows[-1]), flush=True)
                await load
                self.dashboard = dashboard
        finally:
            self.stop()
        return rows


def print_table(rows: list[dict[str, float]], max_slope: float, dashboard: bool, rate: int) -> None:
    print(f"\nsoak: {rate} msg/s over {APPS} apps ({FAILING * 100 // APPS} % failing endpoints), "
          f"reads of the API{' and the dashboard' if dashboard else ''}\n")  # fmt: skip
    print("| minute | RSS MB | messages sent | ingest p50 ms | ingest p99 ms | read p50 ms | read p99 ms "
          "| backlog | errors |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['minute']:.0f} | {r['rss_mb']:.1f} | {r['sent']:.0f} | {r['ingest_p50']:.1f} | "
              f"{r['ingest_p99']:.1f} | {r['read_p50']:.1f} | {r['read_p99']:.1f} | {r['backlog']:.0f} | "
              f"{r['errors']:.0f} |")  # fmt: skip
    steady = rows[1:] if len(rows) > 2 else rows
    s = slope([r["minute"] for r in steady], [r["rss_mb"] for r in steady])
    verdict = "no growth trend" if s < max_slope else "memory grows"
    print(f"\nRSS slope after the first minute: {s:+.2f} MB/min ({verdict}; threshold {max_slope} MB/min)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=int, default=10)
    ap.add_argument("--rate", type=int, default=100, help="messages per second")
    ap.add_argument("--read-rate", type=float, default=5, help="reads per second")
    ap.add_argument("--database", default=None, help="database URL (default: a fresh SQLite file)")
    ap.add_argument("--max-slope", type=float, default=0.5, help="MB/min under which RSS is flat")
    args = ap.parse_args(argv)
    args.minutes = max(1, min(args.minutes, 60))
    with tempfile.TemporaryDirectory(prefix="hookline-soak-") as tmp:
        soak = Soak(args, Path(tmp))
        rows = asyncio.run(soak.run())
        print_table(rows, args.max_slope, getattr(soak, "dashboard", False), args.rate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
