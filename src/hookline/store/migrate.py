"""Numbered SQL migrations per dialect, tracked in a ``schema_version`` table."""

from __future__ import annotations

import time
from importlib import resources

from hookline.store.conn import Conn, Database
from hookline.store.errors import MigrationError, StoreUnavailableError
from hookline.store.sqltext import split_statements


def migration_files(dialect: str) -> list[tuple[int, str, str]]:
    """Return (version, name, sql) for every migration of ``dialect``, in order."""
    folder = resources.files("hookline.store") / "migrations" / dialect
    found = []
    for item in folder.iterdir():
        if item.name.endswith(".sql"):
            version = int(item.name.split("_", 1)[0])
            found.append((version, item.name, item.read_text()))
    return sorted(found)


async def _lock(tx: Conn, dialect: str) -> None:
    if dialect == "postgres":
        # keyed by schema: migrators of other schemas in the same database need not wait
        await tx.execute("SELECT pg_advisory_xact_lock(7107001, hashtext(current_schema()))")


async def _apply(tx: Conn, dialect: str, version: int, name: str, sql: str) -> None:
    statements = split_statements(sql, dialect)
    try:
        if dialect == "postgres" and statements:
            # one round trip: PostgreSQL runs a parameterless script as one simple query
            await tx.execute(";\n".join(statements))
        else:
            for statement in statements:
                await tx.execute(statement)
    except (MigrationError, StoreUnavailableError):
        raise  # a lost connection rolls the migration back: it may be tried again, it did not fail
    except Exception as exc:
        raise MigrationError(f"migration {name} failed: {exc}") from exc
    await tx.execute(
        "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
        (version, name, time.time()),
    )


async def _fresh_or_done(db: Database, files: list[tuple[int, str, str]]) -> tuple[list[str], set[int]]:
    """Under the lock, in one transaction: on a new database (none ever applied, no process waiting on
    a lock) every migration, returning their names and versions; else nothing, and the versions applied."""
    async with db.transaction() as tx:
        await _lock(tx, db.dialect)
        done = {int(r[0]) for r in await tx.fetchall("SELECT version FROM schema_version")}
        if done:
            return [], done
        for version, name, sql in files:
            await _apply(tx, db.dialect, version, name, sql)
    return [name for _, name, _ in files], {version for version, _, _ in files}


async def migrate(db: Database) -> list[str]:
    """Apply the migrations not applied yet; return their names.

    A new database gets them all in one transaction (one commit instead of one per migration). An
    existing one gets each in its own transaction, safe beside running processes: migrations only add
    tables, columns and indexes, or drop constraints the code does not rely on, and a transaction per
    migration holds its locks only for that migration; two migrators racing serialize on a lock (the
    loser sees the version already applied).
    """
    async with db.transaction() as tx:
        await tx.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "applied_at DOUBLE PRECISION NOT NULL)"
        )
    files = migration_files(db.dialect)
    try:
        applied, done = await _fresh_or_done(db, files)
    except (MigrationError, StoreUnavailableError):
        raise
    except Exception as exc:
        raise MigrationError(f"migrating failed: {exc}") from exc
    for version, name, sql in files:
        if version in done:
            continue  # applied before this call began; one still pending is looked at again under the lock
        try:
            async with db.transaction() as tx:
                await _lock(tx, db.dialect)
                if await tx.fetchone("SELECT 1 FROM schema_version WHERE version = ?", (version,)):
                    continue
                await _apply(tx, db.dialect, version, name, sql)
                applied.append(name)
        except (MigrationError, StoreUnavailableError):
            raise
        except Exception as exc:
            raise MigrationError(f"migration {name} failed: {exc}") from exc
    return applied
