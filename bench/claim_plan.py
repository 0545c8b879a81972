"""The fair claim at a million pending deliveries: how long one batch takes, and the plan it uses.

    python bench/claim_plan.py                       # SQLite, a fresh file
    python bench/claim_plan.py --database postgresql://postgres@127.0.0.1:5432/test   # a fresh schema
    python bench/claim_plan.py --rows 100000         # smaller

The table holds ``--rows`` pending deliveries, all due: most of them one endpoint's backlog (as a
tarpit's would be), the rest spread over ``--endpoints`` other endpoints with 10 each. Each claim
takes a batch of 500 (within each endpoint's cap of 64) and its outcomes are recorded before the
next, as a worker does. Prints the time per claim and the statement's plan; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from hookline.store import claiming  # noqa: E402
from hookline.store.records import Attempt, MessageStatus, Outcome  # noqa: E402
from hookline.store.sqltext import to_dollar_named  # noqa: E402
from hookline.store.store import Store  # noqa: E402

SENDING = int(MessageStatus.SENDING)


async def fill(store: Store, rows: int, endpoints: int) -> None:
    """One application, a backlog endpoint and ``endpoints`` others; ``rows`` due dispatches with messages."""
    now = time.time()
    others = endpoints * 10
    backlog = rows - others
    pg = store.dialect == "postgres"
    series = "generate_series(1, ?) g" if pg else "(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < ?) SELECT g FROM s)"  # fmt: skip
    cat = "'{}' || lpad(g::text, 9, '0')" if pg else "'{}' || printf('%09d', g)"
    async with store.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO applications (id, name, created_at, updated_at) VALUES ('app_bench', 'bench', ?, ?)",
            (now, now),
        )
        await tx.execute(
            f"INSERT INTO endpoints (id, app_id, url, created_at, updated_at) SELECT {cat.format('ep_')}, "
            f"'app_bench', 'https://example.com/hook', ?, ? FROM {series}",
            (now, now, endpoints + 1),
        )
        await tx.execute(
            f"INSERT INTO endpoint_secrets (endpoint_id, secret, created_at) SELECT {cat.format('ep_')}, "
            f"'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', ? FROM {series}",
            (now, endpoints + 1),
        )
        await tx.execute(
            f"INSERT INTO messages (id, app_id, event_type, payload, created_at) SELECT {cat.format('msg_')}, "
            f"'app_bench', 'user.created', '{{}}', ? FROM {series}",
            (now, rows),
        )
        # the backlog endpoint (ep_000000001, first in the walk) holds the earliest due rows
        other = "'ep_' || lpad((2 + g % ?)::text, 9, '0')" if pg else "'ep_' || printf('%09d', 2 + g % ?)"
        await tx.execute(
            f"INSERT INTO dispatches (msg_id, endpoint_id, app_id, status, attempts, next_attempt_at, updated_at) "
            f"SELECT {cat.format('msg_')}, CASE WHEN g <= ? THEN 'ep_000000001' ELSE {other} END, "
            f"'app_bench', 1, 0, ? + g * 0.000001, ? FROM {series}",
            (backlog, endpoints, now - 3600, now, rows),
        )
    async with store.db.transaction() as tx:
        await tx.execute("ANALYZE")


async def plan(store: Store, limit: int) -> str:
    """The claim statement's plan, with the parameters of a claim now."""
    now = time.time()
    if store.dialect == "postgres":
        params = claiming.claim_params(store.fair, limit, now, now, now + 60, SENDING)
        async with store.db.keyed() as c, c._conn.transaction():  # type: ignore[attr-defined]
            sql, names = to_dollar_named(claiming.PG_CLAIM)
            rows = await c._conn.fetch(  # type: ignore[attr-defined]
                "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, *(params[n] for n in names)
            )
            raise _Rollback("\n".join(r[0] for r in rows))
    params = claiming.claim_params(store.fair, limit, now, now, now + 60, SENDING)
    async with store.db.reader() as c:
        rows = await c.fetchall("EXPLAIN QUERY PLAN " + claiming.SQLITE_LEASE, params)
    return "\n".join(f"{'  ' * (int(r[1]) != 0)}{r[3]}" for r in rows)


class _Rollback(Exception):
    pass


def _done(claim: Any, now: float) -> Outcome:
    attempt = Attempt(
        f"atmpt_{claim.msg_id}", claim.msg_id, claim.endpoint_id, claim.app_id, claim.url,
        MessageStatus.SUCCESS, 200, "", 1, claim.trigger, now, {},
    )  # fmt: skip
    return Outcome(attempt, None)


async def run(url: str, rows: int, endpoints: int, claims: int) -> dict[str, Any]:
    store = await Store.connect(url)
    try:
        t0 = time.time()
        await fill(store, rows, endpoints)
        filled = time.time() - t0
        try:
            explained = await plan(store, 500)
        except _Rollback as done:
            explained = str(done)
        timings, sizes = [], []
        for _ in range(claims):
            start = time.perf_counter()
            got = await store.claim(500, 60.0)
            timings.append((time.perf_counter() - start) * 1000)
            sizes.append(len(got))
            await store.complete([_done(c, time.time()) for c in got], 86400)
        return {
            "backend": store.dialect, "rows": rows, "endpoints": endpoints + 1, "fill_s": filled,
            "claim_ms_p50": statistics.median(timings), "claim_ms_max": max(timings),
            "claimed_per_batch": statistics.median(sizes), "plan": explained,
        }  # fmt: skip
    finally:
        await store.close()


async def in_schema(url: str, rows: int, endpoints: int, claims: int) -> dict[str, Any]:
    import asyncpg

    schema = f"bench_claim_{os.getpid()}"
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        return await run(url + ("&" if "?" in url else "?") + f"schema={schema}", rows, endpoints, claims)
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database", default=None)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--endpoints", type=int, default=1000)
    ap.add_argument("--claims", type=int, default=30)
    args = ap.parse_args()
    if args.database and args.database.startswith("postgres"):
        out = asyncio.run(in_schema(args.database, args.rows, args.endpoints, args.claims))
    else:
        url = args.database or f"sqlite:///{tempfile.mkdtemp(prefix='hookline-claim-')}/claim.db"
        out = asyncio.run(run(url, args.rows, args.endpoints, args.claims))
    print(json.dumps({k: v for k, v in out.items() if k != "plan"}))
    print(f"| {out['backend']} | {out['rows']:,} pending, {out['endpoints']} endpoints | "
          f"claim of 500: p50 {out['claim_ms_p50']:.1f} ms, max {out['claim_ms_max']:.1f} ms |")  # fmt: skip
    print(out["plan"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
