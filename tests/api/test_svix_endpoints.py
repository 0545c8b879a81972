"""Endpoints through the official ``svix`` SDK: CRUD, filters, headers, secrets, recovery, replay, stats."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from svix.api import (
    ApplicationOut,
    BackgroundTaskStatus,
    BackgroundTaskType,
    EndpointCreateOptions,
    EndpointHeadersIn,
    EndpointHeadersPatchIn,
    EndpointIn,
    EndpointListOptions,
    EndpointOut,
    EndpointPatch,
    EndpointSecretRotateIn,
    EndpointUpsertIn,
    EventExampleIn,
    EventTypeIn,
    MessageIn,
    MessageStatus,
    Ordering,
    RecoverIn,
    ReplayIn,
    Svix,
)
from svix.exceptions import HttpError
from svix.webhooks import Webhook

from tests.api.helpers import collect_pages, id_pattern, ids, lower, settled_destinations
from tests.support.servers import Received, RecordingReceiver

pytestmark = pytest.mark.usefixtures("event_types")


def all_endpoints(
    svix: Svix, app_id: str, order: Ordering | None = None, limit: int = 250
) -> list[EndpointOut]:
    pages = collect_pages(
        lambda it: svix.endpoint.list(app_id, EndpointListOptions(limit=limit, iterator=it, order=order))
    )
    return [e for p in pages for e in p.data]


def send(svix: Svix, app_id: str, event_type: str = "user.created", **payload: Any) -> str:
    return svix.message.create(app_id, MessageIn(event_type=event_type, payload=payload or {"n": 1})).id


def by_msg(received: list[Received], msg_id: str) -> list[Received]:
    return [r for r in received if lower(r.headers).get("webhook-id") == msg_id]


def at(receiver: RecordingReceiver, path: str) -> list[Received]:
    return [r for r in receiver.requests if r.path == path]


def signatures(rec: Received) -> list[str]:
    return lower(rec.headers)["webhook-signature"].split(" ")


def test_create_returns_the_endpoint_with_its_settings(svix: Svix, app: ApplicationOut, receiver) -> None:
    ep = svix.endpoint.create(
        app.id,
        EndpointIn(
            url=receiver.url + "/hooks",
            description="Primary",
            uid="primary",
            event_types=["user.created", "user.deleted"],
            channels=["project_1", "project_2"],
            throttle_rate=10,
            metadata={"team": "auth"},
        ),
    )
    assert id_pattern("ep").match(ep.id), ep.id
    assert ep.url == receiver.url + "/hooks"
    assert ep.description == "Primary"
    assert ep.uid == "primary"
    assert sorted(ep.event_types or []) == ["user.created", "user.deleted"]
    assert sorted(ep.channels or []) == ["project_1", "project_2"]
    assert ep.throttle_rate == 10
    assert ep.metadata == {"team": "auth"}
    assert not ep.disabled
    assert ep.created_at.tzinfo is not None
    assert svix.endpoint.get(app.id, ep.id) == ep


def test_create_with_only_a_url_has_empty_description_and_no_filters(
    svix: Svix, app: ApplicationOut, receiver
) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/hooks"))
    assert ep.description == ""
    assert ep.metadata == {}
    assert not ep.event_types
    assert not ep.channels
    assert not ep.disabled


def test_same_idempotency_key_creates_one_endpoint(svix: Svix, app: ApplicationOut, receiver) -> None:
    options = EndpointCreateOptions(idempotency_key="create-ep-once")
    first = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/once"), options)
    second = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/once"), options)
    assert second.id == first.id
    assert ids(all_endpoints(svix, app.id)) == [first.id]


def test_create_accepts_the_legacy_filter_types_field(
    svix: Svix, app: ApplicationOut, receiver, raw: httpx.Client
) -> None:
    resp = raw.post(
        f"/api/v1/app/{app.id}/endpoint",
        json={"url": receiver.url + "/legacy", "filterTypes": ["user.created"]},
    )
    assert resp.status_code in (200, 201), resp.text
    ep = svix.endpoint.get(app.id, resp.json()["id"])
    assert ep.event_types == ["user.created"]


def test_create_accepts_the_legacy_rate_limit_field(
    svix: Svix, app: ApplicationOut, receiver, raw: httpx.Client
) -> None:
    resp = raw.post(f"/api/v1/app/{app.id}/endpoint", json={"url": receiver.url + "/legacy", "rateLimit": 4})
    assert resp.status_code in (200, 201), resp.text
    assert svix.endpoint.get(app.id, resp.json()["id"]).throttle_rate == 4


def test_endpoints_are_reachable_through_the_application_uid_and_their_own_uid(
    svix: Svix, app: ApplicationOut, receiver
) -> None:
    ep = svix.endpoint.create("acme", EndpointIn(url=receiver.url + "/a", uid="ep-a"))
    assert svix.endpoint.get("acme", "ep-a").id == ep.id
    assert svix.endpoint.get(app.id, "ep-a").id == ep.id
    assert ids(svix.endpoint.list("acme").data) == [ep.id]
    assert svix.endpoint.patch("acme", "ep-a", EndpointPatch(description="by uid")).description == "by uid"
    svix.endpoint.set_headers("acme", "ep-a", EndpointHeadersIn(headers={"X-Uid": "yes"}))
    assert svix.endpoint.get_headers("acme", "ep-a").headers == {"X-Uid": "yes"}
    assert svix.endpoint.get_secret("acme", "ep-a").key == svix.endpoint.get_secret(app.id, ep.id).key
    msg = svix.message.create("acme", MessageIn(event_type="user.created", payload={"n": 1}))
    settled_destinations(svix, app.id, msg.id, 1)
    assert [a.msg_id for a in svix.message_attempt.list_by_endpoint("acme", "ep-a").data] == [msg.id]
    assert ids(svix.message_attempt.list_attempted_messages("acme", "ep-a").data) == [msg.id]
    assert svix.endpoint.get_stats("acme", "ep-a").success == 1
    upserted = svix.endpoint.upsert("acme", "ep-a", EndpointUpsertIn(url=receiver.url + "/a2", uid="ep-a"))
    assert upserted.id == ep.id
    assert upserted.url == receiver.url + "/a2"
    svix.endpoint.delete("acme", "ep-a")
    assert svix.endpoint.list(app.id).data == []


def test_list_paginates_with_limit_and_iterator_in_both_orders(
    svix: Svix, app: ApplicationOut, receiver
) -> None:
    created = [svix.endpoint.create(app.id, EndpointIn(url=f"{receiver.url}/e{i}")).id for i in range(5)]
    pages = collect_pages(lambda it: svix.endpoint.list(app.id, EndpointListOptions(limit=2, iterator=it)))
    assert [len(p.data) for p in pages] == [2, 2, 1]
    assert sorted(e.id for p in pages for e in p.data) == sorted(created)
    ascending = ids(all_endpoints(svix, app.id, Ordering.ASCENDING, limit=2))
    descending = ids(all_endpoints(svix, app.id, Ordering.DESCENDING, limit=2))
    assert ascending == created
    assert descending == list(reversed(created))


def test_upsert_updates_the_endpoint(svix: Svix, app: ApplicationOut, receiver) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/old", description="old"))
    updated = svix.endpoint.upsert(
        app.id,
        ep.id,
        EndpointUpsertIn(
            url=receiver.url + "/new", description="new", event_types=["user.updated"], channels=["c1"]
        ),
    )
    assert updated.id == ep.id
    assert updated.url == receiver.url + "/new"
    assert updated.description == "new"
    assert updated.event_types == ["user.updated"]
    assert updated.channels == ["c1"]
    assert updated.created_at == ep.created_at
    assert updated.updated_at >= ep.updated_at
    assert svix.endpoint.get(app.id, ep.id) == updated


def test_patch_changes_only_the_given_fields(svix: Svix, app: ApplicationOut, receiver) -> None:
    ep = svix.endpoint.create(
        app.id,
        EndpointIn(
            url=receiver.url + "/p", description="desc", event_types=["user.created"], throttle_rate=10
        ),
    )
    patched = svix.endpoint.patch(app.id, ep.id, EndpointPatch(throttle_rate=5, channels=["project_9"]))
    assert patched.throttle_rate == 5
    assert patched.channels == ["project_9"]
    assert patched.description == "desc"
    assert patched.url == receiver.url + "/p"
    assert patched.event_types == ["user.created"]
    cleared = svix.endpoint.patch(app.id, ep.id, EndpointPatch(event_types=None))
    assert not cleared.event_types
    assert cleared.channels == ["project_9"]
    assert svix.endpoint.get(app.id, ep.id) == cleared


def test_delete_removes_the_endpoint(svix: Svix, app: ApplicationOut, receiver) -> None:
    gone = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/gone"))
    kept = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/kept"))
    assert svix.endpoint.delete(app.id, gone.id) is None
    with pytest.raises(HttpError) as err:
        svix.endpoint.get(app.id, gone.id)
    assert err.value.status_code == 404
    assert ids(all_endpoints(svix, app.id)) == [kept.id]


def test_disabled_endpoint_receives_nothing_until_enabled(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    off = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/off", disabled=True))
    on = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/on"))
    assert off.disabled is True
    first = send(svix, app.id)
    receiver.wait_for(1, path="/on")
    assert ids(settled_destinations(svix, app.id, first, 1)) == [on.id]
    assert at(receiver, "/off") == []
    enabled = svix.endpoint.patch(app.id, off.id, EndpointPatch(disabled=False))
    assert enabled.disabled is False
    second = send(svix, app.id)
    got = receiver.wait_for(1, path="/off")
    assert lower(got[0].headers)["webhook-id"] == second


def test_headers_can_be_read_replaced_and_patched(svix: Svix, app: ApplicationOut, receiver) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/h", headers={"X-Tenant": "acme"}))
    assert svix.endpoint.get_headers(app.id, ep.id).headers == {"X-Tenant": "acme"}
    assert (
        svix.endpoint.set_headers(app.id, ep.id, EndpointHeadersIn(headers={"X-One": "1", "X-Two": "2"}))
        is None
    )
    got = svix.endpoint.get_headers(app.id, ep.id)
    assert got.headers == {"X-One": "1", "X-Two": "2"}
    assert isinstance(got.sensitive, list)
    svix.endpoint.patch_headers(
        app.id, ep.id, EndpointHeadersPatchIn(headers={"X-Three": "3"}, delete_headers=["X-One"])
    )
    assert svix.endpoint.get_headers(app.id, ep.id).headers == {"X-Two": "2", "X-Three": "3"}


def test_new_endpoint_has_no_custom_headers(svix: Svix, app: ApplicationOut, receiver) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/h"))
    got = svix.endpoint.get_headers(app.id, ep.id)
    assert got.headers == {}
    assert got.sensitive == []


def test_custom_headers_arrive_with_deliveries(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/h", headers={"X-Tenant": "acme"}))
    send(svix, app.id)
    first = lower(receiver.wait_for(1)[0].headers)
    assert first["x-tenant"] == "acme"
    svix.endpoint.patch_headers(
        app.id, ep.id, EndpointHeadersPatchIn(headers={"X-Env": "test"}, delete_headers=["X-Tenant"])
    )
    send(svix, app.id)
    second = lower(receiver.wait_for(2)[1].headers)
    assert second["x-env"] == "test"
    assert "x-tenant" not in second
    assert second["webhook-signature"].startswith("v1,")


def test_generated_secret_signs_deliveries(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/s"))
    secret = svix.endpoint.get_secret(app.id, ep.id).key
    assert secret.startswith("whsec_")
    msg_id = send(svix, app.id, user="user_1")
    rec = receiver.wait_for(1)[0]
    Webhook(secret).verify(rec.body, rec.headers)
    assert lower(rec.headers)["webhook-id"] == msg_id


def test_secret_given_at_creation_is_kept_and_signs(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/s", secret=secret))
    assert svix.endpoint.get_secret(app.id, ep.id).key == secret
    send(svix, app.id)
    rec = receiver.wait_for(1)[0]
    Webhook(secret).verify(rec.body, rec.headers)


def test_rotated_secret_signs_alongside_the_old_one(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/r"))
    old = svix.endpoint.get_secret(app.id, ep.id).key
    rotated = svix.endpoint.rotate_secret(app.id, ep.id, EndpointSecretRotateIn())
    new = svix.endpoint.get_secret(app.id, ep.id).key
    assert new.startswith("whsec_")
    assert new != old
    assert rotated.key == new
    msg_id = send(svix, app.id)
    rec = receiver.wait_for(1)[0]
    sigs = signatures(rec)
    assert len(sigs) == 2, sigs
    ts = datetime.fromtimestamp(int(lower(rec.headers)["webhook-timestamp"]), tz=UTC)
    body = rec.body.decode()
    assert set(sigs) == {Webhook(old).sign(msg_id, ts, body), Webhook(new).sign(msg_id, ts, body)}
    Webhook(old).verify(rec.body, rec.headers)
    Webhook(new).verify(rec.body, rec.headers)


def test_rotate_to_a_chosen_secret(svix: Svix, app: ApplicationOut, receiver: RecordingReceiver) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/r"))
    old = svix.endpoint.get_secret(app.id, ep.id).key
    chosen = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    svix.endpoint.rotate_secret(app.id, ep.id, EndpointSecretRotateIn(key=chosen))
    assert svix.endpoint.get_secret(app.id, ep.id).key == chosen
    send(svix, app.id)
    rec = receiver.wait_for(1)[0]
    assert len(signatures(rec)) == 2
    Webhook(chosen).verify(rec.body, rec.headers)
    Webhook(old).verify(rec.body, rec.headers)


def test_recover_resends_failed_messages_only(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver, sdk_responses: list[httpx.Response]
) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/rec"))
    ok = send(svix, app.id, n=1)
    assert settled_destinations(svix, app.id, ok, 1)[0].status == MessageStatus.SUCCESS
    receiver.status = 500
    failed = send(svix, app.id, n=2)
    assert settled_destinations(svix, app.id, failed, 1)[0].status == MessageStatus.FAIL
    assert len(by_msg(receiver.requests, failed)) == 4
    receiver.status = 200

    task = svix.endpoint.recover(app.id, ep.id, RecoverIn(since=since))
    assert sdk_responses[-1].status_code == 202
    assert id_pattern("qtask").match(task.id), task.id
    assert task.task == BackgroundTaskType.ENDPOINT_RECOVER
    assert task.status in (BackgroundTaskStatus.RUNNING, BackgroundTaskStatus.FINISHED)

    receiver.wait_for(6)
    resent = by_msg(receiver.requests, failed)[-1]
    Webhook(svix.endpoint.get_secret(app.id, ep.id).key).verify(resent.body, resent.headers)
    assert json.loads(resent.body) == {"n": 2}
    assert settled_destinations(svix, app.id, failed, 1)[0].status == MessageStatus.SUCCESS
    sentinel = send(svix, app.id, n=3)
    settled_destinations(svix, app.id, sentinel, 1)
    assert len(by_msg(receiver.requests, ok)) == 1
    assert len(by_msg(receiver.requests, failed)) == 5


def test_recover_resends_only_failures_since_the_given_time(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    receiver.status = 500
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/rec"))
    old = svix.message.create(app.id, MessageIn(event_type="user.created", payload={"n": "old"}))
    settled_destinations(svix, app.id, old.id, 1)
    time.sleep(0.05)
    new = svix.message.create(app.id, MessageIn(event_type="user.created", payload={"n": "new"}))
    settled_destinations(svix, app.id, new.id, 1)
    assert new.timestamp > old.timestamp
    cut = old.timestamp + (new.timestamp - old.timestamp) / 2
    receiver.status = 200

    svix.endpoint.recover(app.id, ep.id, RecoverIn(since=cut))
    assert settled_destinations(svix, app.id, new.id, 1)[0].status == MessageStatus.SUCCESS
    assert len(by_msg(receiver.requests, new.id)) == 5
    sentinel = send(svix, app.id, n="sentinel")
    settled_destinations(svix, app.id, sentinel, 1)
    assert len(by_msg(receiver.requests, old.id)) == 4
    assert (
        svix.message_attempt.list_attempted_destinations(app.id, old.id).data[0].status == MessageStatus.FAIL
    )


def test_replay_missing_sends_only_what_the_endpoint_never_got(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver, sdk_responses: list[httpx.Response]
) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/a"))
    before_b = send(svix, app.id, n=1)
    receiver.wait_for(1, path="/a")
    late = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/b"))
    after_b = send(svix, app.id, n=2)
    receiver.wait_for(1, path="/b")

    task = svix.endpoint.replay_missing(app.id, late.id, ReplayIn(since=since))
    assert sdk_responses[-1].status_code == 202
    assert id_pattern("qtask").match(task.id), task.id
    assert task.task == BackgroundTaskType.ENDPOINT_REPLAY

    receiver.wait_for(2, path="/b")
    assert len(by_msg(at(receiver, "/b"), before_b)) == 1
    sentinel = send(svix, app.id, n=3)
    settled_destinations(svix, app.id, sentinel, 2)
    b = at(receiver, "/b")
    assert [len(by_msg(b, m)) for m in (before_b, after_b, sentinel)] == [1, 1, 1]
    a = at(receiver, "/a")
    assert [len(by_msg(a, m)) for m in (before_b, after_b, sentinel)] == [1, 1, 1]


def test_send_example_delivers_the_schema_example(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    example = {"object": "user", "id": "user_29w83sxmDNGwOuEthce5gg56FcC"}
    svix.event_type.create(
        EventTypeIn(
            name="user.example",
            description="with an example",
            schemas={"1": {"type": "object", "examples": [example]}},
        )
    )
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/ex"))
    msg = svix.endpoint.send_example(app.id, ep.id, EventExampleIn(event_type="user.example"))
    assert id_pattern("msg").match(msg.id), msg.id
    assert msg.event_type == "user.example"
    rec = receiver.wait_for(1)[0]
    assert lower(rec.headers)["webhook-id"] == msg.id
    assert json.loads(rec.body) == example
    Webhook(svix.endpoint.get_secret(app.id, ep.id).key).verify(rec.body, rec.headers)


def test_stats_count_successes_and_failures(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    receiver.handler = lambda rec: 500 if rec.path == "/fail" else 200
    good = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/ok", event_types=["user.created"]))
    bad = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/fail", event_types=["user.deleted"]))
    for n in range(2):
        settled_destinations(svix, app.id, send(svix, app.id, "user.created", n=n), 1)
    settled_destinations(svix, app.id, send(svix, app.id, "user.deleted"), 1)
    good_stats = svix.endpoint.get_stats(app.id, good.id)
    bad_stats = svix.endpoint.get_stats(app.id, bad.id)
    assert (good_stats.success, good_stats.fail, good_stats.pending, good_stats.sending) == (2, 0, 0, 0)
    assert (bad_stats.success, bad_stats.fail, bad_stats.pending, bad_stats.sending) == (0, 1, 0, 0)
