"""Applications through the official ``svix`` SDK: create, get-or-create, get, list, update, patch, delete."""

from __future__ import annotations

import pytest
from svix.api import (
    ApplicationCreateOptions,
    ApplicationIn,
    ApplicationListOptions,
    ApplicationOut,
    ApplicationPatch,
    Ordering,
    Svix,
    SvixAsync,
)
from svix.exceptions import HttpError

from tests.api.helpers import collect_pages, id_pattern, ids


def all_apps(svix: Svix, order: Ordering | None = None, limit: int = 250) -> list[ApplicationOut]:
    pages = collect_pages(
        lambda it: svix.application.list(ApplicationListOptions(limit=limit, iterator=it, order=order))
    )
    return [a for p in pages for a in p.data]


def test_create_returns_the_application_with_an_app_id_and_timestamps(svix: Svix) -> None:
    app = svix.application.create(
        ApplicationIn(name="Acme", uid="acme-1", throttle_rate=7, metadata={"plan": "pro"})
    )
    assert id_pattern("app").match(app.id), app.id
    assert app.name == "Acme"
    assert app.uid == "acme-1"
    assert app.throttle_rate == 7
    assert app.metadata == {"plan": "pro"}
    assert app.created_at.tzinfo is not None
    assert app.updated_at >= app.created_at


def test_create_without_uid_or_metadata_gives_empty_metadata(svix: Svix) -> None:
    app = svix.application.create(ApplicationIn(name="Bare"))
    assert app.uid is None
    assert app.metadata == {}


def test_get_by_id_and_by_uid_return_the_same_application(svix: Svix, app: ApplicationOut) -> None:
    by_id = svix.application.get(app.id)
    by_uid = svix.application.get("acme")
    assert by_id == app
    assert by_uid == app


def test_create_with_a_uid_already_taken_is_a_conflict(svix: Svix, app: ApplicationOut) -> None:
    with pytest.raises(HttpError) as err:
        svix.application.create(ApplicationIn(name="Other", uid="acme"))
    assert err.value.status_code == 409
    assert [a.id for a in all_apps(svix)] == [app.id]


def test_get_or_create_returns_the_existing_application_for_its_uid(svix: Svix, app: ApplicationOut) -> None:
    again = svix.application.get_or_create(ApplicationIn(name="Acme renamed", uid="acme"))
    assert again.id == app.id
    assert again.name == "Acme"
    assert len(all_apps(svix)) == 1


def test_get_or_create_creates_an_application_when_the_uid_is_new(svix: Svix) -> None:
    created = svix.application.get_or_create(ApplicationIn(name="Fresh", uid="fresh"))
    assert id_pattern("app").match(created.id)
    assert created.uid == "fresh"
    assert svix.application.get("fresh").id == created.id


def test_same_idempotency_key_creates_one_application(svix: Svix) -> None:
    options = ApplicationCreateOptions(idempotency_key="create-app-once")
    first = svix.application.create(ApplicationIn(name="Once"), options)
    second = svix.application.create(ApplicationIn(name="Once"), options)
    assert second.id == first.id
    assert ids(all_apps(svix)) == [first.id]


def test_list_paginates_with_limit_and_iterator_until_done(svix: Svix) -> None:
    created = [svix.application.create(ApplicationIn(name=f"App {i}")).id for i in range(7)]
    pages = collect_pages(lambda it: svix.application.list(ApplicationListOptions(limit=3, iterator=it)))
    assert [len(p.data) for p in pages] == [3, 3, 1]
    assert [p.done for p in pages] == [False, False, True]
    listed = [a.id for p in pages for a in p.data]
    assert len(set(listed)) == 7
    assert set(listed) == set(created)


def test_prev_iterator_leads_back_to_the_previous_page(svix: Svix) -> None:
    for i in range(6):
        svix.application.create(ApplicationIn(name=f"App {i}"))
    first = svix.application.list(ApplicationListOptions(limit=2))
    second = svix.application.list(ApplicationListOptions(limit=2, iterator=first.iterator))
    assert second.prev_iterator
    back = svix.application.list(ApplicationListOptions(limit=2, iterator=second.prev_iterator))
    assert ids(back.data) == ids(first.data)
    assert not set(ids(second.data)) & set(ids(first.data))


