"""Attempted destinations and messages: looked up a page at a time, not a row at a time. Both backends."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from types import SimpleNamespace
from typing import Any, TypeVar, cast

import pytest

from hookline.api.serialize import STATUS_TEXT, message_endpoint_out, message_out
from hookline.api.v1.attempts import attempted_destinations, attempted_messages
from hookline.services.attempt_lists import AttemptFilters
from hookline.services.runtime import Runtime
from hookline.store.records import Application, Endpoint, Message
from hookline.store.store import Store
from tests.store.helpers import accept, make_app, make_endpoint, message, outcome

T = TypeVar("T")
LEASE = 30.0
FIVE_DAYS = 5 * 86400.0


class CountingConn:
    """A connection that records every statement it runs, with any list of placeholders as one ``?``."""

    def __init__(self, conn: Any, statements: list[str]) -> None:
        self._conn = conn
        self._statements = statements
        self.dialect = conn.dialect

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        self._statements.append(re.sub(r"\?(,\?)*", "?", sql))
        return await self._conn.execute(sql, params)

    async def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        self._statements.append(re.sub(r"\?(,\?)*", "?", sql))
        await self._conn.executemany(sql, params)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        self._statements.append(re.sub(r"\?(,\?)*", "?", sql))
        return await self._conn.fetchall(sql, params)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any:
        self._statements.append(re.sub(r"\?(,\?)*", "?", sql))
        return await self._conn.fetchone(sql, params)


class CountingDatabase:
    """A store's database that records every statement run through it."""

    def __init__(self, db: Any) -> None:
        self._db = db
        self.statements: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    @contextlib.asynccontextmanager
    async def reader(self) -> AsyncIterator[CountingConn]:
        async with self._db.reader() as c:
            yield CountingConn(c, self.statements)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[CountingConn]:
        async with self._db.transaction() as c:
            yield CountingConn(c, self.statements)

    async def run_transaction(self, job: Callable[[Any], Awaitable[T]]) -> T:
        return await self._db.run_transaction(lambda c: job(CountingConn(c, self.statements)))


def runtime_of(store: Store) -> Runtime:
    """What the routes read from the runtime: only its store."""
    return cast(Runtime, SimpleNamespace(store=store))


async def destinations_row_by_row(
    store: Store, app_id: str, msg_id: str, limit: int, iterator: str | None
) -> dict[str, Any]:
    """The attempted destinations built as the route did before: one endpoint query per dispatch."""
    rows = []
    for d in await store.dispatches_for_message(msg_id):
        if iterator and d.endpoint_id <= iterator:
            continue
        ep = await store.get_endpoint(app_id, d.endpoint_id)
        if ep is not None:
            rows.append(message_endpoint_out(ep, d))
    data = rows[:limit]
    return {
        "data": data,
        "iterator": data[-1]["id"] if data else None,
        "prevIterator": None,
        "done": len(rows) <= limit,
    }


async def fan_out(store: Store, endpoints: int) -> tuple[Application, list[Endpoint], Message]:
    """An application with ``endpoints`` endpoints and one message accepted for all of them."""
    app = await make_app(store)
    eps = [await make_endpoint(store, app, uid=f"ep-{n}", description=f"ep {n}") for n in range(endpoints)]
    msg = message(app)
    await accept(store, msg)
    return app, eps, msg


async def attempted(store: Store, messages: int) -> tuple[Application, Endpoint, list[Message]]:
    """An endpoint that got ``messages`` messages; the first two failed once before succeeding."""
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    t0 = time.time() - 60
    msgs = [message(app, created_at=t0 + n, event_id=f"evt-{n}") for n in range(messages)]
    await accept(store, *msgs)
    order = {m.id: n for n, m in enumerate(msgs)}
    claims = sorted(await store.claim(100, LEASE), key=lambda c: order[c.msg_id])
    assert len(claims) == messages
    failing = claims[:2]
    await store.complete(
        [outcome(c, ok=False, next_attempt_at=t0, at=t0 + 10) for c in failing]
        + [outcome(c, ok=True, at=t0 + 10) for c in claims[2:]],
        FIVE_DAYS,
    )
    retried = await store.claim(100, LEASE)
    assert {c.msg_id for c in retried} == {c.msg_id for c in failing}
    await store.complete([outcome(c, ok=True, at=t0 + 20) for c in retried], FIVE_DAYS)
    return app, ep, msgs


async def test_endpoints_by_ids_finds_the_apps_endpoints_by_id_only(store: Store) -> None:
    app, other = await make_app(store), await make_app(store)
    a = await make_endpoint(store, app, uid="ep-a")
    b = await make_endpoint(store, app)
    elsewhere = await make_endpoint(store, other)
    found = await store.endpoints_by_ids(app.id, [b.id, a.id, b.id, "ep-a", elsewhere.id, "ep_unknown"])
    assert found == {a.id: a, b.id: b}
    assert found[a.id] == await store.get_endpoint(app.id, a.id)
    assert await store.endpoints_by_ids(app.id, []) == {}


