"""The store: every read and write hookline makes, as SQL shared by SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

from hookline.ids import new_id
from hookline.store import accepting, claiming, pg_batch, pg_targets, postgres
from hookline.store.accepting import PENDING, SENDING
from hookline.store.db import Conn, Database, Row, open_database
from hookline.store.errors import NotFoundError, StoreUnavailableError
from hookline.store.migrate import migrate
from hookline.store.records import (
    Accepted,
    Application,
    Attempt,
    Claim,
    Dispatch,
    Endpoint,
    EventType,
    Lease,
    Message,
    MessageStatus,
    NewMessage,
    OperationalEvent,
    Outcome,
    Page,
    Task,
    TriggerType,
)
from hookline.store.rows import (
    APP_COLS,
    ATTEMPT_COLS,
    DISPATCH_COLS,
    ENDPOINT_COLS,
    EVENT_TYPE_COLS,
    MESSAGE_COLS,
    PACED_ENDPOINT_COLS,
    app_from_row,
    app_params,
    attempt_from_row,
    attempt_params,
    dispatch_from_row,
    dumps,
    endpoint_from_row,
    endpoint_params,
    event_type_from_row,
    event_type_params,
    message_from_row,
    op_event_from_row,
    task_from_row,
)
from hookline.store.secret_box import SecretBox

log = logging.getLogger("hookline.store")

# how long an answer given for an idempotency key is replayed (older ones are purged)
IDEMPOTENCY_SECONDS = 86400.0
# A batch is planned again after an application it stores to changed meanwhile, at most this often.
STALE_TRIES = 5


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _page(rows: list[Any], limit: int, key: Any, reverse: bool) -> Page:
    """Build a page from ``limit + 1`` fetched rows; ``reverse`` when fetched backwards for a prev page."""
    done = len(rows) <= limit
    rows = rows[:limit]
    if reverse:
        rows.reverse()
    if not rows:
        return Page([], None, None, True)
    return Page(rows, key(rows[-1]), "-" + key(rows[0]), done and not reverse)


class Store:
    """hookline's persistence. ``await Store.connect(url)`` opens and migrates the database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._targets = pg_targets.TargetCache()  # PostgreSQL's accept look-ups, checked on each use
        # seals endpoint secrets before they are written and opens them as read (store/encryption.py
        # gives it the keys at start); without keys secrets are stored as they are
        self.box = SecretBox()
        # how claims share the workers among endpoints (the worker sets its settings here)
        self.fair = claiming.FairClaim()

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgres``."""
        return self.db.dialect

    @classmethod
    async def connect(cls, url: str, *, run_migrations: bool = True, patience: float = 0.0) -> Store:
        """Open the database at ``url`` and (by default) apply pending migrations.

        While the database is unavailable (starting, failing over, dropping connections), keep trying
        for up to ``patience`` seconds before raising ``StoreUnavailableError``.
        """
        deadline = time.monotonic() + patience
        delay = 0.2
        while True:
            try:
                return await cls._open(url, run_migrations)
            except StoreUnavailableError as exc:
                if time.monotonic() + delay > deadline:
                    raise
                log.warning("the database is unavailable (%s); trying again in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    @classmethod
    async def _open(cls, url: str, run_migrations: bool) -> Store:
        db = open_database(url)
        await db.open()
        try:
            if run_migrations:
                await migrate(db)
        except BaseException:
            await db.close()
            raise
        return cls(db)

    async def close(self) -> None:
        """Close every connection."""
        await self.db.close()

    # -- settings ---------------------------------------------------------------------------------
    async def get_setting(self, key: str) -> str | None:
        """Return a stored setting, or None."""
        async with self.db.reader() as c:
            row = await c.fetchone("SELECT value FROM settings WHERE key = ?", (key,))
        return row[0] if row else None

    async def setting_or_default(self, key: str, default: str) -> tuple[str, bool]:
        """Return the stored setting, storing ``default`` first if there is none; True if it was stored now."""
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (key, default)
            )
            row = await tx.fetchone("SELECT value FROM settings WHERE key = ?", (key,))
        assert row is not None
        return row[0], changed == 1

    # -- applications -----------------------------------------------------------------------------
    async def create_app(self, app: Application) -> Application:
        """Insert an application; ConflictError if its uid is taken."""
        async with self.db.transaction() as tx:
            await tx.execute(f"INSERT INTO applications ({APP_COLS}) VALUES ({_marks(7)})", app_params(app))
        return app

    async def get_app(self, key: str) -> Application | None:
        """Find an application by id or uid."""
        async with self.db.reader() as c:
            row = await c.fetchone(
                f"SELECT {APP_COLS} FROM applications WHERE id = ? OR uid = ? ORDER BY id = ? DESC LIMIT 1",
                (key, key, key),
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
            f"SELECT {APP_COLS} FROM applications", [], "id", iterator, ascending
        )
        async with self.db.reader() as c:
            rows = await c.fetchall(sql + " LIMIT ?", (*params, limit + 1))
        return _page([app_from_row(r) for r in rows], limit, lambda a: a.id, reverse)

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
        """Delete an application with its endpoints, messages and attempts."""
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM dispatches WHERE app_id = ?", (app_id,))
            await tx.execute("DELETE FROM attempts WHERE app_id = ?", (app_id,))
            await tx.execute("DELETE FROM messages WHERE app_id = ?", (app_id,))
            await tx.execute(
                "DELETE FROM endpoint_secrets WHERE endpoint_id IN (SELECT id FROM endpoints WHERE app_id = ?)",
                (app_id,),
            )
            await tx.execute("DELETE FROM endpoints WHERE app_id = ?", (app_id,))
            await tx.execute("DELETE FROM applications WHERE id = ?", (app_id,))

    @staticmethod
    def _cursor(
        base: str, params: list[Any], column: str, iterator: str | None, ascending: bool
    ) -> tuple[str, list[Any], bool]:
        """Add keyset pagination to a query; an iterator starting with '-' pages backwards."""
        reverse = bool(iterator and iterator.startswith("-"))
        forward_asc = ascending != reverse
        joiner = " AND " if " WHERE " in base else " WHERE "
        if iterator:
            value = iterator[1:] if reverse else iterator
            base += f"{joiner}{column} {'>' if forward_asc else '<'} ?"
            params = [*params, value]
        base += f" ORDER BY {column} {'ASC' if forward_asc else 'DESC'}"
        return base, params, reverse

    # -- event types ------------------------------------------------------------------------------
    async def create_event_type(self, et: EventType) -> EventType:
        """Insert an event type; ConflictError if the name exists (even archived)."""
        async with self.db.transaction() as tx:
            await tx.execute(
                f"INSERT INTO event_types ({EVENT_TYPE_COLS}) VALUES ({_marks(9)})", event_type_params(et)
            )
        return et

    async def upsert_event_type(self, et: EventType) -> EventType:
        """Insert or replace an event type."""
        async with self.db.transaction() as tx:
            await tx.execute(
                f"INSERT INTO event_types ({EVENT_TYPE_COLS}) VALUES ({_marks(9)}) ON CONFLICT (name) DO UPDATE SET "
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
        return _page([event_type_from_row(r) for r in rows], limit, lambda e: e.name, reverse)

    async def delete_event_type(self, name: str) -> None:
        """Remove an event type for good (``archive`` is an update)."""
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM event_types WHERE name = ?", (name,))

    # -- endpoints --------------------------------------------------------------------------------
    async def create_endpoint(self, ep: Endpoint, secret: str) -> Endpoint:
        """Insert an endpoint with its first secret; ConflictError if its uid is taken in the app."""
        async with self.db.transaction() as tx:
            await tx.execute(
                f"INSERT INTO endpoints ({ENDPOINT_COLS}) VALUES ({_marks(17)})", endpoint_params(ep)
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
        return _page([endpoint_from_row(r) for r in rows], limit, lambda e: e.id, reverse)

    async def update_endpoint(self, ep: Endpoint) -> Endpoint:
        """Replace an endpoint's fields (not its secrets or health)."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE endpoints SET uid = ?, url = ?, description = ?, disabled = ?, disabled_reason = ?, "
                "throttle_rate = ?, event_types = ?, channels = ?, headers = ?, metadata = ?, updated_at = ?, "
                "first_failure_at = ?, max_in_flight = ? WHERE id = ?",
                (
                    ep.uid, ep.url, ep.description, int(ep.disabled), ep.disabled_reason, ep.throttle_rate,
                    dumps(list(ep.event_types) if ep.event_types is not None else None),
                    dumps(list(ep.channels) if ep.channels is not None else None),
                    dumps(ep.headers), dumps(ep.metadata), ep.updated_at, ep.first_failure_at, ep.max_in_flight, ep.id,
                ),
            )  # fmt: skip
        return ep

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
        return [self.box.open(r[0]) for r in rows]

    async def rotate_secret(self, endpoint_id: str, new_secret: str, grace_seconds: float) -> None:
        """Make ``new_secret`` current; older secrets keep signing for ``grace_seconds``."""
        now = time.time()
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE endpoint_secrets SET expires_at = ? WHERE endpoint_id = ? AND (expires_at IS NULL OR expires_at > ?)",
                (now + grace_seconds, endpoint_id, now + grace_seconds),
            )
            await tx.execute(
                "DELETE FROM endpoint_secrets WHERE endpoint_id = ? AND expires_at <= ?", (endpoint_id, now)
            )
            await tx.execute(
                "INSERT INTO endpoint_secrets (endpoint_id, secret, created_at, expires_at) VALUES (?, ?, ?, NULL)",
                (endpoint_id, self.box.seal(new_secret), now),
            )

    # -- messages ---------------------------------------------------------------------------------
    async def accept_messages(
        self, batch: Sequence[NewMessage], lease: Lease | None = None
    ) -> list[BaseException | Accepted]:
        """Store messages with one dispatch per matching endpoint, all in one transaction.

        Per message the result is an ``Accepted`` (fan-out, or the stored answer of an idempotency key
        seen before) or the error that refused it: NotFoundError for an unknown application,
        ConflictError for a reused event id. With a ``lease``, up to ``lease.slots`` dispatches are
        stored leased to the caller and come back as its claims.
        """
        if self.dialect == "postgres":
            return await self._accept_postgres(batch, lease)
        return await self.db.run_transaction(lambda tx: self.accept_in(tx, batch, lease))

    async def accept_in(
        self, tx: Conn, batch: Sequence[NewMessage], lease: Lease | None = None
    ) -> list[BaseException | Accepted]:
        """``accept_messages`` inside a caller's transaction (the transactional outbox of identity changes)."""
        now = time.time()
        apps = await self._resolve_apps(tx, {n.app_key for n in batch if n.app_key})
        since = now - IDEMPOTENCY_SECONDS
        replays = await self._idempotent_answers(
            tx, [n.idempotency_key for n in batch if n.idempotency_key], since
        )
        resolved = accepting.resolve(batch, apps)
        endpoints = await self._active_endpoints(tx, {m.app_id for m in resolved if m is not None})
        taken = await self._taken_event_ids(
            tx, [(m.app_id, m.event_id) for m in resolved if m and m.event_id]
        )
        leasing = lease is not None and lease.slots > 0
        secrets = await self._signing_secrets(tx, sorted(endpoints), now, of="app") if leasing else {}
        plan = accepting.plan_accept(
            batch,
            resolved,
            replays=replays,
            endpoints=endpoints,
            taken=taken,
            secrets=secrets,
            lease=lease,
            now=now,
        )
        if tx.dialect == "postgres":
            if plan.messages or plan.idempotency:
                refused = await tx.fetchall(pg_batch.INSERT_ACCEPTED, pg_batch.accepted_params(plan, since))
                if refused:
                    await self._settle_refused(tx, plan, batch, refused, since)
            return plan.results
        if plan.messages:
            await tx.executemany(f"INSERT INTO messages ({MESSAGE_COLS}) VALUES ({_marks(9)})", plan.messages)
        if plan.dispatches:
            await tx.executemany(
                "INSERT INTO dispatches (msg_id, endpoint_id, app_id, status, attempts, trigger_type, "
                "next_attempt_at, updated_at, lease_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                plan.dispatches,
            )
        if plan.idempotency:
            await tx.executemany(
                "INSERT INTO idempotency (key, status_code, body, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET status_code = excluded.status_code, body = excluded.body, "
                "created_at = excluded.created_at",
                plan.idempotency,
            )
        return plan.results

    async def _accept_postgres(
        self, batch: Sequence[NewMessage], lease: Lease | None
    ) -> list[BaseException | Accepted]:
        """``accept_messages`` in one statement: the insert of every row, planned with what this
        process last looked up of the applications (idempotency keys and event ids add a look-up each).

        The insert checks the applications' configuration versions (see ``pg_targets``); a batch
        whose look-up is missing or out of date costs one more round trip, or two. Under READ
        COMMITTED a transaction around the statements would see nothing more (each statement takes
        its own snapshot), and one statement is atomic by itself; only a batch holding a message with
        both an idempotency key and an event id writes inside one (see below).
        """
        now = time.time()
        keys = sorted({n.app_key if n.app_key is not None else n.message.app_id for n in batch})
        # one cut-off for the look-up and the write, so an answer is either replayed or replaced
        since = now - IDEMPOTENCY_SECONDS
        async with self.db.keyed() as c:
            replays = await self._idempotent_answers(
                c, [n.idempotency_key for n in batch if n.idempotency_key], since
            )
            known = self._targets.get(keys)
            for _ in range(STALE_TRIES):
                if known is None:
                    known = await self._look_up_targets(c, keys, now)
                resolved = accepting.resolve(batch, {key: t.app_id for key, t in known.items()})
                taken: set[tuple[str, str]] = set()
                if pairs := [(m.app_id, m.event_id) for m in resolved if m and m.event_id]:
                    # on a connection planning for its own parameters: the messages table has three
                    # indexes led by app_id, and only a plan made for this batch picks the right one
                    async with self.db.reader() as own:
                        taken = await self._taken_event_ids(own, pairs)
                apps = {t.app_id: t for t in known.values()}
                # a lease starts as its rows are written, not when the look-ups began
                plan = accepting.plan_accept(
                    batch, resolved, replays=dict(replays), taken=taken, lease=lease, now=time.time(),
                    endpoints={a: list(t.endpoints) for a, t in apps.items()},
                    secrets={
                        ep.id: [self.box.open(s) for s in t.signing(ep.id, now)]
                        for t in apps.values()
                        for ep in t.endpoints
                    },
                )  # fmt: skip
                if not (plan.messages or plan.idempotency):
                    return plan.results
                versions = {m.app_id: apps[m.app_id].version for m in resolved if m and m.app_id in apps}
                # Only a message with both a key and an event id can have its answer written and then
                # be refused, its event id taken meanwhile: the answer's removal must then commit with
                # its writing, or a crash between the two leaves an answer replaying a message that
                # was never stored. Other batches need no transaction around their one statement.
                atomic = any(n.idempotency_key and n.message.event_id for n in batch)
                async with postgres.atomic(c) if atomic else contextlib.nullcontext(c) as w:
                    rows = await w.fetchall(
                        pg_batch.INSERT_ACCEPTED, pg_batch.accepted_params(plan, since, versions)
                    )
                    if rows and rows[0][0] is not None:
                        await self._settle_refused(w, plan, batch, rows, since)
                if rows and rows[0][0] is None:
                    # an application changed since it was looked up: nothing was written
                    self._targets.forget(versions)
                    known = None
                    continue
                return plan.results
        raise StoreUnavailableError(
            "the applications kept changing while a batch was being stored; try again"
        )

    async def _look_up_targets(self, c: Conn, keys: list[str], now: float) -> dict[str, pg_targets.Targets]:
        """Look the applications named by ``keys`` up afresh and remember them; unknown keys are left out."""
        rows = await c.fetchall(pg_batch.APPS_AND_TARGETS, (now, now, keys, keys))
        found = pg_targets.targets_from_rows(rows, pg_batch.TARGET_ENDPOINT)
        self._targets.put(found)
        by_id = {t.app_id: t for t in found}
        return {
            key: by_id[app_id]
            for key, app_id in accepting.app_ids_by_key(keys, [(t.app_id, t.uid) for t in found]).items()
        }

    async def _settle_refused(
        self,
        c: Conn,
        plan: accepting.AcceptPlan,
        batch: Sequence[NewMessage],
        refused: list[Row],
        since: float,
    ) -> None:
        """The rare end of ``_accept_postgres``: messages another request beat to their event id or key."""
        keys = dict(zip((row[0] for row in plan.messages), plan.message_keys, strict=True))
        # an answer stored for a message that then lost its event id would replay a message that
        # does not exist
        bodies = {row[0]: row[2] for row in plan.idempotency}
        written = [(key, bodies[key]) for r in refused if r[1] and (key := keys[r[0]]) is not None]
        if written:
            await c.executemany("DELETE FROM idempotency WHERE key = ? AND body = ?", written)
        others = [key for r in refused if not r[1] and (key := keys[r[0]]) is not None]
        answers = await self._idempotent_answers(c, others, since)
        accepting.refuse(plan, batch, [r[0] for r in refused], answers)

    async def _resolve_apps(self, c: Conn, keys: set[str]) -> dict[str, str]:
        """Map application ids and uids to ids."""
        if not keys:
            return {}
        ks = sorted(keys)
        rows = await c.fetchall(
            f"SELECT id, uid FROM applications WHERE id IN ({_marks(len(ks))}) OR uid IN ({_marks(len(ks))})",
            ks + ks,
        )
        return accepting.app_ids_by_key(keys, rows)

    async def _idempotent_answers(self, c: Conn, keys: list[str], since: float) -> dict[str, str]:
        """Stored answers for the keys, given after ``since`` (older ones are replaced, then purged)."""
        if not keys:
            return {}
        ks = sorted(set(keys))
        rows = await c.fetchall(
            f"SELECT key, body FROM idempotency WHERE key IN ({_marks(len(ks))}) AND created_at > ?",
            (*ks, since),
        )
        return {r[0]: r[1] for r in rows}

    async def _signing_secrets(
        self, c: Conn, ids: Sequence[str], now: float, of: Literal["endpoint", "app"] = "endpoint"
    ) -> dict[str, list[str]]:
        """The secrets that sign now for each of these endpoints, or each enabled endpoint of these
        applications (``of="app"``), newest first, by endpoint id (endpoints without any are left out)."""
        secrets: dict[str, list[str]] = defaultdict(list)
        if not ids:
            return secrets
        column = "s.endpoint_id" if of == "endpoint" else "e.app_id"
        for r in await c.fetchall(
            "SELECT s.endpoint_id, s.secret FROM endpoint_secrets s JOIN endpoints e ON e.id = s.endpoint_id "
            f"WHERE {column} IN ({_marks(len(ids))}) AND e.disabled = 0 "
            "AND (s.expires_at IS NULL OR s.expires_at > ?) ORDER BY s.created_at DESC",
            (*ids, now),
        ):
            secrets[r[0]].append(self.box.open(r[1]))
        return secrets

    async def _active_endpoints(self, c: Conn, app_ids: set[str]) -> dict[str, list[Endpoint]]:
        if not app_ids:
            return {}
        ids = sorted(app_ids)
        rows = await c.fetchall(
            f"SELECT {PACED_ENDPOINT_COLS} FROM endpoints e JOIN applications a ON a.id = e.app_id "
            f"WHERE e.app_id IN ({_marks(len(ids))}) AND e.disabled = 0",
            ids,
        )
        out: dict[str, list[Endpoint]] = defaultdict(list)
        for r in rows:
            ep = endpoint_from_row(r)
            out[ep.app_id].append(ep)
        return out

    async def _taken_event_ids(self, c: Conn, pairs: list[tuple[str, str | None]]) -> set[tuple[str, str]]:
        """The (app, event id) pairs of a batch already used by stored messages, in one query."""
        wanted = {(app_id, event_id) for app_id, event_id in pairs if event_id}
        if not wanted:
            return set()
        apps = sorted({app_id for app_id, _ in wanted})
        ids = sorted({event_id for _, event_id in wanted})
        # both columns bound so the (app_id, event_id) unique index serves the look-up
        rows = await c.fetchall(
            f"SELECT app_id, event_id FROM messages WHERE app_id IN ({_marks(len(apps))}) "
            f"AND event_id IN ({_marks(len(ids))})",
            [*apps, *ids],
        )
        return {(r[0], r[1]) for r in rows if (r[0], r[1]) in wanted}

    async def get_message(self, app_id: str, key: str) -> Message | None:
        """Find a message by id or event id."""
        async with self.db.reader() as c:
            row = await c.fetchone(
                f"SELECT {MESSAGE_COLS} FROM messages WHERE app_id = ? AND (id = ? OR event_id = ?) "
                "ORDER BY id = ? DESC LIMIT 1",
                (app_id, key, key, key),
            )
        return message_from_row(row) if row else None

    async def messages_by_ids(self, app_id: str, ids: Sequence[str]) -> dict[str, Message]:
        """An application's messages with these ids (not event ids), in one query; unknown ids are left out."""
        rows = await self._rows_by_ids("messages", MESSAGE_COLS, app_id, ids)
        return {m.id: m for m in map(message_from_row, rows)}

    async def _rows_by_ids(self, table: str, cols: str, app_id: str, ids: Sequence[str]) -> list[Row]:
        """Rows of ``table`` owned by ``app_id`` whose id is one of ``ids``, in one query."""
        wanted = sorted(set(ids))
        if not wanted:
            return []
        async with self.db.reader() as c:
            return await c.fetchall(
                f"SELECT {cols} FROM {table} WHERE app_id = ? AND id IN ({_marks(len(wanted))})",
                (app_id, *wanted),
            )

    async def list_messages(
        self,
        app_id: str,
        limit: int,
        iterator: str | None,
        *,
        event_types: Sequence[str] | None = None,
        channel: str | None = None,
        before: float | None = None,
        after: float | None = None,
        tag: str | None = None,
    ) -> Page:
        """List an application's messages, newest first, with Svix's filters."""
        base = f"SELECT {MESSAGE_COLS} FROM messages WHERE app_id = ?"
        params: list[Any] = [app_id]
        if event_types:
            base += f" AND event_type IN ({_marks(len(event_types))})"
            params.extend(event_types)
        if before is not None:
            base += " AND created_at < ?"
            params.append(before)
        if after is not None:
            base += " AND created_at > ?"
            params.append(after)
        if channel is not None:
            base += " AND channels LIKE ?"
            params.append(f"%{json.dumps(channel)}%")
        if tag is not None:
            base += " AND tags LIKE ?"
            params.append(f"%{json.dumps(tag)}%")
        sql, params, reverse = self._cursor(base, params, "id", iterator, ascending=False)
        async with self.db.reader() as c:
            rows = await c.fetchall(sql + " LIMIT ?", (*params, limit + 1))
        return _page([message_from_row(r) for r in rows], limit, lambda m: m.id, reverse)

    async def get_idempotent(self, key: str, since: float) -> tuple[int, str] | None:
        """Return the stored (status, body) answered for an idempotency key newer than ``since``."""
        async with self.db.reader() as c:
            row = await c.fetchone(
                "SELECT status_code, body FROM idempotency WHERE key = ? AND created_at > ?", (key, since)
            )
        return (row[0], row[1]) if row else None

    async def put_idempotent(self, key: str, status: int, body: str) -> None:
        """Remember the answer given for an idempotency key (replacing an expired one)."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO idempotency (key, status_code, body, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET status_code = excluded.status_code, body = excluded.body, "
                "created_at = excluded.created_at",
                (key, status, body, time.time()),
            )

    async def purge(self, now: float, idempotency_before: float) -> None:
        """Drop expired payloads and idempotency records."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE messages SET payload = NULL WHERE expires_at IS NOT NULL AND expires_at < ? AND payload IS NOT NULL",
                (now,),
            )
            await tx.execute("DELETE FROM idempotency WHERE created_at < ?", (idempotency_before,))

    # -- dispatch: claim, complete, requeue -------------------------------------------------------
    async def claim(
        self, limit: int, lease_seconds: float, now: float | None = None, *, waited: float = 0.0
    ) -> list[Claim]:
        """Lease up to ``limit`` due dispatches (reclaiming expired leases) with what sending needs.

        With ``waited``, only dispatches that have been due at least that many seconds are taken.
        """
        now = time.time() if now is None else now
        lease_until = now + lease_seconds
        if self.dialect == "postgres":
            return await self._claim_postgres(limit, lease_until, now, now - waited)
        return await self.db.run_transaction(
            lambda tx: self._claim_in(tx, limit, lease_until, now, now - waited)
        )

    async def _claim_in(
        self, tx: Conn, limit: int, lease_until: float, now: float, due_by: float
    ) -> list[Claim]:
        """``claim`` inside a transaction: lease a fair batch, then look up what sending needs."""
        rows, probes = await claiming.lease_sqlite(tx, self.fair, limit, due_by, now, lease_until, SENDING)
        if not rows:
            return []
        msg_ids = sorted({r[0] for r in rows})
        ep_ids = sorted({r[1] for r in rows})
        messages = {
            r[0]: (r[1], r[2])
            for r in await tx.fetchall(
                f"SELECT id, event_type, payload FROM messages WHERE id IN ({_marks(len(msg_ids))})",
                msg_ids,
            )
        }
        endpoints = {
            r[0]: r
            for r in await tx.fetchall(
                "SELECT e.id, e.url, e.headers, COALESCE(e.throttle_rate, a.throttle_rate), e.disabled "
                f"FROM endpoints e LEFT JOIN applications a ON a.id = e.app_id WHERE e.id IN ({_marks(len(ep_ids))})",
                ep_ids,
            )
        }
        secrets = await self._signing_secrets(tx, ep_ids, now)
        claims: list[Claim] = []
        dead: list[tuple[Any, ...]] = []
        for msg_id, ep_id, app_id, attempts, trigger, send_slot in rows:
            msg = messages.get(msg_id)
            ep = endpoints.get(ep_id)
            if msg is None or ep is None or ep[4] or msg[1] is None or not secrets.get(ep_id):
                # nothing can be sent: the endpoint went away or was disabled, or the payload expired
                dead.append((int(MessageStatus.FAIL), now, msg_id, ep_id))
                continue
            claims.append(
                Claim(
                    msg_id, ep_id, app_id, attempts, msg[0], msg[1], ep[1], json.loads(ep[2] or "{}"), ep[3],
                    tuple(secrets[ep_id]), TriggerType(trigger), send_slot, ep_id in probes,
                )
            )  # fmt: skip
        if dead:
            await tx.executemany(
                "UPDATE dispatches SET status = ?, next_attempt_at = NULL, lease_until = NULL, updated_at = ? "
                "WHERE msg_id = ? AND endpoint_id = ?",
                dead,
            )
        return claims

    async def _claim_postgres(self, limit: int, lease_until: float, now: float, due_by: float) -> list[Claim]:
        """``claim`` as one statement: lease with SKIP LOCKED and return what sending needs.

        One statement is its own transaction, so a claim costs one round trip instead of six
        (BEGIN, the lease, three look-ups, COMMIT); with several workers that is most of their
        database time, since every wake-up claims.
        """
        async with self.db.keyed() as c:
            rows = await c.fetchall(
                claiming.PG_CLAIM,
                claiming.pg_claim_params(self.fair, limit, due_by, now, lease_until, SENDING),
            )
            self.fair.advance(sorted({r[1] for r in rows}), len(rows), limit)
            self.fair.held = bool(rows) and bool(rows[0][14])
            claims: list[Claim] = []
            dead: list[tuple[Any, ...]] = []
            for r in rows:
                # r: msg_id, endpoint_id, app_id, attempts, trigger, event_type, payload, url, headers,
                # throttle_rate, disabled, secrets, send_slot
                if r[7] is None or r[10] or r[6] is None or not r[11]:
                    # nothing can be sent: the endpoint went away or was disabled, or the payload expired
                    dead.append((int(MessageStatus.FAIL), now, r[0], r[1]))
                    continue
                claims.append(
                    Claim(
                        r[0], r[1], r[2], r[3], r[5], r[6], r[7], json.loads(r[8] or "{}"), r[9],
                        tuple(map(self.box.open, r[11])),
                        TriggerType(r[4]), r[12], bool(r[13]),
                    )
                )  # fmt: skip
            if dead:
                await c.executemany(  # the key as a range of one row, as in pg_batch.RECORD_OUTCOMES
                    "UPDATE dispatches SET status = ?, next_attempt_at = NULL, lease_until = NULL, updated_at = ? "
                    "WHERE (msg_id, endpoint_id) >= (?, ?) AND (msg_id, endpoint_id) <= (?, ?)",
                    [(*d, *d[2:]) for d in dead],
                )
        return claims

    async def complete(self, outcomes: Sequence[Outcome], disable_after: float) -> list[OperationalEvent]:
        """Record attempts and move each dispatch on; update endpoint health; return operational events."""
        now = time.time()
        events: list[OperationalEvent] = []
        if self.dialect == "postgres" and pg_batch.is_plain(outcomes):
            # the common batch in one statement; only endpoints now failing too long need more
            async with self.db.keyed() as c:
                rows = await c.fetchall(
                    pg_batch.RECORD_OUTCOMES, pg_batch.record_outcomes_params(outcomes, now, disable_after)
                )
                await claiming.record_breakers(c, outcomes, self.fair.breaker, now)
            if not rows:
                return events
            async with self.db.transaction() as tx:
                reason = "failing without a success for too long"
                await self._disable_endpoints(tx, {r[0]: reason for r in rows}, events, now)
            return events
        return await self.db.run_transaction(lambda tx: self._complete_in(tx, outcomes, disable_after, now))

    async def _complete_in(
        self,
        tx: Conn,
        outcomes: Sequence[Outcome],
        disable_after: float,
        now: float,
    ) -> list[OperationalEvent]:
        """``complete`` inside a transaction; returns the operational events it recorded."""
        events: list[OperationalEvent] = []
        # a message deleted (with its application) while it was being sent has no attempts to keep
        await tx.executemany(
            f"INSERT INTO attempts ({ATTEMPT_COLS}) SELECT {_marks(12)} "
            "WHERE EXISTS (SELECT 1 FROM messages WHERE id = ?)",
            [(*attempt_params(o.attempt), o.attempt.msg_id) for o in outcomes],
        )
        updates = []
        for o in outcomes:
            a = o.attempt
            if a.status == MessageStatus.SUCCESS:
                status, nxt = int(MessageStatus.SUCCESS), None
            elif o.next_attempt_at is None:
                status, nxt = int(MessageStatus.FAIL), None
            else:
                status, nxt = PENDING, o.next_attempt_at
            updates.append((status, nxt, now, a.msg_id, a.endpoint_id))
            if (
                status == MessageStatus.FAIL
                and a.trigger_type == TriggerType.SCHEDULED
                and not o.disable_endpoint
            ):
                events.append(self._op_event("message.attempt.exhausted", {
                    "appId": a.app_id, "endpointId": a.endpoint_id, "msgId": a.msg_id,
                    "lastAttempt": {"id": a.id, "responseStatusCode": a.response_status_code,
                                    "timestamp": a.created_at},
                }, now))  # fmt: skip
        await tx.executemany(
            "UPDATE dispatches SET status = ?, next_attempt_at = ?, lease_until = NULL, attempts = attempts + 1, "
            "trigger_type = 0, send_slot = NULL, updated_at = ? WHERE msg_id = ? AND endpoint_id = ?",
            updates,
        )
        failed = sorted(
            {o.attempt.endpoint_id for o in outcomes if o.attempt.status != MessageStatus.SUCCESS}
        )
        succeeded = sorted(
            {o.attempt.endpoint_id for o in outcomes if o.attempt.status == MessageStatus.SUCCESS}
        )
        if failed:
            await tx.execute(
                f"UPDATE endpoints SET first_failure_at = ? WHERE id IN ({_marks(len(failed))}) "
                "AND first_failure_at IS NULL",
                (now, *failed),
            )
        if succeeded:
            await tx.execute(
                f"UPDATE endpoints SET first_failure_at = NULL, last_success_at = ? WHERE id IN ({_marks(len(succeeded))}) "
                "AND (first_failure_at IS NOT NULL OR last_success_at IS NULL OR last_success_at < ?)",
                (now, *succeeded, now - 60),
            )
        to_disable: dict[str, str] = {
            o.attempt.endpoint_id: o.disable_endpoint for o in outcomes if o.disable_endpoint
        }
        if failed:
            rows = await tx.fetchall(
                f"SELECT id FROM endpoints WHERE id IN ({_marks(len(failed))}) AND disabled = 0 "
                "AND first_failure_at IS NOT NULL AND first_failure_at < ?",
                (*failed, now - disable_after),
            )
            for (ep_id,) in rows:
                to_disable.setdefault(ep_id, "failing without a success for too long")
        await self._disable_endpoints(tx, to_disable, events, now)
        await claiming.record_breakers(tx, outcomes, self.fair.breaker, now)
        return events

    async def _disable_endpoints(
        self, tx: Conn, to_disable: dict[str, str], events: list[OperationalEvent], now: float
    ) -> None:
        """Disable endpoints (id -> reason) not disabled yet; store ``events`` with an event for each."""
        for ep_id, reason in to_disable.items():
            row = await tx.fetchone(
                "SELECT app_id, uid, disabled, first_failure_at FROM endpoints WHERE id = ?", (ep_id,)
            )
            if row is None or row[2]:
                continue
            await tx.execute(
                "UPDATE endpoints SET disabled = 1, disabled_reason = ?, updated_at = ? WHERE id = ?",
                (reason, now, ep_id),
            )
            events.append(self._op_event("endpoint.disabled", {
                "appId": row[0], "endpointId": ep_id, "endpointUid": row[1], "failSince": row[3], "reason": reason,
            }, now))  # fmt: skip
        if events:
            await tx.executemany(
                "INSERT INTO operational_events (id, event_type, payload, created_at) VALUES (?, ?, ?, ?)",
                [(e.id, e.event_type, dumps(e.payload), e.created_at) for e in events],
            )

    @staticmethod
    def _op_event(kind: str, data: dict[str, Any], now: float) -> OperationalEvent:
        return OperationalEvent(new_id("opevt"), kind, {"type": kind, "data": data}, now)

    async def requeue(
        self,
        app_id: str,
        msg_id: str,
        endpoint_ids: Sequence[str],
        trigger: TriggerType,
        at: float | None = None,
    ) -> int:
        """Schedule a message again for some endpoints (resend, recover, replay); return how many."""
        now = time.time() if at is None else at
        if not endpoint_ids:
            return 0
        async with self.db.transaction() as tx:
            rows = [(msg_id, ep, app_id, PENDING, int(trigger), now, now) for ep in endpoint_ids]
            await tx.executemany(
                "INSERT INTO dispatches (msg_id, endpoint_id, app_id, status, attempts, trigger_type, next_attempt_at, "
                "updated_at) VALUES (?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT (msg_id, endpoint_id) DO UPDATE SET "
                "status = excluded.status, trigger_type = excluded.trigger_type, "
                "next_attempt_at = excluded.next_attempt_at, lease_until = NULL, send_slot = NULL, "
                "updated_at = excluded.updated_at",
                rows,
            )
        return len(rows)

    async def reserve_sends(
        self, endpoint_id: str, rate: int, count: int, now: float | None = None
    ) -> float | None:
        """Reserve an endpoint's next ``count`` send slots, ``1/rate`` s apart, for every worker at once;
        return the first (None when the endpoint is gone). After a pause, one second's worth is free at once."""
        now = time.time() if now is None else now
        interval = 1.0 / rate
        earliest = now - 1.0 + interval  # a bucket of ``rate`` sends refills within a second
        span = count * interval
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "UPDATE endpoints SET next_send_at = CASE WHEN next_send_at > ? THEN next_send_at ELSE ? END + ? "
                "WHERE id = ? RETURNING next_send_at",
                (earliest, earliest, span, endpoint_id),
            )
        return None if row is None else float(row[0]) - span

    async def defer(self, slots: Sequence[tuple[str, str, float]]) -> None:
        """Give leased deliveries (message id, endpoint id, send slot) back to wait for their reserved
        slots: each is due at its slot and keeps it for whichever worker claims it then."""
        now = time.time()
        async with self.db.transaction() as tx:
            await tx.executemany(
                "UPDATE dispatches SET status = ?, next_attempt_at = ?, send_slot = ?, lease_until = NULL, "
                "updated_at = ? WHERE msg_id = ? AND endpoint_id = ? AND status = ?",
                [(PENDING, slot, slot, now, msg_id, ep_id, SENDING) for msg_id, ep_id, slot in slots],
            )

    async def extend_leases(self, keys: Sequence[tuple[str, str]], until: float) -> set[tuple[str, str]]:
        """Hold leased deliveries (message id, endpoint id) until ``until``, so no other worker claims one
        while its send is still under way. Returns the keys extended: those recorded meanwhile, or being
        recorded now, are left as they are."""
        if self.dialect == "postgres":
            msg_ids, ep_ids = pg_batch.columns(keys) if keys else ([], [])
            async with self.db.reader() as c:
                rows = await c.fetchall(pg_batch.EXTEND_LEASES, (msg_ids, ep_ids, SENDING, until, until))
            return {(r[0], r[1]) for r in rows}
        extended: set[tuple[str, str]] = set()
        async with self.db.transaction() as tx:
            for msg_id, ep_id in keys:
                extended.update(
                    (r[0], r[1])
                    for r in await tx.fetchall(
                        "UPDATE dispatches SET next_attempt_at = ?, lease_until = ? "
                        "WHERE msg_id = ? AND endpoint_id = ? AND status = ? RETURNING msg_id, endpoint_id",
                        (until, until, msg_id, ep_id, SENDING),
                    )
                )
        return extended

    async def recover(self, endpoint_id: str, since: float, until: float | None) -> int:
        """Schedule again every failed delivery to an endpoint of messages created in [since, until)."""
        now = time.time()
        params: list[Any] = [
            PENDING,
            int(TriggerType.MANUAL),
            now,
            now,
            endpoint_id,
            int(MessageStatus.FAIL),
            since,
        ]
        extra = ""
        if until is not None:
            extra = " AND created_at < ?"
            params.append(until)
        async with self.db.transaction() as tx:
            return await tx.execute(
                "UPDATE dispatches SET status = ?, trigger_type = ?, next_attempt_at = ?, lease_until = NULL, updated_at = ? "
                "WHERE endpoint_id = ? AND status = ? AND msg_id IN (SELECT id FROM messages WHERE created_at >= ?"
                f"{extra})",
                params,
            )

    async def replay_missing(self, ep: Endpoint, since: float, until: float | None) -> int:
        """Dispatch to an endpoint the messages since a time it never got (e.g. created or enabled later)."""
        now = time.time()
        params: list[Any] = [ep.app_id, since]
        extra = ""
        if until is not None:
            extra = " AND created_at < ?"
            params.append(until)
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                f"SELECT {MESSAGE_COLS} FROM messages m WHERE app_id = ? AND created_at >= ?{extra} AND payload IS NOT NULL "
                "AND NOT EXISTS (SELECT 1 FROM dispatches d WHERE d.msg_id = m.id AND d.endpoint_id = ?)",
                (*params, ep.id),
            )
            live = replace(ep, disabled=False)
            todo = [m for m in map(message_from_row, rows) if live.accepts(m.event_type, m.channels)]
            await tx.executemany(
                "INSERT INTO dispatches (msg_id, endpoint_id, app_id, status, attempts, trigger_type, next_attempt_at, "
                "updated_at) VALUES (?, ?, ?, ?, 0, ?, ?, ?)",
                [(m.id, ep.id, ep.app_id, PENDING, int(TriggerType.MANUAL), now, now) for m in todo],
            )
        return len(todo)

    async def next_due(self) -> float | None:
        """When the earliest pending or leased dispatch becomes due (for the worker's fallback timer)."""
        async with self.db.reader() as c:
            row = await c.fetchone("SELECT MIN(next_attempt_at) FROM dispatches WHERE status IN (1, 3)")
        return row[0] if row and row[0] is not None else None

    async def dispatches_for_message(self, msg_id: str) -> list[Dispatch]:
        """The delivery state of a message to each endpoint it went to."""
        async with self.db.reader() as c:
            rows = await c.fetchall(
                f"SELECT {DISPATCH_COLS} FROM dispatches WHERE msg_id = ? ORDER BY endpoint_id", (msg_id,)
            )
        return [dispatch_from_row(r) for r in rows]

    async def endpoint_stats(
        self, endpoint_id: str, since: float | None, until: float | None
    ) -> dict[int, int]:
        """Count an endpoint's deliveries by status (optionally for messages in a time range)."""
        sql = "SELECT d.status, COUNT(*) FROM dispatches d"
        params: list[Any] = []
        where = " WHERE d.endpoint_id = ?"
        params.append(endpoint_id)
        if since is not None or until is not None:
            sql += " JOIN messages m ON m.id = d.msg_id"
            if since is not None:
                where += " AND m.created_at >= ?"
                params.append(since)
            if until is not None:
                where += " AND m.created_at < ?"
                params.append(until)
        async with self.db.reader() as c:
            rows = await c.fetchall(sql + where + " GROUP BY d.status", params)
        return {int(r[0]): int(r[1]) for r in rows}

    async def endpoint_isolation(self, endpoint_id: str) -> claiming.BreakerState | None:
        """An endpoint's cap, deliveries in flight and circuit breaker now (see store/claiming.py)."""
        async with self.db.reader() as c:
            return await claiming.breaker_state(c, endpoint_id, time.time())

    # -- attempts ---------------------------------------------------------------------------------
    async def list_attempts(
        self,
        app_id: str,
        limit: int,
        iterator: str | None,
        *,
        msg_id: str | None = None,
        endpoint_id: str | None = None,
        status: int | None = None,
        event_types: Sequence[str] | None = None,
        before: float | None = None,
        after: float | None = None,
    ) -> Page:
        """List attempts newest first, by message and/or endpoint."""
        base = f"SELECT {ATTEMPT_COLS} FROM attempts WHERE app_id = ?"
        params: list[Any] = [app_id]
        for column, value in (("msg_id", msg_id), ("endpoint_id", endpoint_id), ("status", status)):
            if value is not None:
                base += f" AND {column} = ?"
                params.append(value)
        if before is not None:
            base += " AND created_at < ?"
            params.append(before)
        if after is not None:
            base += " AND created_at > ?"
            params.append(after)
        if event_types:
            base += f" AND msg_id IN (SELECT id FROM messages WHERE app_id = ? AND event_type IN ({_marks(len(event_types))}))"
            params.extend([app_id, *event_types])
        sql, params, reverse = self._cursor(base, params, "id", iterator, ascending=False)
        async with self.db.reader() as c:
            rows = await c.fetchall(sql + " LIMIT ?", (*params, limit + 1))
        return _page([attempt_from_row(r) for r in rows], limit, lambda a: a.id, reverse)

    async def get_attempt(self, app_id: str, attempt_id: str) -> Attempt | None:
        """Find one attempt."""
        async with self.db.reader() as c:
            row = await c.fetchone(
                f"SELECT {ATTEMPT_COLS} FROM attempts WHERE app_id = ? AND id = ?", (app_id, attempt_id)
            )
        return attempt_from_row(row) if row else None

    # -- tasks and operational events -------------------------------------------------------------
    async def put_task(self, task: Task) -> Task:
        """Insert or update a background task."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO tasks (id, kind, status, data, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE "
                "SET status = excluded.status, data = excluded.data, updated_at = excluded.updated_at",
                (task.id, task.kind, task.status, dumps(task.data), task.updated_at),
            )
        return task

    async def get_task(self, task_id: str) -> Task | None:
        """Find a background task."""
        async with self.db.reader() as c:
            row = await c.fetchone(
                "SELECT id, kind, status, data, updated_at FROM tasks WHERE id = ?", (task_id,)
            )
        return task_from_row(row) if row else None

    async def list_operational_events(self, limit: int = 100) -> list[OperationalEvent]:
        """The most recent operational events, newest first."""
        async with self.db.reader() as c:
            rows = await c.fetchall(
                "SELECT id, event_type, payload, created_at FROM operational_events ORDER BY id DESC LIMIT ?",
                (limit,),
            )
        return [op_event_from_row(r) for r in rows]
