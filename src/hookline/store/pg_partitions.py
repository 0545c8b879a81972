"""PostgreSQL: the tables written per message (messages, attempts) partitioned by day, so retention
drops a day's partition instead of deleting its rows one by one (no mass DELETE, no vacuum storm).

Ids are time-sortable KSUIDs, so a table is partitioned by RANGE on its primary key: a day is the
range of ids from the smallest id of its first second to the smallest of the next day's. The
primary key stays what it was, and every statement that reaches a row by id finds its partition.

``dispatches`` stays one table: workers claim from it through its partial index on due rows and
update the claimed rows by ``ctid``, which is unique only within one table; its rows are deleted in
batches as before.

Converting a live table (``convert``) holds back its writers for a moment only:
1. a CHECK constraint ``id < bound`` is added NOT VALID, then validated, which reads the table but
   lets writers go on (``bound`` is two days ahead, so rows written meanwhile satisfy it);
2. in one short transaction (waiting at most 300 ms for each lock, retried): the table is renamed to ``{table}_legacy``,
   a partitioned table takes its name, the old table is attached as the partition of every id below
   ``bound`` (the validated constraint spares a scan), the parent's indexes adopt the old table's
   (no index is built), and the days from ``bound`` on get partitions, with a DEFAULT one behind.
The legacy partition is deleted from in batches until all of it is past the horizon, then dropped.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from dataclasses import dataclass

from hookline.ids import ksuid_floor
from hookline.store.conn import Conn
from hookline.store.db import Database
from hookline.store.errors import StoreError

log = logging.getLogger("hookline.partitions")

DAY = 86400.0
DAYS_AHEAD = 3  # partitions kept ready beyond today
# A DDL step waits this long for its lock, then gives way and tries again: while it waits in the lock
# queue, writers that come after it wait behind it, so the wait is kept short
LOCK_TIMEOUT = "300ms"
TRIES = 40


@dataclass(frozen=True)
class Table:
    """A table partitioned by day: its id prefix, and indexes that each partition carries on its own."""

    name: str
    prefix: str
    # unique indexes without the partition key cannot be the parent's: each partition gets its own
    per_partition: tuple[str, ...] = ()


TABLES = (
    Table(
        "messages",
        "msg",
        (
            "CREATE UNIQUE INDEX IF NOT EXISTS {part}_event_id ON {part} (app_id, event_id) WHERE event_id IS NOT NULL",
        ),
    ),
    Table("attempts", "atmpt"),
)


def day_start(at: float) -> float:
    """Midnight UTC of the day holding ``at``."""
    return at - at % DAY


def part_name(table: Table, day: float) -> str:
    """The partition of ``table`` for the day starting at ``day``: ``messages_p20261207``."""
    return f"{table.name}_p{datetime.datetime.fromtimestamp(day, datetime.UTC):%Y%m%d}"


def _day_of(table: Table, name: str) -> float | None:
    stem = name.removeprefix(f"{table.name}_p")
    if len(stem) != 8 or not stem.isdigit():
        return None
    return datetime.datetime.strptime(stem, "%Y%m%d").replace(tzinfo=datetime.UTC).timestamp()


async def is_partitioned(db: Database, table: Table) -> bool:
    """True once ``table`` is a partitioned table."""
    async with db.reader() as c:
        return await _partitioned(c, table)


async def _partitioned(c: Conn, table: Table) -> bool:
    row = await c.fetchone(
        "SELECT c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relname = ?",
        (table.name,),
    )
    return row is not None and row[0] == "p"


async def partitions(db: Database, table: Table) -> list[str]:
    """The names of ``table``'s partitions."""
    async with db.reader() as c:
        rows = await c.fetchall(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace "
            "WHERE n.nspname = current_schema() AND p.relname = ? ORDER BY c.relname",
            (table.name,),
        )
    return [str(r[0]) for r in rows]


async def _ddl(db: Database, statements: list[str], unless_partitioned: Table | None = None) -> bool:
    """Run ``statements`` in one transaction that waits at most ``LOCK_TIMEOUT`` for each lock, retried;
    with ``unless_partitioned``, only while that table is not partitioned yet. True if they ran."""
    for attempt in range(TRIES):
        try:
            async with db.transaction() as tx:
                await tx.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                if unless_partitioned is not None:
                    # two converters of one schema (two processes' retention passes): the second waits
                    # for the first here, then finds the table partitioned and does nothing
                    key = f"{unless_partitioned.name}_partitioning"
                    await tx.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ?))", (key,))
                    if await _partitioned(tx, unless_partitioned):
                        return False
                for sql in statements:
                    await tx.execute(sql)
            return True
        except StoreError as exc:
            if "lock timeout" not in str(exc) or attempt == TRIES - 1:
                raise
            log.info("partitions: waiting for a lock on %s, trying again", statements[0][:60])
            await asyncio.sleep(min(0.05 * 2**attempt, 2.0))
    raise AssertionError("unreachable: the last try raises")


async def _create_day(db: Database, table: Table, day: float) -> str:
    part = part_name(table, day)
    lo, hi = ksuid_floor(table.prefix, day), ksuid_floor(table.prefix, day + DAY)
    await _ddl(
        db,
        [
            f"CREATE TABLE IF NOT EXISTS {part} PARTITION OF {table.name} FOR VALUES FROM ('{lo}') TO ('{hi}')",
            *(sql.format(part=part) for sql in table.per_partition),
        ],
    )
    return part