async def test_messages_by_ids_finds_the_apps_messages_by_id_only(store: Store) -> None:
    app, other = await make_app(store), await make_app(store)
    a, b, elsewhere = message(app, event_id="evt-a"), message(app), message(other)
    await accept(store, a, b, elsewhere)
    found = await store.messages_by_ids(app.id, [b.id, a.id, a.id, "evt-a", elsewhere.id, "msg_unknown"])
    assert found == {a.id: a, b.id: b}
    assert found[a.id] == await store.get_message(app.id, a.id)
    assert await store.messages_by_ids(app.id, []) == {}


@pytest.mark.parametrize("limit", [1, 2, 3, 50])
async def test_attempted_destinations_pages_are_unchanged(store: Store, limit: int) -> None:
    app, eps, msg = await fan_out(store, 5)
    rt = runtime_of(store)
    iterator, seen = None, []
    while True:
        page = await attempted_destinations(app.id, msg.id, rt=rt, limit=limit, iterator=iterator)
        assert page == await destinations_row_by_row(store, app.id, msg.id, limit, iterator)
        seen += [row["id"] for row in page["data"]]
        if page["done"]:
            break
        iterator = page["iterator"]
    assert seen == sorted(ep.id for ep in eps)


async def test_attempted_destinations_skip_an_endpoint_deleted_after_the_dispatches_were_read(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, eps, msg = await fan_out(store, 5)
    gone = sorted(ep.id for ep in eps)[1]
    by_ids, get_endpoint = store.endpoints_by_ids, store.get_endpoint

    async def without_gone(app_id: str, ids: Sequence[str]) -> dict[str, Endpoint]:
        return {k: v for k, v in (await by_ids(app_id, ids)).items() if k != gone}

    async def get_unless_gone(app_id: str, key: str) -> Endpoint | None:
        return None if key == gone else await get_endpoint(app_id, key)

    monkeypatch.setattr(store, "endpoints_by_ids", without_gone)
    monkeypatch.setattr(store, "get_endpoint", get_unless_gone)
    for limit in (1, 2, 3, 4, 5):
        page = await attempted_destinations(app.id, msg.id, rt=runtime_of(store), limit=limit, iterator=None)
        assert page == await destinations_row_by_row(store, app.id, msg.id, limit, None)
        assert gone not in [row["id"] for row in page["data"]]


@pytest.mark.parametrize("limit", [1, 2, 4, 50])
@pytest.mark.parametrize("with_content", [True, False])
async def test_attempted_messages_are_one_row_per_message(
    store: Store, limit: int, with_content: bool
) -> None:
    app, ep, msgs = await attempted(store, 5)
    rt = runtime_of(store)
    iterator, seen = None, []
    while True:
        page = await attempted_messages(
            app.id,
            ep.id,
            rt=rt,
            limit=limit,
            iterator=iterator,
            filters=AttemptFilters(),
            with_content=with_content,
        )
        assert len(page["data"]) <= limit
        for row in page["data"]:
            msg = next(m for m in msgs if m.id == row["id"])
            assert row == {**message_out(msg, with_content), "status": 0, "statusText": STATUS_TEXT[0]}
        seen += [row["id"] for row in page["data"]]
        if page["done"]:
            break
        iterator = page["iterator"]
    # newest first, each message once though two of them were tried twice
    assert seen == sorted((m.id for m in msgs), reverse=True)


async def test_a_page_of_attempted_destinations_costs_the_same_queries_for_any_number_of_rows(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = CountingDatabase(store.db)
    monkeypatch.setattr(store, "db", counting)
    statements = []
    for rows in (1, 3, 12):
        app, _, msg = await fan_out(store, rows)
        counting.statements.clear()
        page = await attempted_destinations(app.id, msg.id, rt=runtime_of(store), limit=50, iterator=None)
        assert len(page["data"]) == rows
        statements.append(list(counting.statements))
    assert statements[0] == statements[1] == statements[2], statements
    # the application, the message, its dispatches, their endpoints
    assert len(statements[0]) == 4


async def test_a_page_of_attempted_messages_costs_the_same_queries_for_any_number_of_rows(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = CountingDatabase(store.db)
    monkeypatch.setattr(store, "db", counting)
    statements = []
    for rows in (3, 5, 12):
        app, ep, _ = await attempted(store, rows)
        counting.statements.clear()
        page = await attempted_messages(
            app.id,
            ep.id,
            rt=runtime_of(store),
            limit=50,
            iterator=None,
            filters=AttemptFilters(),
            with_content=True,
        )
        assert len(page["data"]) == rows
        statements.append(list(counting.statements))
    assert statements[0] == statements[1] == statements[2], statements
    # the application, the endpoint, its messages with their deliveries
    assert len(statements[0]) == 3