def test_list_defaults_to_fifty_items_per_page(svix: Svix) -> None:
    for i in range(52):
        svix.application.create(ApplicationIn(name=f"App {i}"))
    first = svix.application.list()
    assert len(first.data) == 50
    assert first.done is False
    assert first.iterator
    rest = svix.application.list(ApplicationListOptions(iterator=first.iterator))
    assert len(rest.data) == 2
    assert rest.done is True


def test_list_orders_ascending_and_descending(svix: Svix) -> None:
    created = [svix.application.create(ApplicationIn(name=f"App {i}")).id for i in range(5)]
    ascending = all_apps(svix, Ordering.ASCENDING, limit=2)
    descending = all_apps(svix, Ordering.DESCENDING, limit=2)
    assert ids(ascending) == created
    assert ids(descending) == list(reversed(created))
    assert [a.created_at for a in ascending] == sorted(a.created_at for a in ascending)


def test_upsert_updates_an_existing_application(svix: Svix, app: ApplicationOut) -> None:
    updated = svix.application.upsert(
        app.id, ApplicationIn(name="Acme Corp", uid="acme", metadata={"tier": "platinum"})
    )
    assert updated.id == app.id
    assert updated.name == "Acme Corp"
    assert updated.metadata == {"tier": "platinum"}
    assert updated.created_at == app.created_at
    assert updated.updated_at >= app.updated_at
    assert svix.application.get(app.id).name == "Acme Corp"


def test_upsert_by_uid_updates_the_application(svix: Svix, app: ApplicationOut) -> None:
    updated = svix.application.upsert("acme", ApplicationIn(name="Acme by uid", uid="acme"))
    assert updated.id == app.id
    assert svix.application.get(app.id).name == "Acme by uid"


def test_upsert_of_an_unknown_uid_creates_the_application(svix: Svix) -> None:
    created = svix.application.upsert("newco", ApplicationIn(name="NewCo", uid="newco"))
    assert id_pattern("app").match(created.id)
    assert svix.application.get("newco").id == created.id


def test_patch_changes_only_the_given_fields(svix: Svix, app: ApplicationOut) -> None:
    patched = svix.application.patch(app.id, ApplicationPatch(name="Acme Patched"))
    assert patched.id == app.id
    assert patched.name == "Acme Patched"
    assert patched.uid == "acme"
    assert patched.metadata == {"tier": "gold"}
    again = svix.application.patch("acme", ApplicationPatch(metadata={"tier": "silver"}, throttle_rate=3))
    assert again.name == "Acme Patched"
    assert again.metadata == {"tier": "silver"}
    assert again.throttle_rate == 3
    assert svix.application.get(app.id) == again


def test_patch_can_change_the_uid(svix: Svix, app: ApplicationOut) -> None:
    svix.application.patch(app.id, ApplicationPatch(uid="acme-2"))
    assert svix.application.get("acme-2").id == app.id
    with pytest.raises(HttpError) as err:
        svix.application.get("acme")
    assert err.value.status_code == 404


def test_delete_removes_the_application(svix: Svix, app: ApplicationOut) -> None:
    keep = svix.application.create(ApplicationIn(name="Keep"))
    assert svix.application.delete(app.id) is None
    with pytest.raises(HttpError) as err:
        svix.application.get(app.id)
    assert err.value.status_code == 404
    assert ids(all_apps(svix)) == [keep.id]


def test_delete_by_uid_removes_the_application(svix: Svix, app: ApplicationOut) -> None:
    svix.application.delete("acme")
    with pytest.raises(HttpError) as err:
        svix.application.get(app.id)
    assert err.value.status_code == 404
    assert all_apps(svix) == []


def test_delete_of_an_unknown_application_is_not_found(svix: Svix) -> None:
    with pytest.raises(HttpError) as err:
        svix.application.delete("app_2ZXj7lO3d0ZGrcHuHwVrLkD0Ab1")
    assert err.value.status_code == 404


async def test_async_client_creates_gets_lists_and_deletes_applications(svix_async: SvixAsync) -> None:
    created = await svix_async.application.create(ApplicationIn(name="Async", uid="async-app"))
    assert id_pattern("app").match(created.id)
    assert (await svix_async.application.get("async-app")).id == created.id
    page = await svix_async.application.list()
    assert [a.id for a in page.data] == [created.id]
    assert page.done is True
    patched = await svix_async.application.patch(created.id, ApplicationPatch(name="Async 2"))
    assert patched.name == "Async 2"
    await svix_async.application.delete(created.id)
    assert (await svix_async.application.list()).data == []