async def convert(db: Database, table: Table, now: float) -> bool:
    """Partition ``table`` by day if it is not yet (see the module's steps); True if it was converted now."""
    if await is_partitioned(db, table):
        return False
    first = day_start(now) + 2 * DAY
    bound = ksuid_floor(table.prefix, first)
    check = f"{table.name}_legacy_bound"
    bounded = [
        f"ALTER TABLE {table.name} DROP CONSTRAINT IF EXISTS {check}",
        f"ALTER TABLE {table.name} ADD CONSTRAINT {check} CHECK (id < '{bound}') NOT VALID",
    ]
    if not await _ddl(db, bounded, unless_partitioned=table):
        return False
    # reads the whole table, with writers going on
    if not await _ddl(
        db, [f"ALTER TABLE {table.name} VALIDATE CONSTRAINT {check}"], unless_partitioned=table
    ):
        return False
    async with db.reader() as c:
        indexes = await c.fetchall(
            "SELECT i.relname, pg_get_indexdef(i.oid), x.indisunique, x.indisprimary FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = current_schema() AND t.relname = ?",
            (table.name,),
        )
    legacy = f"{table.name}_legacy"
    steps = [f"ALTER TABLE {table.name} RENAME TO {legacy}"]
    parent: list[str] = []
    for name, definition, unique, primary in indexes:
        steps.append(f"ALTER INDEX {name} RENAME TO {legacy}_{name}")
        if primary:
            parent.append(f"ALTER TABLE {table.name} ADD CONSTRAINT {name} PRIMARY KEY (id)")
        elif not unique:
            # the same definition on the parent adopts the legacy table's index instead of building one
            on = definition.split(" USING ", 1)[1]
            parent.append(f"CREATE INDEX {name} ON {table.name} USING {on}")
    steps += [
        f"CREATE TABLE {table.name} (LIKE {legacy} INCLUDING DEFAULTS) PARTITION BY RANGE (id)",
        f"ALTER TABLE {table.name} ATTACH PARTITION {legacy} FOR VALUES FROM (MINVALUE) TO ('{bound}')",
        *parent,
        f"ALTER TABLE {legacy} DROP CONSTRAINT {check}",
        f"CREATE TABLE {table.name}_default PARTITION OF {table.name} DEFAULT",
        *(sql.format(part=f"{table.name}_default") for sql in table.per_partition),
    ]
    if not await _ddl(db, steps, unless_partitioned=table):
        return False
    for day in range(DAYS_AHEAD + 1):
        await _create_day(db, table, first + day * DAY)
    log.info("partitions: %s is partitioned by day from %s", table.name, part_name(table, first))
    return True


async def first_day(db: Database, table: Table) -> float | None:
    """The start of ``table``'s earliest daily partition: ids below it are in the legacy partition."""
    days = [d for d in (_day_of(table, p) for p in await partitions(db, table)) if d is not None]
    return min(days) if days else None


async def create_ahead(db: Database, table: Table, now: float, days: int = DAYS_AHEAD) -> list[str]:
    """Make sure today and the next ``days`` days have partitions; return those created."""
    have = set(await partitions(db, table))
    start = await first_day(db, table)
    created = []
    for n in range(days + 1):
        day = day_start(now) + n * DAY
        if (start is None or day >= start) and part_name(table, day) not in have:
            try:
                created.append(await _create_day(db, table, day))
            except StoreError as exc:
                # rows of that day already sit in the DEFAULT partition (no pass ran for days):
                # they stay there, and the day goes on without a partition of its own
                log.warning("partitions: cannot create %s: %s", part_name(table, day), exc)
    return created


async def _has_live_deliveries(db: Database, lo: str, hi: str) -> bool:
    async with db.reader() as c:
        row = await c.fetchone(
            "SELECT 1 FROM dispatches WHERE msg_id >= ? AND msg_id < ? AND status IN (1, 3) LIMIT 1", (lo, hi)
        )
    return row is not None


async def _delete_dispatches(db: Database, lo: str, hi: str, batch: int) -> int:
    """The dispatches of the messages in [lo, hi), deleted in batches (that table is not partitioned)."""
    total = 0
    while True:
        async with db.transaction() as tx:
            done = await tx.execute(
                "DELETE FROM dispatches WHERE ctid = ANY(ARRAY(SELECT ctid FROM dispatches "
                "WHERE msg_id >= ? AND msg_id < ? LIMIT ?))",
                (lo, hi, batch),
            )
        total += done
        if done < batch:
            return total


@dataclass(frozen=True)
class Dropped:
    """What dropping old partitions removed."""

    partitions: tuple[str, ...] = ()
    dispatches: int = 0
    kept: tuple[str, ...] = ()  # partitions past the horizon kept because a delivery is still pending


async def drop_before(db: Database, table: Table, before: float, batch: int = 5000) -> Dropped:
    """Drop the partitions of ``table`` wholly older than ``before`` (the legacy one too, once all of it
    is); a messages partition goes only when none of its deliveries is pending, with its dispatches."""
    names = await partitions(db, table)
    start = await first_day(db, table)
    dropped: list[str] = []
    kept: list[str] = []
    dispatches = 0
    candidates: list[tuple[str, str, float]] = []
    legacy = f"{table.name}_legacy"
    if legacy in names and start is not None:
        candidates.append((legacy, table.prefix + "_", start))
    for name in names:
        day = _day_of(table, name)
        if day is not None:
            candidates.append((name, ksuid_floor(table.prefix, day), day + DAY))
    for name, lo, end in sorted(candidates, key=lambda c: c[2]):
        if end > before:
            continue
        hi = ksuid_floor(table.prefix, end)
        if table.name == "messages":
            if await _has_live_deliveries(db, lo, hi):
                kept.append(name)
                continue
            dispatches += await _delete_dispatches(db, lo, hi, batch)
        await _ddl(db, [f"DROP TABLE IF EXISTS {name}"])
        dropped.append(name)
    return Dropped(tuple(dropped), dispatches, tuple(kept))
