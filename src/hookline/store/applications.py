"""Applications and the event types they send: their rows, and deleting an application whole."""

from __future__ import annotations

from hookline.store.base import StoreBase, marks, page
from hookline.store.errors import NotFoundError
from hookline.store.operational import OPERATIONAL_APP_ID
from hookline.store.records import Application, EventType, Page
from hookline.store.rows import (
    APP_COLS,
    EVENT_TYPE_COLS,
    app_from_row,
    app_params,
    dumps,
    event_type_from_row,
    event_type_params,
)


class ApplicationStore(StoreBase):
    """The ``applications`` and ``event_types`` tables."""

    async def create_app(self, app: Application) -> Application:
        """Insert an application; ConflictError if its uid is taken."""
        async with self.db.transaction() as tx:
            await tx.execute(f"INSERT INTO applications ({APP_COLS}) VALUES ({marks(7)})", app_params(app))
        return app

    async def get_app(self, key: str) -> Application | None:
        """Find an application by id or uid (never the internal one of operational webhooks)."""
        async with self.db.reader() as c:
            row = await c.fetchone(
                f"SELECT {APP_COLS} FROM applications WHERE (id = ? OR uid = ?) AND id <> ? "
                "ORDER BY id = ? DESC LIMIT 1",
                (key, key, OPERATIONAL_APP_ID, key),
            )
        return app_from_row(row) if row else None

    async def require_app(self, key: str) -> Application:
        """Find an application by id or uid, or raise NotFoundError."""
        app = await self.get_app(key)
        if app is None:
            raise NotFoundError("application not found")
        return app

    async def list_apps(self, limit: int, iterator: str | None, ascending: bool = True) -> Page:
        """List applications by id, cursor-paginated."""
        sql, params, reverse = self._cursor(
            f"SELECT {APP_COLS} FROM applications WHERE id <> ?",
            [OPERATIONAL_APP_ID],
            "id",
            iterator,
            ascending,
        )
        async with self.db.reader() as c:
            rows = await c.fetchall(sql + " LIMIT ?", (*params, limit + 1))
        return page([app_from_row(r) for r in rows], limit, lambda a: a.id, reverse)

    async def update_app(self, app: Application) -> Application:
        """Replace an application's fields."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE applications SET uid = ?, name = ?, throttle_rate = ?, metadata = ?, updated_at = ? "
                "WHERE id = ?",
                (app.uid, app.name, app.throttle_rate, dumps(app.metadata), app.updated_at, app.id),
            )
        return app

    async def delete_app(self, app_id: str) -> None:
        """Delete an application with its endpoints, messages, attempts and portal look."""
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM dispatches WHERE app_id = ?", (app_id,))
            await tx.execute("DELETE FROM attempts WHERE app_id = ?", (app_id,))
            await tx.execute("DELETE FROM messages WHERE app_id = ?", (app_id,))
            await tx.execute(
                "DELETE FROM endpoint_secrets WHERE endpoint_id IN (SELECT id FROM endpoints WHERE app_id = ?)",
                (app_id,),
            )
            await tx.execute("DELETE FROM endpoints WHERE app_id = ?", (app_id,))
            await tx.execute("DELETE FROM portal_themes WHERE app_id = ?", (app_id,))
            await tx.execute("DELETE FROM applications WHERE id = ?", (app_id,))

    async def create_event_type(self, et: EventType) -> EventType:
        """Insert an event type; ConflictError if the name exists (even archived)."""
        async with self.db.transaction() as tx:
            await tx.execute(
                f"INSERT INTO event_types ({EVENT_TYPE_COLS}) VALUES ({marks(9)})", event_type_params(et)
            )
        return et

    async def upsert_event_type(self, et: EventType) -> EventType:
        """Insert or replace an event type."""
        async with self.db.transaction() as tx:
            await tx.execute(
                f"INSERT INTO event_types ({EVENT_TYPE_COLS}) VALUES ({marks(9)}) ON CONFLICT (name) DO UPDATE SET "
                "description = excluded.description, archived = excluded.archived, deprecated = excluded.deprecated, "
                "schemas = excluded.schemas, group_name = excluded.group_name, "
                "feature_flags = excluded.feature_flags, updated_at = excluded.updated_at",
                event_type_params(et),
            )
        return et

    async def get_event_type(self, name: str) -> EventType | None:
        """Find an event type by name (archived ones too)."""
        async with self.db.reader() as c:
            row = await c.fetchone(f"SELECT {EVENT_TYPE_COLS} FROM event_types WHERE name = ?", (name,))
        return event_type_from_row(row) if row else None

    async def list_event_types(
        self, limit: int, iterator: str | None, include_archived: bool = False, ascending: bool = True
    ) -> Page:
        """List event types by name."""
        base = f"SELECT {EVENT_TYPE_COLS} FROM event_types" + (
            "" if include_archived else " WHERE archived = 0"
        )
        sql, params, reverse = self._cursor(base, [], "name", iterator, ascending)
        async with self.db.reader() as c:
            rows = await c.fetchall(sql + " LIMIT ?", (*params, limit + 1))
        return page([event_type_from_row(r) for r in rows], limit, lambda e: e.name, reverse)

    async def delete_event_type(self, name: str) -> None:
        """Remove an event type for good (``archive`` is an update)."""
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM event_types WHERE name = ?", (name,))
