"""Accepting sees every configuration change made through any process before the batch is stored.

On PostgreSQL an API process plans batches with what it last looked up of an application and the
insert checks the application's configuration version (raised by triggers); these tests change the
configuration through another store, as another process would, after the first one has looked it up.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest

from hookline.store.errors import NotFoundError
from hookline.store.records import Accepted, Application, Endpoint, Lease, NewMessage
from hookline.store.store import Store
from tests.store.helpers import app_on_postgres, make_app, make_endpoint, message, outcome

LEASE = Lease(slots=16, seconds=30.0)


async def accept_one(store: Store, app: Application, key: str | None = None, **fields: Any) -> Accepted:
    """Accept one message for ``app`` (named by ``key``, its id by default), leased to the caller."""
    msg = message(app, **fields)
    [result] = await store.accept_messages([NewMessage(msg, app_key=key or app.id)], LEASE)
    if isinstance(result, BaseException):
        raise result
    return result


def urls(accepted: Accepted) -> set[str]:
    return {c.url for c in accepted.claims}


async def test_an_endpoint_added_elsewhere_gets_the_next_message(store: Store, other: Store) -> None:
    app = await make_app(store)
    await make_endpoint(store, app, url="https://a.example.com/")
    assert urls(await accept_one(store, app)) == {"https://a.example.com/"}
    await make_endpoint(other, app, url="https://b.example.com/")
    assert urls(await accept_one(store, app)) == {"https://a.example.com/", "https://b.example.com/"}


ChangeOf = Callable[[Store, Endpoint], Awaitable[Any]]


async def _disable(s: Store, ep: Endpoint) -> None:
    await s.update_endpoint(replace(ep, disabled=True))


async def _delete(s: Store, ep: Endpoint) -> None:
    await s.delete_endpoint(ep.id)


async def _filter(s: Store, ep: Endpoint) -> None:
    await s.update_endpoint(replace(ep, event_types=("invoice.paid",)))


@pytest.mark.parametrize("change", [_disable, _delete, _filter], ids=["disabled", "deleted", "filtered"])
async def test_an_endpoint_changed_elsewhere_stops_getting_messages(
    store: Store, other: Store, change: ChangeOf
) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    assert (await accept_one(store, app)).fan_out == 1
    await change(other, ep)
    assert (await accept_one(store, app)).fan_out == 0


async def test_a_url_and_headers_changed_elsewhere_are_sent_to(store: Store, other: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app, url="https://old.example.com/")
    await accept_one(store, app)
    await other.update_endpoint(replace(ep, url="https://new.example.com/", headers={"x-v": "2"}))
    [claim] = (await accept_one(store, app)).claims
    assert (claim.url, claim.headers) == ("https://new.example.com/", {"x-v": "2"})


async def test_a_secret_rotated_elsewhere_signs_the_next_message(store: Store, other: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    [before] = (await accept_one(store, app)).claims
    await other.rotate_secret(ep.id, "whsec_" + "B" * 32, grace_seconds=3600)
    [after] = (await accept_one(store, app)).claims
    assert after.secrets == ("whsec_" + "B" * 32, *before.secrets)


async def test_a_uid_moved_elsewhere_names_its_new_application(store: Store, other: Store) -> None:
    first = await make_app(store, uid="tenant")
    await make_endpoint(store, first, url="https://first.example.com/")
    assert urls(await accept_one(store, first, key="tenant")) == {"https://first.example.com/"}
    await other.update_app(replace(first, uid="tenant-old"))
    second = await make_app(other, uid="tenant")
    await make_endpoint(other, second, url="https://second.example.com/")
    assert urls(await accept_one(store, second, key="tenant")) == {"https://second.example.com/"}


async def test_an_application_deleted_elsewhere_is_not_found(store: Store, other: Store) -> None:
    app = await make_app(store, uid="gone")
    await make_endpoint(store, app)
    await accept_one(store, app, key="gone")
    await other.delete_app(app.id)
    with pytest.raises(NotFoundError):
        await accept_one(store, app, key="gone")


async def test_an_applications_rate_set_elsewhere_stops_leasing_its_messages(
    store: Store, other: Store
) -> None:
    app = await make_app(store)
    await make_endpoint(store, app)
    assert len((await accept_one(store, app)).claims) == 1
    await other.update_app(replace(app, throttle_rate=5))
    accepted = await accept_one(store, app)
    assert accepted.fan_out == 1 and accepted.claims == ()  # throttled: it waits for a paced claim


async def test_a_change_written_by_hand_is_seen_too(store: Store, other: Store) -> None:
    # an older process, or an operator with psql, changes the row without going through the store
    app = await make_app(store)
    ep = await make_endpoint(store, app, url="https://old.example.com/")
    await accept_one(store, app)
    async with other.db.transaction() as tx:
        await tx.execute("UPDATE endpoints SET url = ? WHERE id = ?", ("https://psql.example.com/", ep.id))
    assert urls(await accept_one(store, app)) == {"https://psql.example.com/"}


async def test_delivery_bookkeeping_does_not_make_the_look_up_run_again(store: Store, other: Store) -> None:
    app, ep = await app_on_postgres(
        store,
        "SQLite reads the configuration within its write lock; there is no look-up to keep",
        throttle_rate=None,
    )
    looked_up = 0
    look_up = store._look_up_targets

    async def counting(*args: Any) -> Any:
        nonlocal looked_up
        looked_up += 1
        return await look_up(*args)

    store._look_up_targets = counting  # type: ignore[method-assign]
    [claim] = (await accept_one(store, app)).claims
    assert looked_up == 1
    # the worker records a failure, a success, and reserves send slots: none of it is configuration
    await other.complete([outcome(claim, ok=False, next_attempt_at=time.time() + 60)], 86400.0)
    await other.complete([outcome(claim, ok=True)], 86400.0)
    await other.reserve_sends(ep.id, 10, 3)
    for _ in range(3):
        await accept_one(store, app)
    assert looked_up == 1
    await other.update_endpoint(replace(ep, description="renamed"))  # not read by accepting either
    await accept_one(store, app)
    assert looked_up == 1
    await other.update_endpoint(replace(ep, url="https://moved.example.com/"))
    assert urls(await accept_one(store, app)) == {"https://moved.example.com/"}
    assert looked_up == 2


async def test_a_batch_planned_again_stores_its_idempotent_messages(store: Store, other: Store) -> None:
    # planning notes each stored key as answered; a batch planned again must not take its own
    # keys for earlier answers and store nothing
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    await accept_one(store, app)
    await other.update_endpoint(replace(ep, url="https://moved.example.com/"))
    msg = message(app)
    item = NewMessage(msg, idempotency_key="key-1", response_body=json.dumps({"id": msg.id}), app_key=app.id)
    [result] = await store.accept_messages([item], LEASE)
    assert isinstance(result, Accepted) and result.replay is None
    assert urls(result) == {"https://moved.example.com/"}
    assert await store.get_message(app.id, msg.id) is not None


async def test_a_change_after_a_restore_is_seen_though_the_restore_turned_versions_back(
    store: Store, other: Store
) -> None:
    # A restore (or a failover to a replica without the latest commits) brings back an older
    # configuration with its older version. Counted versions were then given again to the next change,
    # which this process would take for the configuration it kept under that number.
    app = await make_app(store)
    ep = await make_endpoint(store, app, url="https://a.example.com/")
    backup = await _version(store, app.id)
    await accept_one(store, app)
    await other.update_endpoint(replace(ep, url="https://b.example.com/"))
    assert urls(await accept_one(store, app)) == {"https://b.example.com/"}  # kept under a newer version
    async with other.db.transaction() as tx:  # the restore, its triggers off as pg_restore's are
        if store.dialect == "postgres":
            await tx.execute("SET LOCAL session_replication_role = replica")
            await tx.execute("UPDATE applications SET config_version = ? WHERE id = ?", (backup, app.id))
        await tx.execute("UPDATE endpoints SET url = ? WHERE id = ?", ("https://a.example.com/", ep.id))
    await other.update_endpoint(replace(ep, url="https://c.example.com/"))
    assert urls(await accept_one(store, app)) == {"https://c.example.com/"}


async def _version(store: Store, app_id: str) -> int | None:
    """The application's configuration version (PostgreSQL keeps one; SQLite has nothing to keep)."""
    if store.dialect != "postgres":
        return None
    async with store.db.reader() as r:
        row = await r.fetchone("SELECT config_version FROM applications WHERE id = ?", (app_id,))
    assert row is not None
    return int(row[0])
