"""hookline's delivery HTTP client against aiohttp's: webhook POSTs to a local receiver, same bodies.

    python bench/http_client.py                    # 20,000 POSTs per client, 64 at a time
    python bench/http_client.py --requests 5000 --concurrency 16

The receiver is bench/_receiver.py on 127.0.0.1 in its own process; this process is the client.
Each client runs twice, alternating, and the better run counts (the machine is shared). Prints
requests per second and this process's CPU per request; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from delivery import free_port, payload_1kb, wait_http  # noqa: E402
from hookline.delivery.http import HttpClient  # noqa: E402

Post = Callable[[int], Awaitable[None]]


async def _loopback(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


async def measure(post: Post, n: int, concurrency: int) -> tuple[float, float]:
    """(requests per second, CPU microseconds of this process per request) for ``n`` POSTs."""
    queue = iter(range(n))

    async def one() -> None:
        for i in queue:
            await post(i)

    cpu, start = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one() for _ in range(concurrency)))
    took = time.perf_counter() - start
    return n / took, (time.process_time() - cpu) / n * 1e6


async def run(receiver: str, n: int, concurrency: int) -> dict[str, tuple[float, float]]:
    body = json.dumps(payload_1kb(0)).encode()
    headers = {"content-type": "application/json", "webhook-id": "msg_bench"}
    ours = HttpClient(_loopback, max_idle_per_host=concurrency)
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency))

    async def post_ours(i: int) -> None:
        r = await ours.post(f"{receiver}/hook/{i % 4}", body, headers, 15.0)
        assert r.status == 200, r.status

    async def post_aiohttp(i: int) -> None:
        async with session.post(f"{receiver}/hook/{i % 4}", data=body, headers=headers) as r:
            await r.read()
            assert r.status == 200, r.status

    best: dict[str, tuple[float, float]] = {}
    try:
        await measure(post_ours, 500, concurrency)  # warm both pools
        await measure(post_aiohttp, 500, concurrency)
        for _ in range(2):
            for name, post in (("hookline HttpClient", post_ours), ("aiohttp ClientSession", post_aiohttp)):
                got = await measure(post, n, concurrency)
                if got[0] > best.get(name, (0.0, 0.0))[0]:
                    best[name] = got
    finally:
        await ours.close()
        await session.close()
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=20_000)
    ap.add_argument("--concurrency", type=int, default=64)
    args = ap.parse_args()
    port = free_port()
    receiver = subprocess.Popen([sys.executable, str(HERE / "_receiver.py"), str(port)])
    try:
        asyncio.run(wait_http(f"http://127.0.0.1:{port}/_stats"))
        best = asyncio.run(run(f"http://127.0.0.1:{port}", args.requests, args.concurrency))
    finally:
        receiver.terminate()
        receiver.wait(10)
    print(f"| client ({args.requests} POSTs of 1 KB, {args.concurrency} at a time, {os.cpu_count()} cores) "
          "| requests/s | client CPU per request |")  # fmt: skip
    print("|---|---|---|")
    for name, (rate, cpu_us) in best.items():
        print(f"| {name} | {rate:.0f} | {cpu_us:.0f} µs |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
