"""Event types through the official ``svix`` SDK: schemas, list, get, update, patch, archive."""

from __future__ import annotations

from typing import Any

import pytest
from svix.api import (
    EventTypeIn,
    EventTypeListOptions,
    EventTypeOut,
    EventTypePatch,
    EventTypeUpsertIn,
    Ordering,
    Svix,
)
from svix.exceptions import HttpError, HTTPValidationError

from tests.api.helpers import collect_pages

USER_CREATED_SCHEMA: dict[str, Any] = {
    "1": {
        "title": "user.created",
        "description": "A user signed up",
        "type": "object",
        "properties": {
            "object": {"type": "string", "const": "user"},
            "id": {"type": "string"},
            "email_addresses": {"type": "array", "items": {"type": "object"}},
        },
        "required": ["object", "id"],
        "examples": [
            {"object": "user", "id": "user_29w83sxmDNGwOuEthce5gg56FcC", "email_addresses": []},
        ],
    }
}


def names(items: list[EventTypeOut]) -> list[str]:
    return [e.name for e in items]


def all_types(svix: Svix, **options: Any) -> list[EventTypeOut]:
    pages = collect_pages(
        lambda it: svix.event_type.list(EventTypeListOptions(limit=250, iterator=it, **options))
    )
    return [e for p in pages for e in p.data]


def test_create_with_schema_and_example_round_trips(svix: Svix) -> None:
    created = svix.event_type.create(
        EventTypeIn(
            name="user.created",
            description="A user signed up",
            schemas=USER_CREATED_SCHEMA,
            group_name="user",
        )
    )
    assert created.name == "user.created"
    assert created.description == "A user signed up"
    assert created.schemas == USER_CREATED_SCHEMA
    assert created.archived is False
    assert created.deprecated is False
    assert created.created_at.tzinfo is not None
    fetched = svix.event_type.get("user.created")
    assert fetched.schemas == USER_CREATED_SCHEMA
    assert fetched.description == "A user signed up"
    assert fetched.group_name == "user"


def test_create_of_an_existing_name_is_a_conflict(svix: Svix) -> None:
    svix.event_type.create(EventTypeIn(name="user.created", description="first"))
    with pytest.raises(HttpError) as err:
        svix.event_type.create(EventTypeIn(name="user.created", description="second"))
    assert err.value.status_code == 409
    assert svix.event_type.get("user.created").description == "first"


def test_list_includes_schemas_only_with_content(svix: Svix) -> None:
    svix.event_type.create(EventTypeIn(name="user.created", description="d", schemas=USER_CREATED_SCHEMA))
    plain = svix.event_type.list()
    assert names(plain.data) == ["user.created"]
    assert plain.data[0].schemas is None
    full = svix.event_type.list(EventTypeListOptions(with_content=True))
    assert full.data[0].schemas == USER_CREATED_SCHEMA


def test_list_paginates_and_orders(svix: Svix) -> None:
    wanted = [f"evt.n{i}" for i in range(5)]
    for name in wanted:
        svix.event_type.create(EventTypeIn(name=name, description=name))
    pages = collect_pages(lambda it: svix.event_type.list(EventTypeListOptions(limit=2, iterator=it)))
    assert [len(p.data) for p in pages] == [2, 2, 1]
    assert sorted(e.name for p in pages for e in p.data) == wanted
    ascending = names(all_types(svix, order=Ordering.ASCENDING))
    descending = names(all_types(svix, order=Ordering.DESCENDING))
    assert sorted(ascending) == wanted
    assert descending == list(reversed(ascending))


def test_upsert_updates_description_and_schemas(svix: Svix) -> None:
    svix.event_type.create(EventTypeIn(name="user.updated", description="old"))
    updated = svix.event_type.upsert(
        "user.updated", EventTypeUpsertIn(description="new", schemas=USER_CREATED_SCHEMA)
    )
    assert updated.name == "user.updated"
    assert updated.description == "new"
    assert updated.schemas == USER_CREATED_SCHEMA
    fetched = svix.event_type.get("user.updated")
    assert fetched.description == "new"
    assert fetched.schemas == USER_CREATED_SCHEMA


def test_upsert_of_an_unknown_name_creates_the_event_type(svix: Svix) -> None:
    created = svix.event_type.upsert("session.ended", EventTypeUpsertIn(description="A session ended"))
    assert created.name == "session.ended"
    assert svix.event_type.get("session.ended").description == "A session ended"


def test_patch_changes_only_the_given_fields(svix: Svix) -> None:
    svix.event_type.create(EventTypeIn(name="user.deleted", description="d", schemas=USER_CREATED_SCHEMA))
    patched = svix.event_type.patch("user.deleted", EventTypePatch(description="A user was deleted"))
    assert patched.description == "A user was deleted"
    assert patched.schemas == USER_CREATED_SCHEMA
    deprecated = svix.event_type.patch("user.deleted", EventTypePatch(deprecated=True))
    assert deprecated.deprecated is True
    assert deprecated.description == "A user was deleted"
    assert svix.event_type.get("user.deleted").deprecated is True


def test_delete_archives_and_archived_types_are_hidden_by_default(svix: Svix) -> None:
    svix.event_type.create(EventTypeIn(name="user.created", description="kept"))
    svix.event_type.create(EventTypeIn(name="email.created", description="archived"))
    assert svix.event_type.delete("email.created") is None
    assert names(all_types(svix)) == ["user.created"]
    with_archived = {e.name: e for e in all_types(svix, include_archived=True)}
    assert set(with_archived) == {"user.created", "email.created"}
    assert with_archived["email.created"].archived is True
    assert with_archived["user.created"].archived is False
    assert svix.event_type.get("email.created").archived is True


def test_create_unarchives_an_archived_event_type(svix: Svix) -> None:
    svix.event_type.create(EventTypeIn(name="email.created", description="first"))
    svix.event_type.delete("email.created")
    again = svix.event_type.create(EventTypeIn(name="email.created", description="second"))
    assert again.archived is False
    assert names(all_types(svix)) == ["email.created"]


def test_get_of_an_unknown_event_type_is_not_found(svix: Svix) -> None:
    with pytest.raises(HttpError) as err:
        svix.event_type.get("no.such.type")
    assert err.value.status_code == 404


def test_invalid_event_type_name_is_rejected_naming_the_field(svix: Svix) -> None:
    with pytest.raises(HTTPValidationError) as err:
        svix.event_type.create(EventTypeIn(name="user created!", description="bad"))
    assert err.value.status_code == 422
    assert any("name" in [str(p) for p in e.loc] for e in err.value.detail), err.value.detail
    assert all_types(svix, include_archived=True) == []
