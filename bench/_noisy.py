"""The noisy-neighbour scenario of bench/delivery.py (``--only noisy``).

One application has 10,000 messages queued to an endpoint that misbehaves (``--noisy-modes``: a
tarpit that never answers, one answering 500 at once, one answering after 10 s; ``none`` runs the
healthy application alone, the reference). Meanwhile another application sends ``--healthy-rate``
messages a second for ``--healthy-seconds`` to its own, healthy endpoint. Reported per mode: the
healthy application's latency (receiver arrival after the API's answer) and throughput, the peak
memory of each hookline process, and what the noisy endpoint got.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from math import inf
from types import ModuleType
from typing import Any

import aiohttp


async def _noisy_stats(session: aiohttp.ClientSession, url: str) -> dict[str, int]:
    async with session.get(url + "/_stats") as r:
        return dict(json.loads(await r.text()))


async def run_mode(kit: ModuleType, args: argparse.Namespace, mode: str) -> dict[str, Any]:
    """One variant: start everything afresh, queue the noisy backlog, measure the healthy traffic."""
    p = kit.Processes(args.database, args.workers)
    await p.start_receiver()
    noisy_port = kit.free_port()
    noisy_url = f"http://127.0.0.1:{noisy_port}"
    noisy = None
    if mode != "none":
        noisy = subprocess.Popen(
            [sys.executable, str(kit.HERE / "_noisy_receiver.py"), str(noisy_port), mode]
        )
        p.procs.append(noisy)
        await kit.wait_http(noisy_url + "/_stats")
    await p.start_hookline()
    hookline_pids = [q.pid for q in p.procs if q is not p.procs[0] and q is not noisy]
    out: dict[str, Any] = {"mode": mode}
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as s:
            c = kit.Client(s, p.api)
            healthy_app = await c.setup(p.receiver, uid=f"healthy{int(time.time())}")
            noisy_app = None
            if mode != "none":
                noisy_app = (await c.post("/api/v1/app", {"name": "noisy"}))["id"]
                ep = await c.post(f"/api/v1/app/{noisy_app}/endpoint", {"url": noisy_url + "/hook"})
                t0 = time.time()
                await kit.post_many(c, noisy_app, args.noisy_messages, args.concurrency)
                out["noisy_queued_s"] = time.time() - t0
            # warm the healthy path, then measure
            await kit.post_many(c, healthy_app, 20, 4)
            await kit.wait_count(s, p.receiver, 20, 60)
            await kit.reset(s, p.receiver)
            answered: dict[str, float] = {}
            n = int(args.healthy_rate * args.healthy_seconds)
            interval = 1.0 / args.healthy_rate
            peak = dict.fromkeys(hookline_pids, 0.0)

            async def sample_memory() -> None:
                while True:
                    for pid in hookline_pids:
                        peak[pid] = max(peak[pid], kit.rss_mb(pid))
                    await asyncio.sleep(0.5)

            sampler = asyncio.create_task(sample_memory())

            async def send_one(i: int) -> None:
                msg = await c.post(
                    f"/api/v1/app/{healthy_app}/msg",
                    {"eventType": "user.created", "payload": kit.payload_1kb(i)},
                )
                answered[msg["id"]] = time.time()

            start = time.time()
            begin = time.perf_counter()
            tasks = []
            for i in range(n):
                delay = begin + i * interval - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(send_one(i)))
            await asyncio.gather(*tasks)
            try:
                await kit.wait_count(s, p.receiver, n, args.healthy_wait)
            except RuntimeError as exc:  # stuck behind the noisy endpoint (the code before the fix)
                print(f"{mode}: {exc}", file=sys.stderr)
            sampler.cancel()
            async with s.get(p.receiver + "/_arrivals") as r:
                arrivals = json.loads(await r.text())
            times = {k: arrivals[k + "/hook/0"] for k in answered if k + "/hook/0" in arrivals}
            # a webhook that never arrived counts as infinitely late
            lat = sorted([max(0.0, times[k] - answered[k]) * 1000 for k in times] + [inf] * (n - len(times)))
            out.update(
                healthy_messages=len(times),
                healthy_missing=n - len(times),
                p50_ms=statistics.median(lat),
                p99_ms=lat[int(len(lat) * 0.99) - 1],
                max_ms=lat[-1],
                healthy_per_s=len(times) / (max(times.values(), default=start + 1) - start),
                peak_rss_mb=max(peak.values()),
                processes=len(hookline_pids),
            )
            if noisy_app is not None:
                stats = await c.get(f"/api/v1/app/{noisy_app}/endpoint/{ep['id']}/stats")
                got = await _noisy_stats(s, noisy_url)
                out.update(
                    noisy_pending=stats["pending"],
                    noisy_in_flight=stats.get("inFlight"),
                    noisy_circuit=(stats.get("circuit") or {}).get("state"),
                    noisy_requests=got["requests"],
                    noisy_connections=got["connections"],
                )
    finally:
        p.stop()
    return out


async def scenario_noisy(args: argparse.Namespace, results: dict[str, Any], kit: ModuleType) -> None:
    """Every mode of ``--noisy-modes`` in turn; results["noisy"] holds one row per mode."""
    rows = []
    for mode in args.noisy_modes.split(","):
        rows.append(await run_mode(kit, args, mode))
        print(json.dumps(rows[-1]), file=sys.stderr)
    results["noisy"] = rows


def table_rows(results: dict[str, Any]) -> list[tuple[str, str]]:
    """The rows print_table shows for the scenario."""
    rows = results.get("noisy") or []
    alone = next((r["healthy_per_s"] for r in rows if r["mode"] == "none"), None)
    out = []
    for r in rows:
        share = f", {r['healthy_per_s'] / alone * 100:.0f} % of alone" if alone else ""
        noisy = (
            f"; noisy endpoint: {r['noisy_requests']} requests, {r['noisy_pending']} pending, "
            f"circuit {r['noisy_circuit']}"
            if r["mode"] != "none"
            else ""
        )
        if r.get("healthy_missing"):
            noisy += f"; {r['healthy_missing']} healthy webhooks had not arrived when the wait ended"
        out.append((
            f"noisy neighbour '{r['mode']}': healthy p50 / p99, throughput, peak RSS",
            f"{r['p50_ms']:.1f} / {r['p99_ms']:.1f} ms, {r['healthy_per_s']:.0f} msg/s{share}, "
            f"{r['peak_rss_mb']:.0f} MB{noisy}",
        ))  # fmt: skip
    return out
