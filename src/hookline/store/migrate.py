"""Numbered SQL migrations per dialect, tracked in a ``schema_version`` table."""

from __future__ import annotations

import time
from importlib import resources

from hookline.store.conn import Database
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


async def migrate(db: Database) -> list[str]:
    """Apply the migrations not applied yet, each in its own transaction; return their names.

    Safe beside running processes: migrations only add tables, columns and indexes, or drop constraints
    the code does not rely on; two migrators racing serialize on the schema_version row (the loser sees
    the version already applied).
    """
    async with db.transaction() as tx:
        await tx.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "applied_at DOUBLE PRECISION NOT NULL)"
        )
    applied: list[str] = []
    for version, name, sql in migration_files(db.dialect):
        try:
            async with db.transaction() as tx:
                if db.dialect == "postgres":
                    # keyed by schema: migrators of other schemas in the same database need not wait
                    await tx.execute("SELECT pg_advisory_xact_lock(7107001, hashtext(current_schema()))")
                row = await tx.fetchone("SELECT 1 FROM schema_version WHERE version = ?", (version,))
                if row:
                    continue
                statements = split_statements(sql, db.dialect)
                if db.dialect == "postgres" and statements:
                    # one round trip: PostgreSQL runs a parameterless script as one simple query
                    await tx.execute(";\n".join(statements))
                else:
                    for statement in statements:
                        await tx.execute(statement)
                await tx.execute(
                    "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, time.time()),
                )
                applied.append(name)
        except (MigrationError, StoreUnavailableError):
            raise  # a lost connection rolled the migration back: it may be tried again, it did not fail
        except Exception as exc:
            raise MigrationError(f"migration {name} failed: {exc}") from exc
    return applied
