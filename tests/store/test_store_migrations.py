"""Migrations on both backends: applied once, safe to re-run, safe to race."""

from __future__ import annotations

import asyncio

from hookline.store.db import open_database
from hookline.store.migrate import migrate, migration_files
from hookline.store.store import Store


async def _versions(store: Store) -> list[int]:
    async with store.db.reader() as c:
        return [r[0] for r in await c.fetchall("SELECT version FROM schema_version ORDER BY version")]


async def test_every_migration_is_recorded_once(store: Store) -> None:
    expected = [v for v, _name, _sql in migration_files(store.dialect)]
    assert expected, "no migrations found"
    assert await _versions(store) == expected


async def test_rerunning_migrations_applies_nothing_and_keeps_data(store: Store) -> None:
    await store.setting_or_default("kept", "yes")
    assert await migrate(store.db) == []
    assert await migrate(store.db) == []
    assert await store.get_setting("kept") == "yes"
    assert len(await _versions(store)) == len(migration_files(store.dialect))


async def test_both_dialects_ship_the_same_migrations(store: Store) -> None:
    names = {d: [name for _v, name, _sql in migration_files(d)] for d in ("sqlite", "postgres")}
    assert names["sqlite"] == names["postgres"]


async def test_racing_migrators_apply_each_migration_once(store_url: str) -> None:
    # A fresh connection per migrator, as separate processes starting together would have.
    dbs = [open_database(store_url) for _ in range(3)]
    for db in dbs:
        await db.open()
    try:
        results = await asyncio.gather(*(migrate(db) for db in dbs))
    finally:
        for db in dbs:
            await db.close()
    applied = [name for names in results for name in names]
    assert len(applied) == len(set(applied))
    store = await Store.connect(store_url, run_migrations=False)
    try:
        assert len(await _versions(store)) == len(migration_files(store.dialect))
    finally:
        await store.close()


async def test_per_message_tables_carry_no_foreign_keys_on_postgres(store: Store) -> None:
    # PostgreSQL checks a key by locking and rewriting the parent row; the store deletes children itself
    if store.dialect != "postgres":
        return
    async with store.db.reader() as c:
        rows = await c.fetchall(
            "SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f' "
            "AND connamespace = current_schema()::regnamespace"
        )
    assert {r[0] for r in rows} == {
        "endpoints", "endpoint_secrets", "identity_email_addresses", "identity_sessions",
        # account lifecycle: rows that go with their user (or session) when it is deleted
        "identity_codes", "identity_mfa", "identity_sign_in_tokens", "identity_actor_tokens",
        "identity_session_actors",
        # OAuth grants: codes, tokens and consents go with their application or user
        "oauth_codes", "oauth_tokens", "oauth_consents",
        # organizations: memberships, invitations, domains, logos, role grants and active organizations go with
        # their organization, user, role, permission or session
        "identity_organization_logos", "identity_organization_role_permissions", "identity_organization_memberships",
        "identity_organization_invitations", "identity_organization_domains", "identity_session_organizations",
    }  # fmt: skip


async def test_a_new_database_is_migrated_in_one_transaction(pg_url: str) -> None:
    # all or nothing: a new database never stands half-migrated, and it costs one commit, not one per file
    store = await Store.connect(pg_url)
    try:
        async with store.db.reader() as c:
            rows = await c.fetchall("SELECT DISTINCT xmin::text FROM schema_version")
        assert len(rows) == 1, rows
        assert len(await _versions(store)) == len(migration_files("postgres"))
    finally:
        await store.close()
