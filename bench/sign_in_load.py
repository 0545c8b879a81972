"""Sign-in load benchmark: does the API stay responsive while clients hammer sign-in?

Starts `hookline serve` (API and worker, SQLite) in its own process, creates a user, then for each
scenario runs 20 clients posting to `/identity/sign_in` as fast as they are answered while one
probe client times `GET /api/v1/health` every 10 ms. argon2 runs off the event loop in a bounded
pool, and the throttle answers a limited caller before any hashing: the target is a health p99
under 50 ms. It prints a table; nothing here is asserted.

Scenarios:
- idle: no sign-in load (the baseline);
- right password: every sign-in hashes and opens a session (no throttle applies to successes);
- wrong, unknown emails: every sign-in hashes (the per-address limit raised so none is refused);
- wrong, one account: the default throttle, which answers 429 before hashing once it bites.

    python bench/sign_in_load.py                # 10 s per scenario
    python bench/sign_in_load.py --seconds 5 --clients 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench_token_0123456789_abcdefghijklmn"
SECRET_KEY = "sk_test_bench_sign_in_load_0123456789"
PASSWORD = "correct horse battery staple 9"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path, port: int, failures_per_minute: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKLINE_")}
    env.update(
        HOOKLINE_DATABASE_URL=f"sqlite:///{db}",
        HOOKLINE_API_TOKEN=TOKEN,
        HOOKLINE_SECRET_KEY=SECRET_KEY,
        HOOKLINE_PORT=str(port),
        HOOKLINE_IDENTITY_FAILURES_PER_MINUTE=str(failures_per_minute),
        # BENCH_SRC runs another checkout's code (a before/after comparison)
        PYTHONPATH=os.environ.get("BENCH_SRC", str(ROOT / "src")),
    )
    return subprocess.Popen(
        [sys.executable, "-m", "hookline.cli", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )


async def wait_up(base: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(f"{base}/api/v1/health") as resp:
                    if resp.status == 204:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("hookline did not start")


async def probe(base: str, stop: asyncio.Event) -> list[float]:
    """Time GET /api/v1/health every 10 ms until ``stop``; milliseconds per request."""
    times: list[float] = []
    async with aiohttp.ClientSession() as http:
        while not stop.is_set():
            started = time.perf_counter()
            async with http.get(f"{base}/api/v1/health") as resp:
                await resp.read()
            times.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.01)
    return times


async def hammer(base: str, body: object, stop: asyncio.Event, statuses: Counter[int]) -> None:
    async with aiohttp.ClientSession() as http:
        while not stop.is_set():
            payload = body() if callable(body) else body
            async with http.post(f"{base}/identity/sign_in", json=payload) as resp:
                await resp.read()
                statuses[resp.status] += 1


async def scenario(
    base: str, clients: int, seconds: float, body: object | None
) -> tuple[list[float], Counter[int]]:
    stop = asyncio.Event()
    statuses: Counter[int] = Counter()
    probing = asyncio.create_task(probe(base, stop))
    load = [asyncio.create_task(hammer(base, body, stop, statuses)) for _ in range(clients if body else 0)]
    await asyncio.sleep(seconds)
    stop.set()
    times = await probing
    await asyncio.gather(*load)
    return times, statuses


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(clients: int, seconds: float) -> None:
    rows = []
    scenarios = [
        ("idle", 1_000_000, None),
        ("right password", 1_000_000, {"email_address": "ada@example.org", "password": PASSWORD}),
        (
            "wrong, unknown emails",
            1_000_000,
            lambda: {"email_address": f"{secrets.token_hex(6)}@example.org", "password": "wrong password"},
        ),
        ("wrong, one account", 20, {"email_address": "ada@example.org", "password": "wrong password"}),
    ]
    for name, limit, body in scenarios:
        with tempfile.TemporaryDirectory() as tmp:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            server = start_server(Path(tmp) / "bench.db", port, limit)
            try:
                await wait_up(base)
                user = {"email_address": ["ada@example.org"], "password": PASSWORD}
                async with (
                    aiohttp.ClientSession(headers={"authorization": f"Bearer {SECRET_KEY}"}) as http,
                    http.post(f"{base}/v1/users", json=user) as resp,
                ):
                    assert resp.status == 200, await resp.text()
                times, statuses = await scenario(base, clients, seconds, body)
            finally:
                server.terminate()
                server.wait(20)
        sign_ins = sum(statuses.values())
        rows.append(
            (
                name,
                f"{sign_ins / seconds:.0f}",
                " ".join(f"{k}:{v}" for k, v in sorted(statuses.items())) or "-",
                len(times),
                f"{statistics.median(times):.1f}",
                f"{pct(times, 0.95):.1f}",
                f"{pct(times, 0.99):.1f}",
                f"{max(times):.1f}",
            )
        )
    head = ("scenario", "sign-ins/s", "statuses", "probes", "p50 ms", "p95 ms", "p99 ms", "max ms")
    print(
        f"health latency with {clients} clients signing in, {seconds:g} s per scenario, {os.cpu_count()} CPUs"
    )
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    asyncio.run(run(args.clients, args.seconds))


if __name__ == "__main__":
    main()
