"""Accepting while another process stores the same event id or idempotency key. Both backends.

Two API processes can each look an event id or a key up, find it free, and write it at the same
moment. The database's unique index decides which one stored it. The other's message comes back as
a conflict (an event id) or as the first request's answer (a key), is not stored, and the rest of
its batch is stored as if nothing happened: a batch failing whole would answer unrelated requests
with an error they did not cause, and a key written twice would store the message twice.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from hookline.store.errors import ConflictError, StoreUnavailableError
from hookline.store.records import Accepted, Application, Lease, NewMessage
from hookline.store.store import Store
from tests.store.helpers import app_on_postgres, make_app, make_endpoint, message, statuses

FIRST_ANSWER = json.dumps({"id": "msg_raced"})


async def in_outbox(store: Store, batch: list[NewMessage]) -> list[Accepted | BaseException]:
    async with store.db.transaction() as tx:
        return await store.accept_in(tx, batch)


async def accept_while_other_commits(
    store: Store,
    other: Store,
    app: Application,
    event_id: str | None,
    batch: list[NewMessage],
    lease: Lease | None = None,
    key: str | None = None,
    outbox: bool = False,
) -> list[Accepted | BaseException]:
    """Accept ``batch`` while ``other`` holds an uncommitted message with ``event_id`` (and an answer
    for idempotency key ``key``), then commits them. With ``outbox``, accept inside a transaction of
    the caller's, as identity changes do."""
    async with other.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO messages (id, app_id, event_type, event_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            ("msg_raced", app.id, "user.created", event_id, "{}", time.time()),
        )
        if key is not None:
            await tx.execute(
                "INSERT INTO idempotency (key, status_code, body, created_at) VALUES (?, ?, ?, ?)",
                (key, 202, FIRST_ANSWER, time.time()),
            )
        pending = asyncio.ensure_future(
            in_outbox(store, batch) if outbox else store.accept_messages(batch, lease)
        )
        # the accept has looked the id or key up (not yet visible) and now waits on the index or the lock
        await asyncio.sleep(0.5)
        assert not pending.done(), "the accept did not wait for the other writer: no race was tested"
    return await asyncio.wait_for(pending, 30)


@pytest.mark.parametrize("leased", [False, True])
async def test_an_event_id_stored_meanwhile_refuses_only_that_message(
    store: Store, other: Store, leased: bool
) -> None:
    await event_id_race(store, other, leased, outbox=False)


async def test_an_event_id_stored_meanwhile_refuses_only_that_message_of_an_outbox(
    store: Store, other: Store
) -> None:
    await event_id_race(store, other, leased=False, outbox=True)


async def event_id_race(store: Store, other: Store, leased: bool, outbox: bool) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    raced = message(app, event_id="evt_raced")
    before, after = message(app), message(app, event_id="evt_unrelated")
    lease = Lease(slots=10, seconds=60.0) if leased else None

    batch = [NewMessage(m) for m in (before, raced, after)]
    results = await accept_while_other_commits(store, other, app, "evt_raced", batch, lease, outbox=outbox)

    assert isinstance(results[1], ConflictError), results[1]
    for ok in (results[0], results[2]):
        assert isinstance(ok, Accepted) and ok.fan_out == 1, ok
    assert await store.get_message(app.id, raced.id) is None
    assert await statuses(store, raced) == {}
    for m in (before, after):
        assert (await store.get_message(app.id, m.id)) is not None
        assert set(await statuses(store, m)) == {ep.id}
    if leased:
        claimed = {c.msg_id for r in results if isinstance(r, Accepted) for c in r.claims}
        assert claimed == {before.id, after.id}, "a refused message must not be handed out to send"


async def test_a_refused_message_leaves_no_idempotency_answer_to_replay(store: Store, other: Store) -> None:
    app = await make_app(store)
    await make_endpoint(store, app)
    raced = message(app, event_id="evt_raced")
    # the same request twice in one batch: a client retrying with its idempotency key
    twice = [NewMessage(raced, idempotency_key="key-1", response_body=json.dumps({"id": raced.id}))] * 2
    results = await accept_while_other_commits(store, other, app, "evt_raced", twice)
    assert all(isinstance(r, ConflictError) for r in results), results
    assert await store.get_idempotent("key-1", 0.0) is None


class DiesAfterWriting(Store):
    """A process that dies as soon as its batch is written, before it settles a refused message."""

    async def _settle_refused(self, *args: object, **kwargs: object) -> None:
        raise StoreUnavailableError("the process died")


async def test_a_refused_message_leaves_no_answer_if_the_process_dies_before_removing_it(
    store: Store, other: Store
) -> None:
    app, _ = await app_on_postgres(
        store, "SQLite decides an event id inside its write lock: no answer is written to remove"
    )
    raced = message(app, event_id="evt_raced")
    request = NewMessage(raced, idempotency_key="key-4", response_body=json.dumps({"id": raced.id}))
    with pytest.raises(StoreUnavailableError):
        await accept_while_other_commits(DiesAfterWriting(store.db), other, app, "evt_raced", [request])
    # an answer left behind would be replayed to the client's retry: 202 for a message never stored
    assert await store.get_idempotent("key-4", 0.0) is None
    [retried] = await store.accept_messages([request])
    assert isinstance(retried, ConflictError), retried


async def test_an_idempotency_key_stored_meanwhile_replays_the_first_answer(
    store: Store, other: Store
) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    retried, unrelated = message(app), message(app)
    batch = [
        NewMessage(retried, idempotency_key="key-2", response_body=json.dumps({"id": retried.id})),
        NewMessage(unrelated, idempotency_key="key-3", response_body=json.dumps({"id": unrelated.id})),
    ]
    results = await accept_while_other_commits(store, other, app, None, batch, Lease(10, 60.0), key="key-2")
    first, second = results
    assert isinstance(first, Accepted) and first.replay == FIRST_ANSWER and not first.claims, first
    assert isinstance(second, Accepted) and second.replay is None and second.fan_out == 1, second
    assert await store.get_message(app.id, retried.id) is None, "the retried request was stored twice"
    assert set(await statuses(store, unrelated)) == {ep.id}
    assert await store.get_idempotent("key-2", 0.0) == (202, FIRST_ANSWER)


async def test_an_expired_idempotency_answer_is_replaced_not_replayed(store: Store) -> None:
    app = await make_app(store)
    await make_endpoint(store, app)
    async with store.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO idempotency (key, status_code, body, created_at) VALUES (?, ?, ?, ?)",
            ("key-old", 202, FIRST_ANSWER, time.time() - 86400 - 60),
        )
    msg = message(app)
    body = json.dumps({"id": msg.id})
    [result] = await store.accept_messages([NewMessage(msg, idempotency_key="key-old", response_body=body)])
    assert isinstance(result, Accepted) and result.replay is None and result.fan_out == 1, result
    assert await store.get_message(app.id, msg.id) is not None
    assert await store.get_idempotent("key-old", 0.0) == (202, body)
