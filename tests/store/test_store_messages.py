"""Accepting messages: fan-out with filters, idempotency, event ids, lists. Same on both backends."""

from __future__ import annotations

import time

import pytest

from hookline.store.errors import ConflictError, NotFoundError
from hookline.store.records import Accepted, MessageStatus, NewMessage
from hookline.store.store import Store
from tests.store.helpers import accept, make_app, make_endpoint, message, statuses


async def test_accept_fans_out_to_every_matching_endpoint(store: Store) -> None:
    app = await make_app(store)
    everything = await make_endpoint(store, app)
    users = await make_endpoint(store, app, event_types=("user.created", "user.deleted"))
    sessions = await make_endpoint(store, app, event_types=("session.created",))
    eu = await make_endpoint(store, app, channels=("eu",))
    await make_endpoint(store, app, disabled=True)
    plain, in_eu = message(app), message(app, channels=("eu", "us"))
    assert await accept(store, plain, in_eu) == [Accepted(2), Accepted(3)]
    assert set(await statuses(store, plain)) == {everything.id, users.id}
    assert set(await statuses(store, in_eu)) == {everything.id, users.id, eu.id}
    assert set((await statuses(store, in_eu)).values()) == {MessageStatus.PENDING}
    assert sessions.id not in await statuses(store, in_eu)
    assert await store.get_message(app.id, plain.id) == plain


async def test_accept_without_endpoints_stores_the_message(store: Store) -> None:
    app = await make_app(store)
    msg = message(app)
    assert await accept(store, msg) == [Accepted(0)]
    assert await store.get_message(app.id, msg.id) == msg


async def test_accept_resolves_the_app_by_uid_and_refuses_unknown_apps(store: Store) -> None:
    app = await make_app(store, uid="acme")
    ep = await make_endpoint(store, app)
    known, unknown = message(None), message(None)
    results = await store.accept_messages(
        [NewMessage(known, app_key="acme"), NewMessage(unknown, app_key="nope")]
    )
    assert results[0] == Accepted(1)
    assert isinstance(results[1], NotFoundError)
    assert (await store.get_message(app.id, known.id)) is not None
    assert list(await statuses(store, known)) == [ep.id]


async def test_event_id_is_unique_per_app_and_finds_the_message(store: Store) -> None:
    app, other = await make_app(store), await make_app(store)
    first = message(app, event_id="evt-1")
    results = await accept(store, first, message(app, event_id="evt-1"), message(other, event_id="evt-1"))
    assert results[0] == Accepted(0) and results[2] == Accepted(0)
    assert isinstance(results[1], ConflictError)
    again = await accept(store, message(app, event_id="evt-1"))
    assert isinstance(again[0], ConflictError)
    assert (await store.get_message(app.id, "evt-1")) == first


async def test_idempotency_key_replays_the_first_answer(store: Store) -> None:
    app = await make_app(store)
    await make_endpoint(store, app)
    first, retry = message(app), message(app)
    assert await accept(store, first, idempotency_key="k1", response_body='{"id":"first"}') == [Accepted(1)]
    assert await accept(store, retry, idempotency_key="k1", response_body='{"id":"retry"}') == [
        Accepted(0, '{"id":"first"}')
    ]
    assert await store.get_message(app.id, retry.id) is None


async def test_idempotency_key_repeated_within_one_batch_stores_one_message(store: Store) -> None:
    app = await make_app(store)
    await make_endpoint(store, app)
    first, retry, other = message(app), message(app), message(app)
    results = await store.accept_messages(
        [
            NewMessage(first, idempotency_key="k2", response_body='{"id":"first"}'),
            NewMessage(other),
            NewMessage(retry, idempotency_key="k2", response_body='{"id":"retry"}'),
        ]
    )
    assert results == [Accepted(1), Accepted(1), Accepted(0, '{"id":"first"}')]
    assert await store.get_message(app.id, retry.id) is None
    assert await store.get_idempotent("k2", 0.0) == (202, '{"id":"first"}')


async def test_only_endpoints_restricts_the_fan_out(store: Store) -> None:
    app = await make_app(store)
    target = await make_endpoint(store, app, event_types=("other",))
    await make_endpoint(store, app)
    msg = message(app)
    assert await accept(store, msg, only_endpoints=(target.id,)) == [Accepted(1)]
    assert list(await statuses(store, msg)) == [target.id]


