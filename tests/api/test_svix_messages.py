"""Messages through the official ``svix`` SDK: create, list with filters, get, content, idempotency."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from svix.api import (
    ApplicationIn,
    ApplicationOut,
    EndpointIn,
    MessageCreateOptions,
    MessageGetOptions,
    MessageIn,
    MessageListOptions,
    MessageOut,
    MessageStatus,
    Svix,
)
from svix.exceptions import HttpError, HTTPValidationError
from svix.webhooks import Webhook

from tests.api.helpers import collect_pages, id_pattern, ids, lower, settled_destinations
from tests.support.servers import RecordingReceiver

WITH_CONTENT = MessageCreateOptions(with_content=True)


def all_messages(svix: Svix, app_id: str, **options: Any) -> list[MessageOut]:
    pages = collect_pages(
        lambda it: svix.message.list(app_id, MessageListOptions(limit=250, iterator=it, **options))
    )
    return [m for p in pages for m in p.data]


def test_create_returns_the_message_with_a_msg_id(svix: Svix, app: ApplicationOut) -> None:
    payload = {"type": "user.created", "data": {"id": "user_1", "emails": ["a@example.com"]}}
    msg = svix.message.create(
        app.id,
        MessageIn(event_type="user.created", payload=payload, event_id="evt-1", channels=["project_1"]),
        WITH_CONTENT,
    )
    assert id_pattern("msg").match(msg.id), msg.id
    assert msg.event_type == "user.created"
    assert msg.payload == payload
    assert msg.event_id == "evt-1"
    assert msg.channels == ["project_1"]
    assert msg.timestamp.tzinfo is not None


def test_create_without_content_leaves_the_payload_out_of_the_answer(svix: Svix, app: ApplicationOut) -> None:
    msg = svix.message.create(app.id, MessageIn(event_type="user.created", payload={"secret": "x"}))
    assert id_pattern("msg").match(msg.id)
    assert msg.payload == {}
    stored = svix.message.get(app.id, msg.id, MessageGetOptions(with_content=True))
    assert stored.payload == {"secret": "x"}


def test_get_returns_the_payload_only_with_content(svix: Svix, app: ApplicationOut) -> None:
    payload = {"id": "user_2", "deleted": True}
    created = svix.message.create(app.id, MessageIn(event_type="user.deleted", payload=payload))
    plain = svix.message.get(app.id, created.id)
    full = svix.message.get(app.id, created.id, MessageGetOptions(with_content=True))
    assert plain.id == full.id == created.id
    assert plain.payload == {}
    assert full.payload == payload
    assert full.event_type == "user.deleted"
    assert full.timestamp == created.timestamp


def test_get_by_event_id_and_application_uid(svix: Svix, app: ApplicationOut) -> None:
    created = svix.message.create(
        "acme", MessageIn(event_type="user.created", payload={"a": 1}, event_id="evt-7")
    )
    got = svix.message.get("acme", "evt-7", MessageGetOptions(with_content=True))
    assert got.id == created.id
    assert got.payload == {"a": 1}
    assert ids(all_messages(svix, app.id)) == [created.id]


def test_duplicate_event_id_is_a_conflict_and_stores_nothing(svix: Svix, app: ApplicationOut) -> None:
    first = svix.message.create(
        app.id, MessageIn(event_type="user.created", payload={"n": 1}, event_id="evt-dup")
    )
    with pytest.raises(HttpError) as err:
        svix.message.create(
            app.id, MessageIn(event_type="user.created", payload={"n": 2}, event_id="evt-dup")
        )
    assert err.value.status_code == 409
    assert ids(all_messages(svix, app.id)) == [first.id]


def test_message_create_creates_the_application_given_in_the_body(svix: Svix) -> None:
    msg = svix.message.create(
        "new-tenant",
        MessageIn(
            event_type="user.created",
            payload={"n": 1},
            application=ApplicationIn(name="New Tenant", uid="new-tenant", metadata={"source": "msg"}),
        ),
    )
    app = svix.application.get("new-tenant")
    assert id_pattern("app").match(app.id)
    assert app.name == "New Tenant"
    assert app.metadata == {"source": "msg"}
    assert ids(all_messages(svix, app.id)) == [msg.id]


def test_application_in_the_body_is_ignored_when_the_application_exists(
    svix: Svix, app: ApplicationOut
) -> None:
    svix.message.create(
        "acme",
        MessageIn(
            event_type="user.created", payload={}, application=ApplicationIn(name="Ignored", uid="acme")
        ),
    )
    assert svix.application.get("acme").name == "Acme"
    assert len(svix.application.list().data) == 1


def test_payload_retention_is_accepted_and_the_payload_kept(svix: Svix, app: ApplicationOut) -> None:
    by_days = svix.message.create(
        app.id, MessageIn(event_type="user.created", payload={"d": 1}, payload_retention_period=1)
    )
    by_hours = svix.message.create(
        app.id, MessageIn(event_type="user.created", payload={"h": 1}, payload_retention_hours=2)
    )
    content = MessageGetOptions(with_content=True)
    assert svix.message.get(app.id, by_days.id, content).payload == {"d": 1}
    assert svix.message.get(app.id, by_hours.id, content).payload == {"h": 1}


def test_payload_retention_in_days_and_hours_together_is_rejected(svix: Svix, app: ApplicationOut) -> None:
    with pytest.raises(HTTPValidationError) as err:
        svix.message.create(
            app.id,
            MessageIn(
                event_type="user.created", payload={}, payload_retention_period=1, payload_retention_hours=2
            ),
        )
    assert err.value.status_code == 422
    assert all_messages(svix, app.id) == []


def test_list_paginates_newest_first(svix: Svix, app: ApplicationOut) -> None:
    created = [
        svix.message.create(app.id, MessageIn(event_type="user.created", payload={"n": i})).id
        for i in range(5)
    ]
    pages = collect_pages(lambda it: svix.message.list(app.id, MessageListOptions(limit=2, iterator=it)))
    assert [len(p.data) for p in pages] == [2, 2, 1]
    assert [m.id for p in pages for m in p.data] == list(reversed(created))


def test_list_includes_payloads_only_with_content(svix: Svix, app: ApplicationOut) -> None:
    svix.message.create(app.id, MessageIn(event_type="user.created", payload={"n": 1}))
    assert [m.payload for m in svix.message.list(app.id).data] == [{}]
    assert [m.payload for m in svix.message.list(app.id, MessageListOptions(with_content=True)).data] == [
        {"n": 1}
    ]


def test_list_filters_by_event_types(svix: Svix, app: ApplicationOut) -> None:
    created = svix.message.create(app.id, MessageIn(event_type="user.created", payload={})).id
    deleted = svix.message.create(app.id, MessageIn(event_type="user.deleted", payload={})).id
    session = svix.message.create(app.id, MessageIn(event_type="session.created", payload={})).id
    assert ids(all_messages(svix, app.id, event_types=["user.deleted"])) == [deleted]
    assert sorted(ids(all_messages(svix, app.id, event_types=["user.created", "session.created"]))) == sorted(
        [created, session]
    )


def test_list_filters_by_channel(svix: Svix, app: ApplicationOut) -> None:
    one = svix.message.create(
        app.id, MessageIn(event_type="user.created", payload={}, channels=["project_1"])
    ).id
    both = svix.message.create(
        app.id, MessageIn(event_type="user.created", payload={}, channels=["project_1", "project_2"])
    ).id
    svix.message.create(app.id, MessageIn(event_type="user.created", payload={}))
    assert sorted(ids(all_messages(svix, app.id, channel="project_1"))) == sorted([one, both])
    assert ids(all_messages(svix, app.id, channel="project_2")) == [both]
    assert all_messages(svix, app.id, channel="project_3") == []


def test_list_reads_event_types_under_svix_servers_keys_and_refuses_invalid_names(
    svix: Svix, app: ApplicationOut, raw: Any
) -> None:
    created = svix.message.create(app.id, MessageIn(event_type="user.created", payload={})).id
    deleted = svix.message.create(app.id, MessageIn(event_type="user.deleted", payload={})).id
    svix.message.create(app.id, MessageIn(event_type="session.created", payload={}))
    url = f"/api/v1/app/{app.id}/msg"
    for params in (
        [("event_types[]", "user.created"), ("event_types[]", "user.deleted")],
        [("event_types[0]", "user.created"), ("event_types[1]", "user.deleted")],
        [("event_types", "user.created"), ("event_types", "user.deleted")],
    ):
        assert sorted(m["id"] for m in raw.get(url, params=params).json()["data"]) == sorted(
            [created, deleted]
        )
    for bad in ("user created", "user.*", "x" * 257):
        r = raw.get(url, params={"event_types": bad})
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == ["query", "event_types"]


def test_list_matches_channel_and_tag_exactly_and_case_sensitively(svix: Svix, app: ApplicationOut) -> None:
    upper = svix.message.create(
        app.id, MessageIn(event_type="user.created", payload={}, channels=["Project_1"], tags=["Tag_A"])
    ).id
    lower_one = svix.message.create(
        app.id, MessageIn(event_type="user.created", payload={}, channels=["project_1"], tags=["tag_a"])
    ).id
    svix.message.create(
        app.id, MessageIn(event_type="user.created", payload={}, channels=["projectX1"], tags=["tagXa"])
    )
    assert ids(all_messages(svix, app.id, channel="project_1")) == [lower_one]
    assert ids(all_messages(svix, app.id, channel="Project_1")) == [upper]
    assert ids(all_messages(svix, app.id, tag="tag_a")) == [lower_one]
    assert ids(all_messages(svix, app.id, tag="Tag_A")) == [upper]
    # a part of an element, or an element's neighbour in the stored JSON, is no match
    assert all_messages(svix, app.id, channel="project") == []
    assert all_messages(svix, app.id, tag="tag") == []
    assert all_messages(svix, app.id, channel="project_1", tag="Tag_A") == []


@pytest.mark.parametrize("param", ["channel", "tag"])
@pytest.mark.parametrize("value", ["project%", "a b", '"x"', "x" * 129])
def test_list_refuses_a_channel_or_tag_filter_svix_refuses(
    svix: Svix, app: ApplicationOut, param: str, value: str
) -> None:
    svix.message.create(app.id, MessageIn(event_type="user.created", payload={}, channels=["project"]))
    with pytest.raises(HTTPValidationError):
        svix.message.list(app.id, MessageListOptions(**{param: value}))


def test_list_filters_by_before_and_after(svix: Svix, app: ApplicationOut) -> None:
    first = svix.message.create(app.id, MessageIn(event_type="user.created", payload={"n": 1}))
    time.sleep(0.05)
    second = svix.message.create(app.id, MessageIn(event_type="user.created", payload={"n": 2}))
    assert second.timestamp > first.timestamp
    cut = first.timestamp + (second.timestamp - first.timestamp) / 2
    assert ids(all_messages(svix, app.id, after=cut)) == [second.id]
    assert ids(all_messages(svix, app.id, before=cut)) == [first.id]


def test_list_after_alone_pages_from_after_onwards_as_svix_server_does(
    svix: Svix, app: ApplicationOut, raw: Any
) -> None:
    made = []
    for n in range(4):
        made.append(svix.message.create(app.id, MessageIn(event_type="user.created", payload={"n": n})))
        time.sleep(0.005)
    cut = made[0].timestamp + (made[1].timestamp - made[0].timestamp) / 2
    page = svix.message.list(app.id, MessageListOptions(limit=2, after=cut))
    # the two messages right after ``after``, newest of them first; not the two newest
    assert ids(page.data) == [made[2].id, made[1].id] and page.done is False
    nxt = svix.message.list(app.id, MessageListOptions(limit=2, iterator=page.prev_iterator))
    assert ids(nxt.data) == [made[3].id] and nxt.done is True
    for bad in ("atmpt_2ZXj7lO3d0ZGrcHuHwVrLkD0Ab1", "msg_x", "-", "null"):
        r = raw.get(f"/api/v1/app/{app.id}/msg", params={"iterator": bad})
        assert r.status_code == 422, (bad, r.text)


def test_same_idempotency_key_returns_the_same_message_and_stores_nothing_new(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/idem"))
    options = MessageCreateOptions(idempotency_key="msg-key-1", with_content=True)
    first = svix.message.create(app.id, MessageIn(event_type="user.created", payload={"n": 1}), options)
    second = svix.message.create(app.id, MessageIn(event_type="user.created", payload={"n": 1}), options)
    assert second.id == first.id
    assert second.payload == first.payload
    other = svix.message.create(
        app.id,
        MessageIn(event_type="user.created", payload={"n": 1}),
        MessageCreateOptions(idempotency_key="msg-key-2"),
    )
    assert other.id != first.id
    assert sorted(ids(all_messages(svix, app.id))) == sorted([first.id, other.id])
    settled_destinations(svix, app.id, first.id, 1)
    settled_destinations(svix, app.id, other.id, 1)
    assert sorted(lower(r.headers)["webhook-id"] for r in receiver.requests) == sorted([first.id, other.id])


def test_large_payload_under_one_mebibyte_is_delivered_intact(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/big"))
    payload = {"blob": "x" * (512 * 1024)}
    msg = svix.message.create(app.id, MessageIn(event_type="user.created", payload=payload))
    assert settled_destinations(svix, app.id, msg.id, 1)[0].status == MessageStatus.SUCCESS
    rec = receiver.wait_for(1)[0]
    assert json.loads(rec.body) == payload
    Webhook(svix.endpoint.get_secret(app.id, ep.id).key).verify(rec.body, rec.headers)
