"""Accepting after the configuration changed: a batch goes to the applications, endpoints and secrets as
they are when it is written, whichever process changed them. Both backends.

The changes come from a second store, as another process would make them, right after a batch of the
first store looked the same application up; a store that kept anything from that look-up fails here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hookline.store.errors import NotFoundError
from hookline.store.records import Accepted, Application, Lease, Message, NewMessage
from hookline.store.store import Store
from tests.store.helpers import make_app, make_endpoint, message, statuses

NEW_SECRET = "whsec_bmV3IHNlY3JldCBvZiB0aGUgZW5kcG9pbnQ="


async def accept_one(
    store: Store, msg: Message, lease: Lease | None = None, **item: Any
) -> Accepted | BaseException:
    [result] = await store.accept_messages([NewMessage(msg, **item)], lease)
    return result


async def fan_out(store: Store, app: Application, **item: Any) -> int:
    """Accept one message for ``app`` (a fresh one, so nothing is replayed); how many endpoints it went to."""
    result = await accept_one(store, message(app), **item)
    assert isinstance(result, Accepted), result
    return result.fan_out


async def test_an_endpoint_created_elsewhere_gets_the_next_message(store: Store, other: Store) -> None:
    app = await make_app(store)
    first = await make_endpoint(store, app)
    assert await fan_out(store, app) == 1
    second = await make_endpoint(other, app, url="https://example.com/second")
    msg = message(app)
    assert isinstance(await accept_one(store, msg), Accepted)
    assert set(await statuses(store, msg)) == {first.id, second.id}


async def test_an_endpoint_disabled_or_deleted_elsewhere_gets_nothing_more(
    store: Store, other: Store
) -> None:
    app = await make_app(store)
    kept = await make_endpoint(store, app)
    disabled = await make_endpoint(store, app, url="https://example.com/disabled")
    deleted = await make_endpoint(store, app, url="https://example.com/deleted")
    assert await fan_out(store, app) == 3
    await other.update_endpoint(replace(disabled, disabled=True))
    assert await fan_out(store, app) == 2
    await other.delete_endpoint(deleted.id)
    msg = message(app)
    assert isinstance(await accept_one(store, msg), Accepted)
    assert set(await statuses(store, msg)) == {kept.id}


async def test_an_event_type_filter_set_elsewhere_applies_to_the_next_message(
    store: Store, other: Store
) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    assert await fan_out(store, app) == 1
    await other.update_endpoint(replace(ep, event_types=("invoice.paid",)))
    assert await fan_out(store, app) == 0
    await other.update_endpoint(replace(ep, event_types=None))
    assert await fan_out(store, app) == 1


async def test_a_secret_rotated_elsewhere_signs_the_next_leased_sends(store: Store, other: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    lease = Lease(slots=4, seconds=30)
    warm = await accept_one(store, message(app), lease)
    assert isinstance(warm, Accepted) and len(warm.claims) == 1
    await other.rotate_secret(ep.id, NEW_SECRET, grace_seconds=0)
    result = await accept_one(store, message(app), lease)
    assert isinstance(result, Accepted) and len(result.claims) == 1
    assert result.claims[0].secrets == (NEW_SECRET,)


async def test_an_application_deleted_elsewhere_refuses_the_next_message(store: Store, other: Store) -> None:
    app = await make_app(store, uid="acme")
    await make_endpoint(store, app)
    assert await fan_out(store, app, app_key=app.id) == 1
    assert await fan_out(store, app, app_key="acme") == 1
    await other.delete_app(app.id)
    assert isinstance(await accept_one(store, message(app), app_key=app.id), NotFoundError)
    assert isinstance(await accept_one(store, message(app), app_key="acme"), NotFoundError)


async def test_a_uid_given_to_another_application_elsewhere_names_that_one(
    store: Store, other: Store
) -> None:
    before = await make_app(store, uid="acme")
    await make_endpoint(store, before)
    assert await fan_out(store, before, app_key="acme") == 1
    await other.update_app(replace(before, uid="acme-old"))
    after = await make_app(other, uid="acme")
    await make_endpoint(other, after, url="https://example.com/a")
    await make_endpoint(other, after, url="https://example.com/b")
    msg = message(None)
    result = await accept_one(store, msg, app_key="acme")
    assert isinstance(result, Accepted) and result.fan_out == 2
    assert await store.get_message(after.id, msg.id) is not None


async def test_an_application_named_by_id_and_by_uid_in_one_batch_gets_each_message_once(
    store: Store,
) -> None:
    app = await make_app(store, uid="acme")
    ep = await make_endpoint(store, app)
    assert await fan_out(store, app) == 1
    assert await fan_out(store, app, app_key="acme") == 1
    by_id, by_uid = message(app), message(None)
    results = await store.accept_messages([NewMessage(by_id), NewMessage(by_uid, app_key="acme")])
    assert [r.fan_out for r in results if isinstance(r, Accepted)] == [1, 1]
    assert list(await statuses(store, by_id)) == [ep.id]
    assert list(await statuses(store, replace(by_uid, app_id=app.id))) == [ep.id]
