"""The store's hot path in one process, without HTTP: accept, claim and record, as the server runs them.

Accepts ``--messages`` messages in batches of 100 (each with an idempotency key, for two endpoints,
half of each batch leased to the caller as the acceptor does), records the leased ones, then claims
and records the rest. Prints CPU seconds of this process (all threads) and wall seconds per phase;
on PostgreSQL the wall time includes the server's work. Nothing is asserted.

    python bench/store.py                                   # a fresh SQLite file
    python bench/store.py --database postgresql://postgres@127.0.0.1:5432/test   # a fresh schema

To compare two versions of the code, run it with each on ``PYTHONPATH`` (``PYTHONPATH=/other/src``),
alternating, on one machine in one sitting.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from collections.abc import Sequence
from typing import Any

from _delivered import delivered

from hookline.ids import new_id
from hookline.store.records import (
    Application,
    Claim,
    Endpoint,
    Lease,
    Message,
    NewMessage,
    Outcome,
)
from hookline.store.store import Store

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BATCH = 100


def _outcomes(claims: Sequence[Claim]) -> list[Outcome]:
    return delivered(claims, time.time(), 3)


async def run(url: str, messages: int) -> dict[str, Any]:
    """Run the three phases on a migrated database at ``url``; return their CPU and wall seconds."""
    store = await Store.connect(url)
    now = time.time()
    app = await store.create_app(Application(new_id("app"), "bench", None, None, {}, now, now))
    for _ in range(2):
        ep = Endpoint(new_id("ep"), app.id, "https://example.com/hook", created_at=now, updated_at=now)
        await store.create_endpoint(ep, SECRET)
    clock = [(time.process_time(), time.perf_counter())]
    leased: list[Claim] = []
    for start in range(0, messages, BATCH):
        t = time.time()
        batch = [
            NewMessage(
                Message(
                    new_id("msg", t),
                    app.id,
                    "user.created",
                    json.dumps({"i": i}),
                    created_at=t,
                    expires_at=t + 86400,
                ),
                idempotency_key=f"bench-{start}-{i}",
                response_body="{}",
                app_key=app.id,
            )
            for i in range(min(BATCH, messages - start))
        ]
        results = await store.accept_messages(batch, Lease(BATCH // 2, 30))
        leased.extend(c for r in results if not isinstance(r, BaseException) for c in r.claims)
    clock.append((time.process_time(), time.perf_counter()))
    for start in range(0, len(leased), BATCH):
        await store.complete(_outcomes(leased[start : start + BATCH]), 5 * 86400)
    while claims := await store.claim(BATCH, 30):
        await store.complete(_outcomes(claims), 5 * 86400)
    clock.append((time.process_time(), time.perf_counter()))
    await store.close()
    (c0, w0), (c1, w1), (c2, w2) = clock
    return {"accept": (c1 - c0, w1 - w0), "deliver": (c2 - c1, w2 - w1)}


async def in_fresh_schema(url: str, messages: int) -> dict[str, Any]:
    """``run`` in a new PostgreSQL schema of ``url``, dropped afterwards."""
    import asyncpg

    from hookline.store.postgres import parse_url

    dsn, _ = parse_url(url)
    schema = f"bench_store_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"CREATE SCHEMA {schema}")
        sep = "&" if "?" in url else "?"
        return await run(f"{url}{sep}schema={schema}", messages)
    finally:
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database", default=None, help="a PostgreSQL URL (default: a fresh SQLite file)")
    ap.add_argument("--messages", type=int, default=10_000)
    args = ap.parse_args()
    if args.database is None:
        result = asyncio.run(
            run(f"sqlite:///{tempfile.mkdtemp(prefix='hookline-bench-')}/store.db", args.messages)
        )
    else:
        result = asyncio.run(in_fresh_schema(args.database, args.messages))
    deliveries = 2 * args.messages
    print("| phase | CPU, this process | wall | wall per delivery |")
    print("|---|---|---|---|")
    for phase, (cpu, wall) in result.items():
        print(f"| {phase} | {cpu:.3f} s | {wall:.3f} s | {wall / deliveries * 1e6:.0f} µs |")


if __name__ == "__main__":
    main()
