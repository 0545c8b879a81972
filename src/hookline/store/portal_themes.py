"""The portal's look per application (``portal_themes``): a JSON document the service layer checks."""

from __future__ import annotations

import time

from hookline.store.db import Database


class PortalThemes:
    """Read and write the theme of an application's portal."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, app_id: str) -> str | None:
        """The stored theme of an application (JSON text), or None."""
        async with self.db.reader() as c:
            row = await c.fetchone("SELECT theme FROM portal_themes WHERE app_id = ?", (app_id,))
        return None if row is None else str(row["theme"])

    async def put(self, app_id: str, theme: str | None) -> None:
        """Store an application's theme (JSON text), or forget it with None."""
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM portal_themes WHERE app_id = ?", (app_id,))
            if theme is not None:
                await tx.execute(
                    "INSERT INTO portal_themes (app_id, theme, updated_at) VALUES (?, ?, ?)",
                    (app_id, theme, time.time()),
                )
