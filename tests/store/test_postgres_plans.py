"""PostgreSQL plans keep up with the tables: a batch never scans a whole table.

A prepared statement's generic plan is made from the table sizes of the moment it is made. Made
while the dispatch table was nearly empty, recording a batch of outcomes would scan the whole table
on every batch for the life of the connection, unless an ANALYZE (autovacuum, if it runs) replans it.

And an index serves a comparison only in its own collation: a column holding an id must have the
collation of the ids it is compared with, or joins on it read the whole table (migration 0005).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hookline.store import claiming, pg_batch
from hookline.store.migrate import migrate
from hookline.store.postgres import PostgresDatabase
from hookline.store.records import Accepted, Application, Endpoint, Lease, NewMessage
from hookline.store.sqltext import to_dollar_named
from hookline.store.store import Store
from tests.store.helpers import make_app, make_endpoint, message, outcome
from tests.support import postgres

pytestmark = pytest.mark.postgres
HISTORY = 50_000
OTHERS = 5_000


@pytest.fixture
async def fresh_store() -> AsyncIterator[Store]:
    """A migrated store on a new schema with one connection in each pool, so every statement's table
    statistics come from the two sessions that ``_rows_scanned`` flushes."""
    name, url = postgres.create_schema("hl_plans")
    db = PostgresDatabase(url, max_size=1, keyed_size=1)
    await db.open()
    await migrate(db)
    s = Store(db)
    yield s
    await s.close()
    postgres.drop_schema(name)


async def _rows_scanned(store: Store, table: str = "dispatches") -> int:
    """Rows of ``table`` read so far, by sequential and index scans (by any session, as counted by the server)."""
    for session in (store.db.reader, store.db.keyed):
        async with session() as c:
            await c.fetchall("SELECT pg_stat_force_next_flush()")  # this session's counts, at its next idle
    async with store.db.reader() as c:
        await c.fetchall("SELECT pg_stat_clear_snapshot()")
        row = await c.fetchone(
            "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables "
            "WHERE relname = ? AND schemaname = current_schema()",
            (table,),
        )
    assert row is not None
    return int(row[0])


# Table sizes at which the first statements run (the plan test at the end tries many more).
PLANNED_AT = [20, 200, 1000]


async def _accepted(store: Store, messages: int) -> tuple[Application, Endpoint]:
    """An application with one endpoint and ``messages`` messages accepted for it."""
    app = await make_app(store)
    endpoint = await make_endpoint(store, app)
    await store.accept_messages([NewMessage(message(app)) for _ in range(messages)])
    return app, endpoint


async def _delivered_history(store: Store, app: Application, endpoint: Endpoint, messages: bool) -> None:
    """``HISTORY`` delivered dispatches of ``endpoint`` (and their messages)."""
    async with store.db.transaction() as tx:
        if messages:
            await tx.execute(
                "INSERT INTO messages (id, app_id, event_type, payload, created_at) "
                "SELECT 'msg_old' || g, ?, 'user.created', '{}', 0 FROM generate_series(1, ?) g",
                (app.id, HISTORY),
            )
        await tx.execute(
            "INSERT INTO dispatches (msg_id, endpoint_id, app_id, status, attempts, updated_at) "
            "SELECT 'msg_old' || g, ?, ?, 0, 1, 0 FROM generate_series(1, ?) g",
            (endpoint.id, app.id, HISTORY),
        )


@pytest.mark.parametrize("planned_at", PLANNED_AT)
async def test_recording_outcomes_reads_only_its_batch_however_the_table_grew(
    fresh_store: Store, planned_at: int
) -> None:
    store = fresh_store
    app, endpoint = await _accepted(store, planned_at)
    for _ in range(8):  # planned while the table is small (and again, for a plan of the planner's costing)
        await store.complete([outcome(c, ok=True) for c in await store.claim(20, 30)], 86400)
    await _delivered_history(store, app, endpoint, messages=True)
    await store.accept_messages([NewMessage(message(app)) for _ in range(100)])
    batches = [await store.claim(20, 30) for _ in range(5)]
    before = await _rows_scanned(store)
    for claims in batches:
        await store.complete([outcome(c, ok=True) for c in claims], 86400)
    scanned = await _rows_scanned(store) - before
    assert scanned < HISTORY, f"recording 5 batches of 20 outcomes read {scanned} dispatch rows"


async def test_accepting_reads_only_the_applications_own_endpoints_and_secrets(fresh_store: Store) -> None:
    store = fresh_store
    app = await make_app(store)
    await make_endpoint(store, app)
    async with store.db.transaction() as tx:  # many other applications, with endpoints and secrets
        await tx.execute(
            "INSERT INTO applications (id, name, created_at, updated_at) "
            "SELECT 'app_other' || g, 'other', 0, 0 FROM generate_series(1, ?) g",
            (OTHERS // 5,),
        )
        await tx.execute(
            "INSERT INTO endpoints (id, app_id, url, created_at, updated_at) "
            "SELECT 'ep_other' || g, 'app_other' || (1 + g % ?), 'https://example.com/other', 0, 0 "
            "FROM generate_series(1, ?) g",
            (OTHERS // 5, OTHERS),
        )
        await tx.execute(
            "INSERT INTO endpoint_secrets (endpoint_id, secret, created_at) "
            "SELECT 'ep_other' || g, 'whsec_other', 0 FROM generate_series(1, ?) g",
            (OTHERS,),
        )
        await tx.execute("ANALYZE applications")
        await tx.execute("ANALYZE endpoints")
        await tx.execute("ANALYZE endpoint_secrets")
    before = {t: await _rows_scanned(store, t) for t in ("endpoints", "endpoint_secrets")}
    for _ in range(5):
        results = await store.accept_messages([NewMessage(message(app))], Lease(slots=4, seconds=30))
        assert [len(r.claims) for r in results if isinstance(r, Accepted)] == [1]
    for table, scanned in before.items():
        read = await _rows_scanned(store, table) - scanned
        assert read < OTHERS, f"accepting 5 messages read {read} rows of {table}"


async def test_replaying_what_an_endpoint_missed_reads_only_its_dispatches(fresh_store: Store) -> None:
    store = fresh_store
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    await store.accept_messages([NewMessage(message(app)) for _ in range(20)])
    other = (await make_endpoint(store, app, url="https://example.com/other")).id
    async with store.db.transaction() as tx:  # a long history of another endpoint's deliveries
        await tx.execute(
            "INSERT INTO dispatches (msg_id, endpoint_id, app_id, status, attempts, updated_at) "
            "SELECT 'msg_old' || g, ?, ?, 0, 1, 0 FROM generate_series(1, ?) g",
            (other, app.id, HISTORY),
        )
        await tx.execute("ANALYZE dispatches")
    late = await make_endpoint(store, app, url="https://example.com/late")
    before = await _rows_scanned(store)
    assert await store.replay_missing(late, 0, None) == 20
    assert await store.replay_missing(ep, 0, None) == 0
    read = await _rows_scanned(store) - before
    assert read < HISTORY, f"replaying for two endpoints read {read} dispatch rows"


@pytest.mark.parametrize("planned_at", PLANNED_AT)
async def test_claiming_reads_only_due_dispatches_however_the_table_grew(
    fresh_store: Store, planned_at: int
) -> None:
    store = fresh_store
    store.fair.default_cap = 10_000  # the endpoint's cap is not what this counts
    app, endpoint = await _accepted(store, planned_at)
    assert len(await store.claim(planned_at, 30)) == planned_at  # planned while the table is small
    await _delivered_history(store, app, endpoint, messages=False)
    await store.accept_messages([NewMessage(message(app)) for _ in range(100)])
    before = await _rows_scanned(store)
    claimed = [len(await store.claim(20, 30)) for _ in range(6)]
    assert claimed == [20, 20, 20, 20, 20, 0]
    read = await _rows_scanned(store) - before
    assert read < HISTORY, f"6 claims read {read} dispatch rows"


def _scans_of(plan: Any, table: str) -> list[str]:
    """How each node of a JSON plan reads ``table``: its index's name, ``Tid Scan`` or ``Seq Scan``."""
    found = []
    if plan.get("Relation Name") == table and plan.get("Node Type") == "Bitmap Heap Scan":
        return _bitmap_indexes(plan)
    if plan.get("Relation Name") == table and plan.get("Node Type") not in ("ModifyTable", "LockRows"):
        found.append(plan.get("Index Name") or plan["Node Type"])
    for child in plan.get("Plans", []):
        found += _scans_of(child, table)
    return found


