"""Applications, event types, endpoints, secrets, settings and tasks: the same behaviour on both backends."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from hookline.ids import new_id
from hookline.store.errors import ConflictError
from hookline.store.records import EventType, Task
from hookline.store.store import Store
from tests.store.helpers import SECRET, make_app, make_endpoint


async def test_app_round_trips_by_id_and_uid(store: Store) -> None:
    app = await make_app(store, uid="acme")
    assert await store.get_app(app.id) == app
    assert await store.get_app("acme") == app
    assert await store.get_app("nope") is None


async def test_app_id_wins_over_another_apps_uid(store: Store) -> None:
    first = await make_app(store)
    other = await make_app(store, uid=first.id)
    assert (await store.require_app(first.id)).id == first.id
    assert other.uid == first.id


async def test_app_uid_is_unique(store: Store) -> None:
    await make_app(store, uid="acme")
    with pytest.raises(ConflictError):
        await make_app(store, uid="acme")


async def test_app_update_and_delete_cascade(store: Store) -> None:
    app = await make_app(store, uid="acme")
    ep = await make_endpoint(store, app)
    updated = replace(app, name="Acme 2", uid="acme2", metadata={"tier": "gold"}, throttle_rate=10)
    await store.update_app(updated)
    assert await store.get_app("acme2") == updated
    await store.delete_app(app.id)
    assert await store.get_app(app.id) is None
    assert await store.get_endpoint(app.id, ep.id) is None
    assert await store.get_secrets(ep.id) == []


async def test_apps_paginate_forwards_and_backwards(store: Store) -> None:
    apps = [await make_app(store, name=f"app {i}") for i in range(5)]
    ids = sorted(a.id for a in apps)
    first = await store.list_apps(2, None)
    assert [a.id for a in first.data] == ids[:2] and not first.done
    second = await store.list_apps(2, first.iterator)
    assert [a.id for a in second.data] == ids[2:4] and not second.done
    last = await store.list_apps(2, second.iterator)
    assert [a.id for a in last.data] == ids[4:] and last.done
    back = await store.list_apps(2, second.prev_iterator)
    assert [a.id for a in back.data] == ids[:2]
    newest_first = await store.list_apps(10, None, ascending=False)
    assert [a.id for a in newest_first.data] == ids[::-1] and newest_first.done


async def test_ids_list_in_creation_order(store: Store) -> None:
    # KSUIDs mix upper and lower case: keys must sort bytewise, whatever the database collation.
    made = [await make_app(store) for _ in range(20)]
    listed = await store.list_apps(50, None)
    assert [a.id for a in listed.data] == sorted(a.id for a in made)
    assert sorted(a.id for a in made) == sorted((a.id for a in made), key=lambda s: s.encode())


async def test_event_types_create_upsert_archive_list(store: Store) -> None:
    now = time.time()
    for name in ("user.created", "user.deleted", "Session.created"):
        await store.create_event_type(EventType(name, f"{name}!", created_at=now, updated_at=now))
    with pytest.raises(ConflictError):
        await store.create_event_type(EventType("user.created", created_at=now, updated_at=now))
    archived = EventType("user.deleted", "gone", archived=True, schemas={"1": {"type": "object"}},
                         feature_flags=["beta"], created_at=now, updated_at=now + 1)  # fmt: skip
    await store.upsert_event_type(archived)
    assert await store.get_event_type("user.deleted") == archived
    live = await store.list_event_types(10, None)
    assert [e.name for e in live.data] == ["Session.created", "user.created"]
    every = await store.list_event_types(1, None, include_archived=True)
    names = [e.name for e in every.data]
    while not every.done:
        every = await store.list_event_types(1, every.iterator, include_archived=True)
        names += [e.name for e in every.data]
    assert names == ["Session.created", "user.created", "user.deleted"]
    await store.delete_event_type("user.created")
    assert await store.get_event_type("user.created") is None


async def test_endpoint_round_trips_with_every_field(store: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(
        store, app, uid="main", description="d", throttle_rate=5, event_types=("user.created",),
        channels=("eu",), headers={"x-a": "1"}, metadata={"k": "v"},
    )  # fmt: skip
    assert await store.get_endpoint(app.id, ep.id) == ep
    assert await store.get_endpoint(app.id, "main") == ep
    other = await make_app(store)
    assert await store.get_endpoint(other.id, ep.id) is None
    changed = replace(ep, url="https://example.org/x", disabled=True, disabled_reason="r", event_types=None,
                      channels=None, headers={}, updated_at=ep.updated_at + 1)  # fmt: skip
    await store.update_endpoint(changed)
    assert await store.require_endpoint(app.id, ep.id) == changed


async def test_endpoint_uid_is_unique_within_an_app(store: Store) -> None:
    app, other = await make_app(store), await make_app(store)
    await make_endpoint(store, app, uid="main")
    await make_endpoint(store, other, uid="main")
    with pytest.raises(ConflictError):
        await make_endpoint(store, app, uid="main")


async def test_endpoints_list_newest_first_and_paginate(store: Store) -> None:
    app = await make_app(store)
    eps = [await make_endpoint(store, app) for _ in range(3)]
    ids = sorted((e.id for e in eps), reverse=True)
    page = await store.list_endpoints(app.id, 2, None)
    assert [e.id for e in page.data] == ids[:2] and not page.done
    rest = await store.list_endpoints(app.id, 2, page.iterator)
    assert [e.id for e in rest.data] == ids[2:] and rest.done


async def test_delete_endpoint_removes_secrets_and_pending_deliveries(store: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    await store.delete_endpoint(ep.id)
    assert await store.get_endpoint(app.id, ep.id) is None
    assert await store.get_secrets(ep.id) == []


async def test_rotated_secret_signs_beside_the_old_one_until_the_grace_ends(store: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    new = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
    await store.rotate_secret(ep.id, new, grace_seconds=3600)
    assert await store.get_secrets(ep.id) == [new, SECRET]
    assert await store.get_secrets(ep.id, now=time.time() + 7200) == [new]


async def test_settings_keep_the_first_value(store: Store) -> None:
    assert await store.get_setting("token") is None
    assert await store.setting_or_default("token", "a") == ("a", True)
    assert await store.setting_or_default("token", "b") == ("a", False)
    assert await store.get_setting("token") == "a"


async def test_tasks_insert_and_update(store: Store) -> None:
    task = Task(new_id("qtask"), "endpoint.recover", "running", {"n": 1}, time.time())
    await store.put_task(task)
    done = replace(task, status="finished", data={"n": 2})
    await store.put_task(done)
    assert await store.get_task(task.id) == done
    assert await store.get_task("qtask_nope") is None


async def test_idempotency_answers_replace_expired_ones(store: Store) -> None:
    await store.put_idempotent("k", 202, '{"a":1}')
    assert await store.get_idempotent("k", time.time() - 60) == (202, '{"a":1}')
    assert await store.get_idempotent("k", time.time() + 60) is None
    await store.put_idempotent("k", 200, '{"a":2}')
    assert await store.get_idempotent("k", 0) == (200, '{"a":2}')
