"""Delivery benchmark: throughput, latency, fan-out and memory of one `hookline serve` process.

Everything runs on 127.0.0.1: a receiver process answering 200, hookline in its own process, and
this script as the API client. It prints a table; nothing here is asserted.

    python bench/delivery.py                      # SQLite, full sizes (about 3 minutes)
    python bench/delivery.py --quick              # smaller sizes
    python bench/delivery.py --only noisy         # a tarpit, failing or slow endpoint beside a healthy one
    python bench/delivery.py --database postgresql://postgres@127.0.0.1:5432/test
    python bench/delivery.py --workers 2 --database postgresql://…   # API-only server + 2 workers

With ``--workers N`` the memory scenario measures the worker processes draining the backlog (the
API process stays up, idle): the delivery capacity of N workers.

On PostgreSQL each scenario runs in a fresh schema of the given database, dropped afterwards, as
each SQLite scenario gets a fresh file (unless the URL names a ``schema=`` itself).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _noisy
import aiohttp

HERE = Path(__file__).resolve().parent
TOKEN = "bench_token_0123456789_abcdefghijklmn"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (Linux)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used so far, in seconds (Linux)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> dict[int, float]:
    """CPU seconds of every local PostgreSQL server process, by pid (the database shares the cores)."""
    out: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    if f.read().strip() == "postgres":
                        out[int(entry)] = cpu_seconds(int(entry))
            except OSError:
                continue  # the process ended
    return out


class CpuMeter:
    """CPU seconds used by named processes (and this one) between ``start()`` and ``stop()``."""

    def __init__(self, pids: dict[str, int], postgres: bool = False) -> None:
        self.pids = pids
        self.postgres = postgres
        self.used: dict[str, float] = {}

    def _read(self) -> tuple[dict[str, float], dict[int, float]]:
        out = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        t = os.times()
        out["client"] = t.user + t.system
        return out, postgres_cpu_seconds() if self.postgres else {}

    def start(self) -> None:
        self._start = self._read()

    def stop(self) -> dict[str, float]:
        end, pg_end = self._read()
        start, pg_start = self._start
        self.used = {name: end[name] - start[name] for name in end}
        if self.postgres:
            self.used["postgres"] = sum(v - pg_start.get(pid, 0.0) for pid, v in pg_end.items())
        return self.used


async def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    async with aiohttp.ClientSession() as s:
        while time.time() < deadline:
            try:
                async with s.get(url) as r:
                    if r.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


class Processes:
    """Starts and stops the receiver and hookline processes of one scenario."""

    def __init__(self, database: str, workers: int) -> None:
        self.database = database
        self.workers = workers
        self.procs: list[subprocess.Popen[bytes]] = []
        self.recv_port = free_port()
        self.port = free_port()
        self.server: subprocess.Popen[bytes] | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def receiver(self) -> str:
        return f"http://127.0.0.1:{self.recv_port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            HOOKLINE_API_TOKEN=TOKEN,
            HOOKLINE_ALLOWED_TARGETS="127.0.0.0/8",
            HOOKLINE_DATABASE_URL=self.database,
        )
        return env

    async def start_receiver(self) -> None:
        self.procs.append(subprocess.Popen([sys.executable, str(HERE / "_receiver.py"), str(self.recv_port)]))
        await wait_http(self.receiver + "/_stats")

    async def start_hookline(self, worker_in_server: bool = True) -> None:
        args = [sys.executable, "-m", "hookline.cli", "serve", "--port", str(self.port)]
        if self.workers or not worker_in_server:
            args.append("--no-worker")
        self.server = subprocess.Popen(args, env=self.env(), stdout=subprocess.DEVNULL)
        self.procs.append(self.server)
        await wait_http(self.api + "/api/v1/health")
        if worker_in_server:
            for _ in range(self.workers):
                self.procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "hookline.cli", "worker"],
                        env=self.env(),
                        stdout=subprocess.DEVNULL,
                    )
                )

    def stop_hookline(self) -> None:
        for p in self.procs[1:]:
            p.terminate()
        for p in self.procs[1:]:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        self.procs = self.procs[:1]

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


class Client:
    def __init__(self, session: aiohttp.ClientSession, api: str) -> None:
        self.s = session
        self.api = api
        self.h = {"authorization": f"Bearer {TOKEN}", "content-type": "application/json"}

    async def post(self, path: str, body: Any) -> dict[str, Any]:
        async with self.s.post(self.api + path, data=json.dumps(body), headers=self.h) as r:
            if r.status >= 300:
                raise RuntimeError(f"{path}: {r.status} {await r.text()}")
            return await r.json()

    async def get(self, path: str) -> dict[str, Any]:
        async with self.s.get(self.api + path, headers=self.h) as r:
            if r.status >= 300:
                raise RuntimeError(f"{path}: {r.status} {await r.text()}")
            return await r.json()

    async def setup(self, receiver: str, endpoints: int = 1, uid: str = "bench") -> str:
        app = await self.post("/api/v1/app?get_if_exists=true", {"name": uid, "uid": uid})
        for i in range(endpoints):
            await self.post(f"/api/v1/app/{app['id']}/endpoint", {"url": f"{receiver}/hook/{i}"})
        return app["id"]


def payload_1kb(i: int) -> dict[str, Any]:
    return {
        "type": "user.created",
        "object": "event",
        "seq": i,
        "data": {"id": f"user_{i:012d}", "pad": "x" * 900},
    }


async def receiver_count(session: aiohttp.ClientSession, receiver: str) -> int:
    async with session.get(receiver + "/_stats") as r:
        return (await r.json())["count"]


async def reset(session: aiohttp.ClientSession, receiver: str) -> None:
    async with session.post(receiver + "/_reset") as r:
        await r.read()


async def post_many(client: Client, app_id: str, n: int, concurrency: int) -> list[tuple[str, float]]:
    """Post n messages with bounded concurrency; return (msg id, answered-at) pairs."""
    queue = iter(range(n))
    answered: list[tuple[str, float]] = []

    async def one_worker() -> None:
        for i in queue:
            out = await client.post(
                f"/api/v1/app/{app_id}/msg", {"eventType": "user.created", "payload": payload_1kb(i)}
            )
            answered.append((out["id"], time.time()))

    await asyncio.gather(*(one_worker() for _ in range(concurrency)))
    return answered


async def wait_count(session: aiohttp.ClientSession, receiver: str, n: int, timeout: float) -> float:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if await receiver_count(session, receiver) >= n:
            return time.time()
        await asyncio.sleep(0.02)
    raise RuntimeError(
        f"only {await receiver_count(session, receiver)} of {n} delivered within {timeout:.0f} s"
    )


async def bare_aiohttp(receiver: str, n: int, concurrency: int) -> float:
    """The ceiling: POST the same bodies straight at the receiver with one aiohttp session."""
    body = json.dumps(payload_1kb(0)).encode()
    queue = iter(range(n))
    async with aiohttp.ClientSession() as s:
        start = time.time()

        async def one() -> None:
            for i in queue:
                async with s.post(f"{receiver}/ceiling", data=body, headers={"webhook-id": f"c{i}"}) as r:
                    await r.read()

        await asyncio.gather(*(one() for _ in range(concurrency)))
        return n / (time.time() - start)


async def scenario_throughput(args: argparse.Namespace, results: dict[str, Any]) -> None:
    p = Processes(args.database, args.workers)
    await p.start_receiver()
    await p.start_hookline()
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as s:
            c = Client(s, p.api)
            app_id = await c.setup(p.receiver, uid=f"tp{int(time.time())}")
            await post_many(c, app_id, 200, 16)  # warm-up
            await wait_count(s, p.receiver, 200, 60)
            meter = CpuMeter({"receiver": p.procs[0].pid})
            meter.start()
            ceiling = await bare_aiohttp(p.receiver, args.messages, args.concurrency)
            bare_cpu = meter.stop()
            await reset(s, p.receiver)
            meter = CpuMeter(
                {"receiver": p.procs[0].pid, **{f"hookline{i}": q.pid for i, q in enumerate(p.procs[1:])}},
                postgres=args.database.startswith("postgres"),
            )
            meter.start()
            start = time.time()
            await post_many(c, app_id, args.messages, args.concurrency)
            accepted_at = time.time()
            done = await wait_count(s, p.receiver, args.messages, 600)
            used = meter.stop()
            rate = args.messages / (done - start)
            results["throughput"] = {
                "messages": args.messages,
                "ingest_per_s": args.messages / (accepted_at - start),
                "delivered_per_s": rate,
                "bare_aiohttp_per_s": ceiling,
                "ratio": rate / ceiling,
                # CPU microseconds per message, by process: where the two cores went
                "cpu_us": {k: v / args.messages * 1e6 for k, v in used.items()},
                "bare_cpu_us": {k: v / args.messages * 1e6 for k, v in bare_cpu.items()},
                "cores_busy": sum(used.values()) / (done - start),
            }
    finally:
        p.stop()


async def scenario_latency(args: argparse.Namespace, results: dict[str, Any]) -> None:
    p = Processes(args.database, args.workers)
    await p.start_receiver()
    await p.start_hookline()
    try:
        async with aiohttp.ClientSession() as s:
            c = Client(s, p.api)
            app_id = await c.setup(p.receiver, uid=f"lat{int(time.time())}")
            await post_many(c, app_id, 50, 4)
            await wait_count(s, p.receiver, 50, 30)
            await reset(s, p.receiver)
            answered: dict[str, float] = {}
            requested: dict[str, float] = {}
            interval = 1.0 / args.rate
            start = time.perf_counter()
            tasks = []

            async def send_one(i: int) -> None:
                sent = time.time()
                out = await c.post(
                    f"/api/v1/app/{app_id}/msg", {"eventType": "user.created", "payload": payload_1kb(i)}
                )
                answered[out["id"]] = time.time()
                requested[out["id"]] = sent

            for i in range(args.latency_messages):
                delay = start + i * interval - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(send_one(i)))
            await asyncio.gather(*tasks)
            await wait_count(s, p.receiver, args.latency_messages, 60)
            async with s.get(p.receiver + "/_arrivals") as r:
                arrivals = json.loads(await r.text())
            delivered = [k for k in answered if k + "/hook/0" in arrivals]
            # the webhook may reach the receiver before the client has read the API's answer: 0 then
            lat = sorted(max(0.0, arrivals[k + "/hook/0"] - answered[k]) * 1000 for k in delivered)
            whole = sorted((arrivals[k + "/hook/0"] - requested[k]) * 1000 for k in delivered)
            results["latency"] = {
                "rate": args.rate,
                "messages": len(lat),
                "p50_ms": statistics.median(lat),
                "p99_ms": lat[int(len(lat) * 0.99) - 1],
                "max_ms": lat[-1],
                "before_answer": sum(1 for k in delivered if arrivals[k + "/hook/0"] < answered[k])
                / len(lat),
                "request_p50_ms": statistics.median(whole),
                "request_p99_ms": whole[int(len(whole) * 0.99) - 1],
            }
    finally:
        p.stop()


async def scenario_fanout(args: argparse.Namespace, results: dict[str, Any]) -> None:
    p = Processes(args.database, args.workers)
    await p.start_receiver()
    await p.start_hookline()
    try:
        async with aiohttp.ClientSession() as s:
            c = Client(s, p.api)
            app_id = await c.setup(p.receiver, endpoints=args.fanout, uid=f"fan{int(time.time())}")
            await reset(s, p.receiver)
            start = time.time()
            await c.post(
                f"/api/v1/app/{app_id}/msg", {"eventType": "user.created", "payload": payload_1kb(0)}
            )
            done = await wait_count(s, p.receiver, args.fanout, 60)
            results["fanout"] = {"endpoints": args.fanout, "seconds": done - start}
    finally:
        p.stop()


async def scenario_memory(args: argparse.Namespace, results: dict[str, Any]) -> None:
    p = Processes(args.database, args.workers)
    await p.start_receiver()
    await p.start_hookline(worker_in_server=False)  # API only: the backlog builds up
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as s:
            c = Client(s, p.api)
            app_id = await c.setup(p.receiver, uid=f"mem{int(time.time())}")
            await reset(s, p.receiver)
            t0 = time.time()
            await post_many(c, app_id, args.backlog, args.concurrency)
            ingest = time.time() - t0
            p.stop_hookline()
            await p.start_hookline()  # with its worker (or the --workers N processes): drains the backlog
            assert p.server is not None
            # the processes that deliver: the server's own worker, or the worker processes
            delivering = [q.pid for q in p.procs[2:]] if args.workers else [p.server.pid]
            peak = 0.0
            meter = CpuMeter(
                {"receiver": p.procs[0].pid, **{f"hookline{i}": q.pid for i, q in enumerate(p.procs[1:])}},
                postgres=args.database.startswith("postgres"),
            )
            meter.start()
            start = time.time()
            while await receiver_count(s, p.receiver) < args.backlog:
                peak = max(peak, *(rss_mb(pid) for pid in delivering))
                if time.time() - start > 900:
                    raise RuntimeError("backlog did not drain in 15 minutes")
                await asyncio.sleep(0.2)
            took = time.time() - start
            used = meter.stop()
            results["memory"] = {
                "backlog": args.backlog,
                "ingest_per_s": args.backlog / ingest,
                "drain_per_s": args.backlog / took,
                "peak_rss_mb": peak,
                "drain_cpu_us": sum(used.values()) / args.backlog * 1e6,
                "drain_cores_busy": sum(used.values()) / took,
            }
            if args.database.startswith("postgres"):
                await asyncio.sleep(1)  # the last outcomes are recorded after their sends
                results["memory"]["outcome_batches"] = await outcome_batches(args.database)
    finally:
        p.stop()


async def scenario_noisy(args: argparse.Namespace, results: dict[str, Any]) -> None:
    await _noisy.scenario_noisy(args, results, sys.modules[__name__])


async def outcome_batches(database: str) -> int:
    """How many statements recorded the attempts (PostgreSQL): one transaction id each."""
    import asyncpg

    from hookline.store.postgres import parse_url

    dsn, schema = parse_url(database)
    conn = await asyncpg.connect(dsn)
    try:
        table = f'"{schema}".attempts' if schema else "attempts"
        return int(await conn.fetchval(f"SELECT count(DISTINCT xmin::text) FROM {table}"))
    finally:
        await conn.close()


def print_table(results: dict[str, Any], args: argparse.Namespace) -> None:
    backend = args.database.split(":", 1)[0]
    rows = [
        ("backend", backend + (f" + {args.workers} worker processes" if args.workers else ", one process"))
    ]
    if "throughput" in results:
        t = results["throughput"]
        rows += [
            (f"end-to-end delivery, {t['messages']} msgs", f"{t['delivered_per_s']:.0f} msg/s"),
            ("ingest (API answers)", f"{t['ingest_per_s']:.0f} msg/s"),
            ("bare aiohttp POST loop, same receiver", f"{t['bare_aiohttp_per_s']:.0f} req/s"),
            ("hookline / bare aiohttp", f"{t['ratio'] * 100:.0f} %"),
        ]
        hook_us = sum(v for k, v in t["cpu_us"].items() if k.startswith("hookline"))
        rows += [
            ("CPU per message: hookline", f"{hook_us:.0f} µs"),
            (
                "CPU per message: receiver / API client",
                f"{t['cpu_us']['receiver']:.0f} / {t['cpu_us']['client']:.0f} µs",
            ),
            (
                "CPU per request, bare loop: receiver / client",
                f"{t['bare_cpu_us']['receiver']:.0f} / {t['bare_cpu_us']['client']:.0f} µs",
            ),
            *(
                [("CPU per message: PostgreSQL server", f"{t['cpu_us']['postgres']:.0f} µs")]
                if "postgres" in t["cpu_us"]
                else []
            ),
            ("cores busy during the hookline run", f"{t['cores_busy']:.2f} of {os.cpu_count()}"),
        ]
    if "latency" in results:
        lat = results["latency"]
        rows += [
            (f"latency at {lat['rate']} msg/s, p50", f"{lat['p50_ms']:.1f} ms"),
            ("latency p99", f"{lat['p99_ms']:.1f} ms"),
            ("arrived before the client read the answer", f"{lat['before_answer'] * 100:.0f} %"),
            (
                "from the API request to the receiver, p50 / p99",
                f"{lat['request_p50_ms']:.1f} / {lat['request_p99_ms']:.1f} ms",
            ),
        ]
    if "fanout" in results:
        f = results["fanout"]
        rows.append((f"fan-out to {f['endpoints']} endpoints", f"{f['seconds'] * 1000:.0f} ms"))
    if "memory" in results:
        m = results["memory"]
        rows += [
            (
                f"backlog of {m['backlog']}: peak RSS while draining"
                + (" (largest worker)" if args.workers else ""),
                f"{m['peak_rss_mb']:.0f} MB",
            ),
            ("backlog drain rate", f"{m['drain_per_s']:.0f} msg/s"),
            (
                "draining: CPU per message, all processes / cores busy",
                f"{m['drain_cpu_us']:.0f} µs / {m['drain_cores_busy']:.2f} of {os.cpu_count()}",
            ),
            *(
                [("draining: statements recording outcomes", f"{m['outcome_batches']}")]
                if "outcome_batches" in m
                else []
            ),
        ]
    rows += _noisy.table_rows(results)
    width = max(len(r[0]) for r in rows)
    print(f"| {'measure':<{width}} | result |")
    print(f"|{'-' * (width + 2)}|--------|")
    for name, value in rows:
        print(f"| {name:<{width}} | {value} |")


async def in_fresh_schema(
    url: str, schema: str, args: argparse.Namespace, scenario: Any, results: dict[str, Any]
) -> None:
    """Run a scenario with hookline's tables in a new schema of the PostgreSQL database, dropped afterwards."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"')
        args.database = url + ("&" if "?" in url else "?") + f"schema={schema}"
        await scenario(args, results)
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--database",
        default=None,
        help="database URL (default: a fresh SQLite file; PostgreSQL: a fresh schema)",
    )
    ap.add_argument(
        "--workers", type=int, default=0, help="run the API with --no-worker and N `hookline worker`s"
    )
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--rate", type=int, default=100)
    ap.add_argument("--latency-messages", type=int, default=1000)
    ap.add_argument("--fanout", type=int, default=500)
    ap.add_argument("--backlog", type=int, default=100_000)
    ap.add_argument(
        "--only", default="throughput,latency,fanout,memory", help="or noisy (see bench/_noisy.py)"
    )
    ap.add_argument("--noisy-modes", default="none,tarpit,error,slow")
    ap.add_argument("--noisy-messages", type=int, default=10_000)
    ap.add_argument("--healthy-rate", type=int, default=200)
    ap.add_argument("--healthy-seconds", type=float, default=30.0)
    ap.add_argument(
        "--healthy-wait", type=float, default=120.0, help="seconds to wait for the last healthy webhook"
    )
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    ap.add_argument("--json", dest="json_out", default=None, help="also write the results to this JSON file")
    args = ap.parse_args(argv)
    if args.quick:
        args.messages, args.latency_messages, args.fanout, args.backlog = 2000, 200, 100, 5000
        args.noisy_messages, args.healthy_seconds = 2000, 10.0
    tmp = tempfile.mkdtemp(prefix="hookline-bench-")
    given = args.database
    results: dict[str, Any] = {}
    for name in args.only.split(","):
        scenario = {"throughput": scenario_throughput, "latency": scenario_latency, "fanout": scenario_fanout,
                    "memory": scenario_memory, "noisy": scenario_noisy}[name]  # fmt: skip
        if given is None:
            args.database = f"sqlite:///{tmp}/{name}.db"
            asyncio.run(scenario(args, results))
        elif given.startswith("postgres") and "schema=" not in given:
            # like the fresh SQLite file: earlier runs' rows and dead row versions would skew this one
            asyncio.run(in_fresh_schema(given, f"bench_{name}_{os.getpid()}", args, scenario, results))
        else:
            asyncio.run(scenario(args, results))
    args.database = given or "sqlite"
    print_table(results, args)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