def _bitmap_indexes(plan: Any) -> list[str]:
    names = [plan["Index Name"]] if plan.get("Node Type") == "Bitmap Index Scan" else []
    return names + [n for child in plan.get("Plans", []) for n in _bitmap_indexes(child)]


@pytest.mark.parametrize(
    ("statement", "how"),
    [
        ("outcomes", {"dispatches_pkey"}),
        ("claim", {"Tid Scan", "dispatches_endpoint_due", "dispatches_endpoint"}),
    ],
)
async def test_statements_planned_once_read_dispatches_by_key_whatever_the_size_they_were_planned_at(
    fresh_store: Store, statement: str, how: set[str]
) -> None:
    """Each size gets a plan of its own (a statement prepared then), as a connection opened then would."""
    store = fresh_store
    rows = 0
    for size in (0, 10, 50, 100, 150, 200, 300, 500, 1000, 2000, 5000):
        async with store.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO dispatches (msg_id, endpoint_id, app_id, status, attempts, updated_at) "
                "SELECT 'msg_2Zabcdefghijklmnopqrstuvwxy' || g, 'ep_2Zabcdefghijklmnopqrstuvwxyz', "
                "'app_2Zabcdefghijklmnopqrstuvwx', 3, 0, 0 FROM generate_series(?::int, ?::int) g",
                (rows + 1, size),
            )
        rows = max(rows, size)
        sql = pg_batch.RECORD_OUTCOMES if statement == "outcomes" else claiming.PG_CLAIM
        async with store.db.keyed() as c:  # what the keyed connection plans, shown with NULL parameters
            text, names = to_dollar_named(sql)
            count = len(names)
            await c.execute(f"PREPARE planned_at_{size} AS {text}")
            nulls = ", ".join(["NULL"] * count)
            [row] = await c.fetchall(f"EXPLAIN (FORMAT JSON) EXECUTE planned_at_{size}({nulls})")
            await c.execute(f"DEALLOCATE planned_at_{size}")
        plan = json.loads(row[0])[0]["Plan"]
        assert set(_scans_of(plan, "dispatches")) <= how | {"dispatches_due"}, (
            size,
            _scans_of(plan, "dispatches"),
        )
