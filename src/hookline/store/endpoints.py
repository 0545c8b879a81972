"""Endpoints and their signing secrets (sealed at rest by the store's ``SecretBox``)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Literal

from hookline.store import claiming
from hookline.store.base import StoreBase, marks, page
from hookline.store.conn import Conn
from hookline.store.errors import NotFoundError
from hookline.store.records import Endpoint, Page
from hookline.store.rows import ENDPOINT_COLS, dumps, endpoint_from_row, endpoint_params
from hookline.store.secret_box import SecretBox


async def signing_secrets(
    c: Conn, box: SecretBox, ids: Sequence[str], now: float, of: Literal["endpoint", "app"] = "endpoint"
) -> dict[str, list[str]]:
    """The secrets that sign now for each of these endpoints, or each enabled endpoint of these
    applications (``of="app"``), newest first, by endpoint id (endpoints without any are left out)."""
    secrets: dict[str, list[str]] = defaultdict(list)
    if not ids:
        return secrets
    column = "s.endpoint_id" if of == "endpoint" else "e.app_id"
    for r in await c.fetchall(
        "SELECT s.endpoint_id, s.secret FROM endpoint_secrets s JOIN endpoints e ON e.id = s.endpoint_id "
        f"WHERE {column} IN ({marks(len(ids))}) AND e.disabled = 0 "
        "AND (s.expires_at IS NULL OR s.expires_at > ?) ORDER BY s.created_at DESC",
        (*ids, now),
    ):
        secrets[r["endpoint_id"]].append(box.open(r["secret"]))
    return secrets


class EndpointStore(StoreBase):
    """The ``endpoints`` and ``endpoint_secrets`` tables."""

    async def create_endpoint(self, ep: Endpoint, secret: str) -> Endpoint:
        """Insert an endpoint with its first secret; ConflictError if its uid is taken in the app."""
        async with self.db.transaction() as tx:
            await tx.execute(
                f"INSERT INTO endpoints ({ENDPOINT_COLS}) VALUES ({marks(18)})", endpoint_params(ep)
            )
            await tx.execute(
                "INSERT INTO endpoint_secrets (endpoint_id, secret, created_at, expires_at) VALUES (?, ?, ?, NULL)",
                (ep.id, self.box.seal(secret), ep.created_at),
            )
        return ep

    async def get_endpoint(self, app_id: str, key: str) -> Endpoint | None:
        """Find an application's endpoint by id or uid."""
        async with self.db.reader() as c:
            row = await c.fetchone(
                f"SELECT {ENDPOINT_COLS} FROM endpoints WHERE app_id = ? AND (id = ? OR uid = ?) "
                "ORDER BY id = ? DESC LIMIT 1",
                (app_id, key, key, key),
            )
        return endpoint_from_row(row) if row else None

    async def endpoints_by_ids(self, app_id: str, ids: Sequence[str]) -> dict[str, Endpoint]:
        """An application's endpoints with these ids (not uids), in one query; unknown ids are left out."""
        rows = await self._rows_by_ids("endpoints", ENDPOINT_COLS, app_id, ids)
        return {ep.id: ep for ep in map(endpoint_from_row, rows)}

    async def require_endpoint(self, app_id: str, key: str) -> Endpoint:
        """Find an application's endpoint by id or uid, or raise NotFoundError."""
        ep = await self.get_endpoint(app_id, key)
        if ep is None:
            raise NotFoundError("endpoint not found")
        return ep

    async def list_endpoints(
        self, app_id: str, limit: int, iterator: str | None, ascending: bool = False
    ) -> Page:
        """List an application's endpoints, newest first by default (as Svix does)."""
        base = f"SELECT {ENDPOINT_COLS} FROM endpoints WHERE app_id = ?"
        sql, params, reverse = self._cursor(base, [app_id], "id", iterator, ascending)
        async with self.db.reader() as c:
            rows = await c.fetchall(sql + " LIMIT ?", (*params, limit + 1))
        return page([endpoint_from_row(r) for r in rows], limit, lambda e: e.id, reverse)

    async def update_endpoint(self, ep: Endpoint) -> Endpoint:
        """Replace an endpoint's fields (not its secrets or health)."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE endpoints SET uid = ?, url = ?, description = ?, disabled = ?, disabled_reason = ?, "
                "throttle_rate = ?, event_types = ?, channels = ?, headers = ?, metadata = ?, updated_at = ?, "
                "first_failure_at = ?, max_in_flight = ?, version = ? WHERE id = ?",
                (
                    ep.uid, ep.url, ep.description, int(ep.disabled), ep.disabled_reason, ep.throttle_rate,
                    dumps(list(ep.event_types) if ep.event_types is not None else None),
                    dumps(list(ep.channels) if ep.channels is not None else None),
                    dumps(ep.headers), dumps(ep.metadata), ep.updated_at, ep.first_failure_at, ep.max_in_flight, ep.version, ep.id,
                ),
            )  # fmt: skip
        return ep

    async def endpoint_isolation(self, endpoint_id: str) -> claiming.BreakerState | None:
        """An endpoint's cap, deliveries in flight and circuit breaker now (see store/claiming.py)."""
        async with self.db.reader() as c:
            return await claiming.breaker_state(c, endpoint_id, time.time())

    async def delete_endpoint(self, endpoint_id: str) -> None:
        """Delete an endpoint, its secrets and its pending deliveries (attempts stay in the log)."""
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM dispatches WHERE endpoint_id = ?", (endpoint_id,))
            await tx.execute("DELETE FROM endpoint_secrets WHERE endpoint_id = ?", (endpoint_id,))
            await tx.execute("DELETE FROM endpoints WHERE id = ?", (endpoint_id,))

    async def get_secrets(self, endpoint_id: str, now: float | None = None) -> list[str]:
        """Return the endpoint's secrets that still sign, newest first."""
        now = time.time() if now is None else now
        async with self.db.reader() as c:
            rows = await c.fetchall(
                "SELECT secret FROM endpoint_secrets WHERE endpoint_id = ? AND (expires_at IS NULL OR expires_at > ?) "
                "ORDER BY created_at DESC",
                (endpoint_id, now),
            )
        return [self.box.open(r["secret"]) for r in rows]

    async def rotate_secret(
        self, endpoint_id: str, new_secret: str, grace_seconds: float, max_old: int | None = None
    ) -> bool:
        """Make ``new_secret`` current; the one it replaces keeps signing for ``grace_seconds``, older ones
        until their own end (as Svix). With ``max_old``, change nothing and return False when more replaced
        secrets than that would still be signing (checked in the same transaction, so two rotations at
        once cannot both pass the check)."""
        now = time.time()
        async with self.db.transaction() as tx:
            if tx.dialect == "postgres":  # SQLite's write transaction already excludes other writers
                await tx.execute("SELECT id FROM endpoints WHERE id = ? FOR UPDATE", (endpoint_id,))
            if max_old is not None:
                row = await tx.fetchone(
                    "SELECT COUNT(*) AS n FROM endpoint_secrets WHERE endpoint_id = ? "
                    "AND (expires_at IS NULL OR expires_at > ?)",
                    (endpoint_id, now),
                )
                # every secret signing now stays signing, except the current one when its grace is 0
                if int(row["n"] if row else 0) - (0 if grace_seconds > 0 else 1) > max_old:
                    return False
            await tx.execute(
                "UPDATE endpoint_secrets SET expires_at = ? WHERE endpoint_id = ? AND expires_at IS NULL",
                (now + grace_seconds, endpoint_id),
            )
            await tx.execute(
                "DELETE FROM endpoint_secrets WHERE endpoint_id = ? AND expires_at <= ?", (endpoint_id, now)
            )
            await tx.execute(
                "INSERT INTO endpoint_secrets (endpoint_id, secret, created_at, expires_at) VALUES (?, ?, ?, NULL)",
                (endpoint_id, self.box.seal(new_secret), now),
            )
        return True
