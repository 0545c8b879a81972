"""Attempt lists' filters through the official ``svix`` SDK, as svix-server applies them: status, response
code class, channel, tag, event types, before/after, with_content, with_msg, expanded_statuses."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from svix.api import (
    ApplicationOut,
    EndpointIn,
    EndpointOut,
    MessageAttemptListByEndpointOptions,
    MessageAttemptListByMsgOptions,
    MessageAttemptOut,
    MessageIn,
    MessageOut,
    MessageStatus,
    StatusCodeClass,
    Svix,
)
from svix.exceptions import HTTPValidationError

from tests.api.helpers import collect_pages, settled_destinations
from tests.support.servers import RecordingReceiver, free_port


def by_endpoint(svix: Svix, app_id: str, ep_id: str, **options: Any) -> list[MessageAttemptOut]:
    pages = collect_pages(
        lambda it: svix.message_attempt.list_by_endpoint(
            app_id, ep_id, MessageAttemptListByEndpointOptions(limit=250, iterator=it, **options)
        )
    )
    return [a for p in pages for a in p.data]


def by_msg(svix: Svix, app_id: str, msg_id: str, **options: Any) -> list[MessageAttemptOut]:
    pages = collect_pages(
        lambda it: svix.message_attempt.list_by_msg(
            app_id, msg_id, MessageAttemptListByMsgOptions(limit=250, iterator=it, **options)
        )
    )
    return [a for p in pages for a in p.data]


def msg_ids(attempts: list[MessageAttemptOut]) -> set[str]:
    return {a.msg_id for a in attempts}


class World:
    """An endpoint answering each message with the code in its payload, and three settled messages."""

    def __init__(self, svix: Svix, app: ApplicationOut, receiver: RecordingReceiver) -> None:
        receiver.handler = lambda rec: int(json.loads(rec.body)["code"])
        self.ep: EndpointOut = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/a"))
        self.ok = self.send(svix, app.id, "user.created", 200, channels=["ch_1"], tags=["Tag"])
        self.gone = self.send(svix, app.id, "user.deleted", 404, channels=["chX1"], tags=["tag"])
        self.broken = self.send(svix, app.id, "session.created", 500)

    @staticmethod
    def send(svix: Svix, app_id: str, event_type: str, code: int, **extra: Any) -> MessageOut:
        msg = svix.message.create(app_id, MessageIn(event_type=event_type, payload={"code": code}, **extra))
        settled_destinations(svix, app_id, msg.id, 1)
        return msg


@pytest.fixture
def world(svix: Svix, app: ApplicationOut, receiver: RecordingReceiver) -> World:
    return World(svix, app, receiver)


def test_failed_deliveries_leave_one_attempt_per_try(svix: Svix, app: ApplicationOut, world: World) -> None:
    attempts = by_endpoint(svix, app.id, world.ep.id)
    # the test server retries three times, in milliseconds
    assert sorted(a.response_status_code for a in attempts) == [200] + [404] * 4 + [500] * 4


@pytest.mark.parametrize(
    ("code_class", "expected"),
    [
        (StatusCodeClass.CODE2XX, "ok"),
        (StatusCodeClass.CODE4XX, "gone"),
        (StatusCodeClass.CODE5XX, "broken"),
        (StatusCodeClass.CODE3XX, None),
        (StatusCodeClass.CODE_NONE, None),
    ],
)
def test_status_code_class_keeps_attempts_whose_code_is_in_that_hundred(
    svix: Svix, app: ApplicationOut, world: World, code_class: StatusCodeClass, expected: str | None
) -> None:
    wanted = {getattr(world, expected).id} if expected else set()
    assert msg_ids(by_endpoint(svix, app.id, world.ep.id, status_code_class=code_class)) == wanted
    for msg in (world.ok, world.gone, world.broken):
        got = msg_ids(by_msg(svix, app.id, msg.id, status_code_class=code_class))
        assert got == ({msg.id} & wanted)


def test_status_code_class_none_keeps_attempts_that_got_no_response(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    # nothing listens on this port: every try ends without a response
    ep = svix.endpoint.create(app.id, EndpointIn(url=f"http://127.0.0.1:{free_port()}/none"))
    msg = svix.message.create(app.id, MessageIn(event_type="user.created", payload={}))
    settled_destinations(svix, app.id, msg.id, 1)
    none = by_endpoint(svix, app.id, ep.id, status_code_class=StatusCodeClass.CODE_NONE)
    assert len(none) == 4 and all(a.response_status_code == 0 for a in none)
    assert by_endpoint(svix, app.id, ep.id, status_code_class=StatusCodeClass.CODE5XX) == []


def test_status_filters_on_the_attempt_status(svix: Svix, app: ApplicationOut, world: World) -> None:
    assert msg_ids(by_endpoint(svix, app.id, world.ep.id, status=MessageStatus.SUCCESS)) == {world.ok.id}
    failed = by_endpoint(svix, app.id, world.ep.id, status=MessageStatus.FAIL)
    assert msg_ids(failed) == {world.gone.id, world.broken.id} and len(failed) == 8
    # attempts are only ever a success or a failure; canceled is a valid filter that keeps nothing here
    for status in (MessageStatus.PENDING, MessageStatus.SENDING, MessageStatus.CANCELED):
        assert by_endpoint(svix, app.id, world.ep.id, status=status) == []
        assert by_msg(svix, app.id, world.gone.id, status=status, expanded_statuses=True) == []
    assert msg_ids(by_msg(svix, app.id, world.ok.id, status=MessageStatus.SUCCESS)) == {world.ok.id}
    assert by_msg(svix, app.id, world.ok.id, status=MessageStatus.FAIL) == []


def test_channel_and_tag_match_the_message_exactly(svix: Svix, app: ApplicationOut, world: World) -> None:
    ep = world.ep.id
    assert msg_ids(by_endpoint(svix, app.id, ep, channel="ch_1")) == {world.ok.id}
    assert msg_ids(by_endpoint(svix, app.id, ep, channel="chX1")) == {world.gone.id}
    assert by_endpoint(svix, app.id, ep, channel="CH_1") == []
    assert by_endpoint(svix, app.id, ep, channel="ch") == []
    assert msg_ids(by_endpoint(svix, app.id, ep, tag="Tag")) == {world.ok.id}
    assert msg_ids(by_endpoint(svix, app.id, ep, tag="tag")) == {world.gone.id}
    assert by_endpoint(svix, app.id, ep, tag="ta") == []
    assert msg_ids(by_msg(svix, app.id, world.ok.id, channel="ch_1", tag="Tag")) == {world.ok.id}
    assert by_msg(svix, app.id, world.ok.id, channel="chX1") == []
    assert by_msg(svix, app.id, world.gone.id, tag="Tag") == []


def test_event_types_keep_attempts_of_those_messages(svix: Svix, app: ApplicationOut, world: World) -> None:
    got = by_endpoint(svix, app.id, world.ep.id, event_types=["user.created", "session.created"])
    assert msg_ids(got) == {world.ok.id, world.broken.id}
    assert by_msg(svix, app.id, world.ok.id, event_types=["user.deleted"]) == []
    assert msg_ids(by_msg(svix, app.id, world.gone.id, event_types=["user.deleted"])) == {world.gone.id}


def test_event_types_are_read_under_svix_servers_keys_too(
    raw: httpx.Client, app: ApplicationOut, world: World
) -> None:
    url = f"/api/v1/app/{app.id}/attempt/endpoint/{world.ep.id}"
    for params in (
        [("event_types[]", "user.created"), ("event_types[]", "user.deleted")],
        [("event_types[0]", "user.created"), ("event_types[1]", "user.deleted")],
        [("event_types", "user.created,user.deleted")],
    ):
        data = raw.get(url, params=params).json()["data"]
        assert {a["msgId"] for a in data} == {world.ok.id, world.gone.id}, params


def test_before_and_after_bound_the_attempt_time(svix: Svix, app: ApplicationOut, world: World) -> None:
    everything = by_endpoint(svix, app.id, world.ep.id)
    first_fail = min(a.timestamp for a in everything if a.msg_id == world.gone.id)
    cut = first_fail - timedelta(microseconds=1)
    after = by_endpoint(svix, app.id, world.ep.id, after=cut)
    before = by_endpoint(svix, app.id, world.ep.id, before=cut)
    assert msg_ids(after) == {world.gone.id, world.broken.id} and len(after) == 8
    assert msg_ids(before) == {world.ok.id}
    assert msg_ids(by_msg(svix, app.id, world.ok.id, after=cut)) == set()
    assert msg_ids(by_msg(svix, app.id, world.ok.id, before=cut)) == {world.ok.id}


def test_after_alone_reads_from_after_onwards_as_svix_server_does(
    svix: Svix, app: ApplicationOut, world: World
) -> None:
    everything = by_endpoint(svix, app.id, world.ep.id)
    oldest_first = sorted(everything, key=lambda a: a.id)
    assert oldest_first[0].msg_id == world.ok.id
    # timestamps are shown to the millisecond: a cut just below the second attempt's
    cut = oldest_first[1].timestamp - timedelta(microseconds=1)
    # the page holds the attempts right after ``after`` (newest of them first), not the newest ones
    page = svix.message_attempt.list_by_endpoint(
        app.id, world.ep.id, MessageAttemptListByEndpointOptions(limit=2, after=cut)
    )
    assert [a.id for a in page.data] == [oldest_first[2].id, oldest_first[1].id]
    assert page.done is False
    assert page.prev_iterator == "-" + oldest_first[2].id
    # the previous-page iterator reads on towards the newest
    nxt = svix.message_attempt.list_by_endpoint(
        app.id, world.ep.id, MessageAttemptListByEndpointOptions(limit=2, iterator=page.prev_iterator)
    )
    assert [a.id for a in nxt.data] == [oldest_first[4].id, oldest_first[3].id]
    newest = svix.message_attempt.list_by_endpoint(
        app.id, world.ep.id, MessageAttemptListByEndpointOptions(limit=2)
    )
    assert [a.id for a in newest.data] == [oldest_first[-1].id, oldest_first[-2].id]


def test_with_content_false_hides_the_response_body(
    svix: Svix, raw: httpx.Client, app: ApplicationOut, world: World
) -> None:
    # the SDK sends with_content=false unless asked; a plain request gets the content (svix-server's default)
    assert {a.response for a in by_endpoint(svix, app.id, world.ep.id)} == {"{}"}
    assert {a.response for a in by_endpoint(svix, app.id, world.ep.id, with_content=True)} == {"ok"}
    assert {a.response for a in by_msg(svix, app.id, world.gone.id)} == {"{}"}
    assert {a.response for a in by_msg(svix, app.id, world.gone.id, with_content=True)} == {"ok"}
    plain = raw.get(f"/api/v1/app/{app.id}/attempt/endpoint/{world.ep.id}").json()["data"]
    assert {a["response"] for a in plain} == {"ok"}


def test_with_msg_embeds_the_message_without_its_payload(
    svix: Svix, app: ApplicationOut, world: World
) -> None:
    attempts = by_endpoint(svix, app.id, world.ep.id, with_msg=True, with_content=True)
    assert len(attempts) == 9
    by_id = {m.id: m for m in (world.ok, world.gone, world.broken)}
    for a in attempts:
        assert a.msg is not None and a.msg.id == a.msg_id
        sent = by_id[a.msg_id]
        assert (a.msg.event_type, a.msg.channels, a.msg.tags) == (sent.event_type, sent.channels, sent.tags)
        assert a.msg.payload == {}
    assert all(a.msg is None for a in by_endpoint(svix, app.id, world.ep.id))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status_code_class": "201"}, "status_code_class"),
        ({"status_code_class": "2xx"}, "status_code_class"),
        ({"status": "5"}, "status"),
        ({"channel": "ch%"}, "channel"),
        ({"tag": "a b"}, "tag"),
        ({"event_types": "user created"}, "event_types"),
        ({"iterator": "msg_2ZXj7lO3d0ZGrcHuHwVrLkD0Ab1"}, "iterator"),
        ({"iterator": "atmpt_zzz"}, "iterator"),
        ({"before": "yesterday"}, "before"),
        ({"with_msg": "maybe"}, "with_msg"),
        ({"expanded_statuses": "2"}, "expanded_statuses"),
    ],
)
def test_values_svix_refuses_are_a_422_naming_the_parameter(
    raw: httpx.Client, app: ApplicationOut, world: World, params: dict[str, str], field: str
) -> None:
    for url in (
        f"/api/v1/app/{app.id}/attempt/endpoint/{world.ep.id}",
        f"/api/v1/app/{app.id}/attempt/msg/{world.ok.id}",
    ):
        r = raw.get(url, params=params)
        assert r.status_code == 422, (url, params, r.text)
        assert any(field in d["loc"] for d in r.json()["detail"]), r.text


def test_an_invalid_filter_reaches_the_sdk_as_a_validation_error(
    svix: Svix, app: ApplicationOut, world: World
) -> None:
    with pytest.raises(HTTPValidationError):
        svix.message_attempt.list_by_endpoint(
            app.id, world.ep.id, MessageAttemptListByEndpointOptions(channel="not a channel")
        )


def test_lists_page_with_the_same_filters(svix: Svix, app: ApplicationOut, world: World) -> None:
    pages = collect_pages(
        lambda it: svix.message_attempt.list_by_endpoint(
            app.id,
            world.ep.id,
            MessageAttemptListByEndpointOptions(limit=3, iterator=it, status=MessageStatus.FAIL),
        )
    )
    assert [len(p.data) for p in pages] == [3, 3, 2]
    got = [a for p in pages for a in p.data]
    assert len({a.id for a in got}) == 8 and msg_ids(got) == {world.gone.id, world.broken.id}
    assert [a.id for a in got] == sorted((a.id for a in got), reverse=True)


def test_svix_servers_deprecated_attempt_lists_are_served_with_their_filters(
    svix: Svix, raw: httpx.Client, app: ApplicationOut, world: World, receiver: RecordingReceiver
) -> None:
    other = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/b", uid="other"))
    msg = svix.message.create(
        app.id, MessageIn(event_type="user.created", payload={"code": 500}, channels=["ch_2"])
    )
    settled_destinations(svix, app.id, msg.id, 2)
    base = f"/api/v1/app/{app.id}"
    everything = raw.get(f"{base}/msg/{msg.id}/attempt").json()
    assert {a["endpointId"] for a in everything["data"]} == {world.ep.id, other.id}
    assert len(everything["data"]) == 8 and everything["done"] is True
    # with their content, as svix-server answers them
    assert {a["response"] for a in everything["data"]} == {"ok"}
    only_other = raw.get(f"{base}/msg/{msg.id}/attempt", params={"endpoint_id": "other"}).json()["data"]
    assert {a["endpointId"] for a in only_other} == {other.id} and len(only_other) == 4
    for_endpoint = raw.get(f"{base}/msg/{msg.id}/endpoint/other/attempt").json()["data"]
    assert [a["id"] for a in for_endpoint] == [a["id"] for a in only_other]
    for params, count in (
        ({"status": "2"}, 8),
        ({"status": "0"}, 0),
        ({"channel": "ch_2"}, 8),
        ({"channel": "ch_1"}, 0),
        ({"event_types": "user.deleted"}, 0),
        ({"before": world.ok.timestamp.isoformat()}, 0),
    ):
        got = raw.get(f"{base}/msg/{msg.id}/attempt", params=params).json()["data"]
        assert len(got) == count, params
        got = raw.get(f"{base}/msg/{msg.id}/endpoint/{world.ep.id}/attempt", params=params).json()["data"]
        assert len(got) == count // 2, params
    paged = raw.get(f"{base}/msg/{msg.id}/endpoint/{world.ep.id}/attempt", params={"limit": 3}).json()
    assert len(paged["data"]) == 3 and paged["done"] is False
    assert raw.get(f"{base}/msg/{msg.id}/attempt", params={"endpoint_id": "nope"}).status_code == 404
    assert raw.get(f"{base}/msg/{msg.id}/endpoint/nope/attempt").status_code == 404
    assert raw.get(f"{base}/msg/msg_unknown/attempt").status_code == 404
    assert raw.get(f"{base}/msg/{msg.id}/attempt", params={"status": "9"}).status_code == 422