async def test_one_batch_with_many_messages_commits_together(store: Store) -> None:
    app = await make_app(store)
    await make_endpoint(store, app)
    await make_endpoint(store, app)
    batch = [message(app) for _ in range(300)]
    assert await accept(store, *batch) == [Accepted(2)] * 300
    page = await store.list_messages(app.id, 250, None)
    assert len(page.data) == 250 and not page.done


async def test_messages_list_newest_first_with_filters_and_pages(store: Store) -> None:
    app = await make_app(store)
    t0 = time.time() - 100
    made = [
        message(app, "user.created", created_at=t0, channels=("eu",), tags=("vip",)),
        message(app, "user.deleted", created_at=t0 + 10),
        message(app, "user.created", created_at=t0 + 20, channels=("us",)),
        message(app, "session.created", created_at=t0 + 30, tags=("vip",)),
    ]
    await accept(store, *made)
    ids = [m.id for m in made]

    async def listed(**filters: object) -> list[str]:
        return [m.id for m in (await store.list_messages(app.id, 50, None, **filters)).data]  # type: ignore[arg-type]

    assert await listed() == ids[::-1]
    assert await listed(event_types=["user.created"]) == [ids[2], ids[0]]
    assert await listed(channel="eu") == [ids[0]]
    assert await listed(tag="vip") == [ids[3], ids[0]]
    assert await listed(before=t0 + 15) == [ids[1], ids[0]]
    assert await listed(after=t0 + 15) == [ids[3], ids[2]]
    page = await store.list_messages(app.id, 3, None)
    assert [m.id for m in page.data] == ids[:0:-1] and not page.done
    rest = await store.list_messages(app.id, 3, page.iterator)
    assert [m.id for m in rest.data] == ids[:1] and rest.done
    back = await store.list_messages(app.id, 3, rest.prev_iterator)
    assert [m.id for m in back.data] == ids[:0:-1]


async def test_purge_drops_expired_payloads_and_old_idempotency_records(store: Store) -> None:
    app = await make_app(store)
    old, fresh = message(app, expires_at=time.time() - 1), message(app)
    await store.accept_messages([NewMessage(old), NewMessage(fresh)])
    await store.put_idempotent("old", 202, "{}")
    await store.purge(time.time(), idempotency_before=time.time() + 1)
    assert (await store.get_message(app.id, old.id)).payload is None  # type: ignore[union-attr]
    assert (await store.get_message(app.id, fresh.id)).payload == fresh.payload  # type: ignore[union-attr]
    assert await store.get_idempotent("old", 0) is None


@pytest.mark.parametrize("count", [1, 40])
async def test_unknown_message_keys_find_nothing(store: Store, count: int) -> None:
    app = await make_app(store)
    await accept(store, *(message(app) for _ in range(count)))
    assert await store.get_message(app.id, "msg_nope") is None
    other = await make_app(store)
    assert (await store.list_messages(other.id, 10, None)).data == []


async def test_messages_list_reads_90_days_from_its_reference_time(store: Store) -> None:
    app = await make_app(store)
    day = 86400.0
    now = time.time()
    old, recent = message(app, created_at=now - 100 * day), message(app, created_at=now - 5 * day)
    await accept(store, old, recent)

    async def listed(iterator: str | None = None, **bounds: float) -> list[str]:
        return [m.id for m in (await store.list_messages(app.id, 50, iterator, **bounds)).data]  # type: ignore[arg-type]

    # svix-server's window: 90 days back from now, from ``before``, or from the iterator's id
    assert await listed() == [recent.id]
    assert await listed(before=now - 4 * day) == [recent.id]
    assert await listed(before=now - 50 * day) == [old.id]
    assert await listed(recent.id) == []
    assert await listed(recent.id, before=now - 20 * day) == [old.id]
    # and 90 days on from ``after``, or from a previous-page iterator's id
    assert await listed(after=now - 101 * day) == [old.id]
    assert await listed(after=now - 94 * day) == [recent.id]
    assert await listed("-" + old.id) == []
    assert await listed("-" + old.id, before=now) == [recent.id]
