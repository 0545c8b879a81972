"""Settings: keys and values the server keeps in its database (generated credentials, for one)."""

from __future__ import annotations

from hookline.store.base import StoreBase


class SettingsStore(StoreBase):
    """The ``settings`` table."""

    async def get_setting(self, key: str) -> str | None:
        """Return a stored setting, or None."""
        async with self.db.reader() as c:
            row = await c.fetchone("SELECT value FROM settings WHERE key = ?", (key,))
        return row["value"] if row else None

    async def setting_or_default(self, key: str, default: str) -> tuple[str, bool]:
        """Return the stored setting, storing ``default`` first if there is none; True if it was stored now."""
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (key, default)
            )
            row = await tx.fetchone("SELECT value FROM settings WHERE key = ?", (key,))
        assert row is not None
        return row["value"], changed == 1

    async def put_setting(self, key: str, value: str) -> None:
        """Store a setting, replacing any value it had."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
