"""Messages: accepting a batch (each message with one dispatch per matching endpoint, in one
transaction), reading them back, idempotency answers, and expiring payloads.

Deciding what a batch stores is ``accepting``'s; what differs by backend is how the look-ups are made
and the rows written: statements shared with SQLite here, one statement on PostgreSQL (``pg_batch``,
planned with ``pg_targets``' look-ups).
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from hookline.store import accepting, listing, pg_batch, pg_targets, postgres, traces
from hookline.store.base import StoreBase, marks
from hookline.store.conn import Conn, Row
from hookline.store.endpoints import signing_secrets
from hookline.store.errors import StoreUnavailableError
from hookline.store.records import Accepted, Endpoint, Lease, Message, NewMessage, Page
from hookline.store.rows import MESSAGE_COLS, PACED_ENDPOINT_COLS, endpoint_from_row, message_from_row

# how long an answer given for an idempotency key is replayed (older ones are purged)
IDEMPOTENCY_SECONDS = 86400.0
# A batch is planned again after an application it stores to changed meanwhile, at most this often.
STALE_TRIES = 5


class MessageStore(StoreBase):
    """The ``messages`` and ``idempotency`` tables, and the dispatch rows written as a message is accepted."""

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
        traced = [(n.message.id, n.traceparent) for n in batch if n.traceparent]
        if traced:  # only while traces are on
            await traces.save_in(tx, traced, now)
        leasing = lease is not None and lease.slots > 0
        secrets = await signing_secrets(tx, self.box, sorted(endpoints), now, of="app") if leasing else {}
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
            await tx.executemany(f"INSERT INTO messages ({MESSAGE_COLS}) VALUES ({marks(10)})", plan.messages)
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
            if traced := [(n.message.id, n.traceparent) for n in batch if n.traceparent]:
                # only while traces are on; written first, so no worker claims a message before it
                await traces.save_in(c, traced, now)
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
                    if rows and rows[0]["id"] is not None:
                        await self._settle_refused(w, plan, batch, rows, since)
                if rows and rows[0]["id"] is None:
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
        rows = await c.fetchall(pg_batch.APPS_AND_TARGETS, {"now": now, "keys": keys})
        found = pg_targets.targets_from_rows(rows)
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
        written = [
            (key, bodies[key]) for r in refused if r["remembered"] and (key := keys[r["id"]]) is not None
        ]
        if written:
            await c.executemany("DELETE FROM idempotency WHERE key = ? AND body = ?", written)
        others = [key for r in refused if not r["remembered"] and (key := keys[r["id"]]) is not None]
        answers = await self._idempotent_answers(c, others, since)
        accepting.refuse(plan, batch, [r["id"] for r in refused], answers)

    async def _resolve_apps(self, c: Conn, keys: set[str]) -> dict[str, str]:
        """Map application ids and uids to ids."""
        if not keys:
            return {}
        ks = sorted(keys)
        rows = await c.fetchall(
            f"SELECT id, uid FROM applications WHERE id IN ({marks(len(ks))}) OR uid IN ({marks(len(ks))})",
            ks + ks,
        )
        return accepting.app_ids_by_key(keys, [(r["id"], r["uid"]) for r in rows])

    async def _idempotent_answers(self, c: Conn, keys: list[str], since: float) -> dict[str, str]:
        """Stored answers for the keys, given after ``since`` (older ones are replaced, then purged)."""
        if not keys:
            return {}
        ks = sorted(set(keys))
        rows = await c.fetchall(
            f"SELECT key, body FROM idempotency WHERE key IN ({marks(len(ks))}) AND created_at > ?",
            (*ks, since),
        )
        return {r["key"]: r["body"] for r in rows}

    async def _active_endpoints(self, c: Conn, app_ids: set[str]) -> dict[str, list[Endpoint]]:
        if not app_ids:
            return {}
        ids = sorted(app_ids)
        rows = await c.fetchall(
            f"SELECT {PACED_ENDPOINT_COLS} FROM endpoints e JOIN applications a ON a.id = e.app_id "
            f"WHERE e.app_id IN ({marks(len(ids))}) AND e.disabled = 0",
            ids,
        )
        out: dict[str, list[Endpoint]] = defaultdict(list)
        for r in rows:
            ep = endpoint_from_row(r)
            out[ep.app_id].append(ep)
        return out

    async def _taken_event_ids(
        self, c: Conn, pairs: Sequence[tuple[str, str | None]]
    ) -> set[tuple[str, str]]:
        """The (app, event id) pairs of a batch already used by stored messages, in one query."""
        wanted = {(app_id, event_id) for app_id, event_id in pairs if event_id}
        if not wanted:
            return set()
        apps = sorted({app_id for app_id, _ in wanted})
        ids = sorted({event_id for _, event_id in wanted})
        # both columns bound so the (app_id, event_id) unique index serves the look-up
        rows = await c.fetchall(
            f"SELECT app_id, event_id FROM messages WHERE app_id IN ({marks(len(apps))}) "
            f"AND event_id IN ({marks(len(ids))})",
            [*apps, *ids],
        )
        return {pair for r in rows if (pair := (r["app_id"], r["event_id"])) in wanted}

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
        """List an application's messages, newest first, with Svix's filters and svix-server's window
        (``listing.windowed``); channel and tag match one element exactly."""
        base = f"SELECT {MESSAGE_COLS} FROM messages WHERE app_id = ?"
        params: list[Any] = [app_id]
        if event_types:
            base += f" AND event_type IN ({marks(len(event_types))})"
            params.extend(event_types)
        if channel is not None:
            base += " AND " + listing.has_element(self.dialect, "channels")
            params.append(channel)
        if tag is not None:
            base += " AND " + listing.has_element(self.dialect, "tags")
            params.append(tag)
        sql, params, reverse = listing.windowed(
            base, params, prefix="msg", id_column="id", time_column="created_at",
            iterator=iterator, before=before, after=after, now=time.time(),
        )  # fmt: skip
        async with self.db.reader() as c:
            rows = await c.fetchall(sql + " LIMIT ?", (*params, limit + 1))
        return listing.windowed_page([message_from_row(r) for r in rows], limit, lambda m: m.id, reverse)

    async def get_idempotent(self, key: str, since: float) -> tuple[int, str] | None:
        """Return the stored (status, body) answered for an idempotency key newer than ``since``."""
        async with self.db.reader() as c:
            row = await c.fetchone(
                "SELECT status_code, body FROM idempotency WHERE key = ? AND created_at > ?", (key, since)
            )
        return (row["status_code"], row["body"]) if row else None

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
