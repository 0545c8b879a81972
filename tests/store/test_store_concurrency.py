"""Several claimers on one PostgreSQL database: SKIP LOCKED hands every dispatch to exactly one."""

from __future__ import annotations

import asyncio
import time

import pytest

from hookline.store.records import Claim
from hookline.store.store import Store
from tests.store.helpers import accept, make_app, make_endpoint, message, outcome

pytestmark = pytest.mark.postgres


async def test_concurrent_claimers_never_get_the_same_dispatch(pg_module_url: str) -> None:
    stores = [await Store.connect(pg_module_url) for _ in range(3)]
    try:
        app = await make_app(stores[0])
        for _ in range(4):
            await make_endpoint(stores[0], app)
        total = 4 * 500
        for _ in range(5):
            await accept(stores[0], *(message(app) for _ in range(100)))

        async def claimer(store: Store) -> list[Claim]:
            got: list[Claim] = []
            while True:
                batch = await store.claim(37, 60.0)
                if not batch:
                    # an endpoint another claimer is claiming for is skipped, not waited for
                    if await store.next_due() is None:
                        return got
                    await asyncio.sleep(0.001)
                    continue
                got += batch
                await store.complete([outcome(c, ok=True) for c in batch], 86400.0)

        # two loops per store: concurrent claims on the same pool and across pools
        results = await asyncio.gather(*(claimer(s) for s in stores for _ in range(2)))
        keys = [(c.msg_id, c.endpoint_id) for got in results for c in got]
        assert len(keys) == len(set(keys)) == total
        assert sum(1 for got in results if got) > 1, "one claimer took everything: no concurrency tested"
    finally:
        for s in stores:
            await s.close()


async def test_a_claim_is_invisible_to_others_until_its_lease_expires(pg_module_url: str) -> None:
    a, b = await Store.connect(pg_module_url), await Store.connect(pg_module_url)
    try:
        app = await make_app(a)
        await make_endpoint(a, app)
        await accept(a, *(message(app) for _ in range(10)))
        first = await a.claim(100, 5.0)
        assert len(first) == 10
        assert await b.claim(100, 5.0) == []
        reclaimed = await b.claim(100, 5.0, now=time.time() + 6)
        assert {(c.msg_id, c.endpoint_id) for c in reclaimed} == {(c.msg_id, c.endpoint_id) for c in first}
    finally:
        await a.close()
        await b.close()
