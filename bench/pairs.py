"""Alternating pairs: the throughput run of `bench/delivery.py` on two set-ups, back to back, N times.

A 2-core machine's speed drifts from minute to minute, so a ratio is only worth something between runs
made side by side. Each pair runs both set-ups, the first one going first in odd pairs and second in
even ones, and the table gives each pair's ratio and their median:

    python bench/pairs.py --pairs 7 --database postgresql://postgres@127.0.0.1:5432/hl_bench
        # one `hookline serve` process: SQLite (a fresh file) against PostgreSQL (a fresh schema)
    python bench/pairs.py --pairs 7 --workers 2 --database postgresql://…
        # PostgreSQL: an API-only process with one `hookline worker` against it with two
    python bench/pairs.py --pairs 9 --control --workers 1 --database postgresql://…
        # a control: the same set-up twice (here API + 1 worker), to see how far identical runs spread
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from delivery import in_fresh_schema, scenario_throughput


def throughput(database: str | None, workers: int, args: argparse.Namespace, tag: str) -> dict[str, Any]:
    """One throughput run on a fresh SQLite file (``database`` None) or a fresh PostgreSQL schema."""
    run = argparse.Namespace(**{**vars(args), "workers": workers})
    results: dict[str, Any] = {}
    if database is None:
        run.database = f"sqlite:///{tempfile.mkdtemp(prefix='hookline-pairs-')}/{tag}.db"
        asyncio.run(scenario_throughput(run, results))
    else:
        schema = f"bench_pairs_{tag}_{os.getpid()}"
        asyncio.run(in_fresh_schema(database, schema, run, scenario_throughput, results))
    return dict(results["throughput"])


def hookline_cpu(t: dict[str, Any]) -> str:
    """CPU per message of the hookline processes, plus the database server's when it was measured."""
    mine = sum(v for k, v in t["cpu_us"].items() if k.startswith("hookline"))
    server = t["cpu_us"].get("postgres")
    return f"{mine:.0f} µs" + (f" + {server:.0f} µs" if server is not None else "")


def relative_work(t: dict[str, Any]) -> float:
    """CPU per message of hookline and its database server, in units of the load generator's.

    The machine's speed moves from minute to minute, and every process's CPU per message moves with
    it. The load generator sends the same requests in every run, so its own CPU per message gauges
    the machine of that run; in units of it, hookline's work per message is far less subject to that
    drift than throughput is (see docs/scale.md). It still moves with latency: answers that come
    later wake the generator for fewer requests at a time.
    """
    work = sum(v for k, v in t["cpu_us"].items() if k.startswith("hookline") or k == "postgres")
    return float(work / t["cpu_us"]["client"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database", required=True, help="a PostgreSQL URL (each run gets a fresh schema)")
    ap.add_argument("--workers", type=int, default=0, help="compare 1 worker process with this many")
    ap.add_argument(
        "--control",
        action="store_true",
        help="run one set-up against itself: PostgreSQL with --workers N, else SQLite",
    )
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--json", dest="json_out", default=None, help="also write every run to this JSON file")
    args = ap.parse_args(argv)
    if args.control:
        db = args.database if args.workers else None
        kind = f"API + {args.workers} worker{'s' if args.workers > 1 else ''}" if args.workers else "SQLite"
        setups = [(f"{kind}, A", db, args.workers), (f"{kind}, B", db, args.workers)]
    elif args.workers:
        setups = [
            ("API + 1 worker", args.database, 1),
            (f"API + {args.workers} workers", args.database, args.workers),
        ]
    else:
        setups = [("SQLite", None, 0), ("PostgreSQL", args.database, 0)]
    runs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for n in range(args.pairs):
        order = setups if n % 2 == 0 else setups[::-1]
        done = {
            name: throughput(db, workers, args, f"{n}_{i}") for i, (name, db, workers) in enumerate(order)
        }
        first, second = done[setups[0][0]], done[setups[1][0]]
        runs.append((first, second))
        print(
            f"pair {n + 1}: {first['delivered_per_s']:.0f} / {second['delivered_per_s']:.0f} msg/s",
            file=sys.stderr,
            flush=True,
        )
    (a, _, _), (b, _, _) = setups
    print(
        f"| pair | {a} | {b} | {b} / {a} | CPU per message, {a} / {b} "
        f"| work per message in the client's CPU, {a} / {b} | work, {a} / {b} |"
    )
    print("|---|---|---|---|---|---|---|")
    ratios, works = [], []
    for n, (first, second) in enumerate(runs, 1):
        ratio = second["delivered_per_s"] / first["delivered_per_s"]
        ratios.append(ratio)
        # the inverse of a throughput ratio: below 100 % the second set-up does less work per message
        work = relative_work(first) / relative_work(second)
        works.append(work)
        print(
            f"| {n} | {first['delivered_per_s']:,.0f} msg/s | {second['delivered_per_s']:,.0f} msg/s "
            f"| {ratio * 100:.0f} % | {hookline_cpu(first)} / {hookline_cpu(second)} "
            f"| {relative_work(first):.2f} / {relative_work(second):.2f} | {work * 100:.0f} % |"
        )
    print(
        f"\nmedian {statistics.median(ratios) * 100:.0f} % (from {min(ratios) * 100:.0f} to "
        f"{max(ratios) * 100:.0f} %), {args.messages:,} messages a run, {os.cpu_count()} cores"
    )
    print(
        f"work per message, {a} / {b}: median {statistics.median(works) * 100:.0f} % "
        f"(from {min(works) * 100:.0f} to {max(works) * 100:.0f} %)"
    )
    if args.json_out:
        Path(args.json_out).write_text(json.dumps([{a: x, b: y} for x, y in runs], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
