"""``list_attempted_messages`` through the official ``svix`` SDK, as svix-server answers it: one row per
message tried at the endpoint, with the delivery's status there and ``nextAttempt`` while a retry is due."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from svix.api import (
    ApplicationIn,
    ApplicationOut,
    EndpointIn,
    EndpointMessageOut,
    EndpointOut,
    MessageAttemptListAttemptedMessagesOptions,
    MessageIn,
    MessageOut,
    MessageStatus,
    MessageStatusText,
    Svix,
    SvixOptions,
)

from tests.api.conftest import database_for
from tests.api.helpers import collect_pages, settled_destinations, wait_until
from tests.support.servers import HooklineServer, RecordingReceiver

Options = MessageAttemptListAttemptedMessagesOptions


def attempted(svix: Svix, app_id: str, ep_id: str, **options: Any) -> list[EndpointMessageOut]:
    pages = collect_pages(
        lambda it: svix.message_attempt.list_attempted_messages(
            app_id, ep_id, Options(limit=250, iterator=it, **options)
        )
    )
    return [m for p in pages for m in p.data]


def ids(rows: list[EndpointMessageOut]) -> list[str]:
    return [r.id for r in rows]


class World:
    """One endpoint answering with the code in each payload (``first`` answers the first try only),
    three settled messages to it, and one message it never got (filtered by event type)."""

    def __init__(self, svix: Svix, app: ApplicationOut, receiver: RecordingReceiver) -> None:
        seen: set[str] = set()

        def answer(rec: Any) -> int:
            body = json.loads(rec.body)
            key = rec.headers.get("svix-id", "")
            if "first" in body and key not in seen:
                seen.add(key)
                return int(body["first"])
            return int(body["code"])

        receiver.handler = answer
        self.ep: EndpointOut = svix.endpoint.create(
            app.id,
            EndpointIn(
                url=receiver.url + "/a", event_types=["user.created", "user.deleted", "session.created"]
            ),
        )
        self.ok = self.send(svix, app.id, "user.created", {"code": 200}, channels=["ch_1"], tags=["Tag"])
        self.gone = self.send(svix, app.id, "user.deleted", {"code": 404}, channels=["chX1"], tags=["tag"])
        # fails once, then succeeds on the retry
        self.late = self.send(svix, app.id, "session.created", {"code": 200, "first": 500})
        self.other = svix.message.create(app.id, MessageIn(event_type="user.updated", payload={"code": 200}))

    @staticmethod
    def send(svix: Svix, app_id: str, event_type: str, payload: dict[str, Any], **extra: Any) -> MessageOut:
        msg = svix.message.create(app_id, MessageIn(event_type=event_type, payload=payload, **extra))
        settled_destinations(svix, app_id, msg.id, 1)
        return msg


@pytest.fixture
def world(svix: Svix, app: ApplicationOut, receiver: RecordingReceiver) -> World:
    return World(svix, app, receiver)


def test_one_row_per_message_with_its_delivery_status(svix: Svix, app: ApplicationOut, world: World) -> None:
    rows = attempted(svix, app.id, world.ep.id)
    # newest message first; the message never routed to the endpoint is not there
    assert ids(rows) == [world.late.id, world.gone.id, world.ok.id]
    late, gone, ok = rows
    assert (ok.status, ok.status_text) == (MessageStatus.SUCCESS, MessageStatusText.SUCCESS)
    assert (gone.status, gone.status_text) == (MessageStatus.FAIL, MessageStatusText.FAIL)
    assert late.status == MessageStatus.SUCCESS
    assert all(r.next_attempt is None for r in rows)
    assert (ok.event_type, ok.channels, ok.tags) == ("user.created", ["ch_1"], ["Tag"])
    assert ok.timestamp == world.ok.timestamp


def test_rows_page_by_message_id_in_both_directions(svix: Svix, app: ApplicationOut, world: World) -> None:
    pages = collect_pages(
        lambda it: svix.message_attempt.list_attempted_messages(
            app.id, world.ep.id, Options(limit=1, iterator=it)
        )
    )
    assert [ids(p.data) for p in pages] == [[world.late.id], [world.gone.id], [world.ok.id]]
    assert pages[1].iterator == world.gone.id
    assert pages[1].prev_iterator == "-" + world.gone.id
    back = svix.message_attempt.list_attempted_messages(
        app.id, world.ep.id, Options(limit=5, iterator=pages[2].prev_iterator)
    )
    assert ids(back.data) == [world.late.id, world.gone.id]


def test_status_filters_as_svix_server_reads_them(svix: Svix, app: ApplicationOut, world: World) -> None:
    ep = world.ep.id
    # success: delivered at least once, even after failures
    assert ids(attempted(svix, app.id, ep, status=MessageStatus.SUCCESS)) == [world.late.id, world.ok.id]
    # fail: failed for good, never delivered
    failed = attempted(svix, app.id, ep, status=MessageStatus.FAIL)
    assert ids(failed) == [world.gone.id] and failed[0].status == MessageStatus.FAIL
    assert attempted(svix, app.id, ep, status=MessageStatus.SENDING) == []
    # svix-server no longer gives a delivery the pending status
    assert attempted(svix, app.id, ep, status=MessageStatus.PENDING) == []
    assert attempted(svix, app.id, ep, status=MessageStatus.CANCELED, expanded_statuses=True) == []


def test_message_filters_match_exactly(svix: Svix, app: ApplicationOut, world: World) -> None:
    ep = world.ep.id
    assert ids(attempted(svix, app.id, ep, channel="ch_1")) == [world.ok.id]
    assert ids(attempted(svix, app.id, ep, channel="chX1")) == [world.gone.id]
    assert attempted(svix, app.id, ep, channel="CH_1") == []
    assert ids(attempted(svix, app.id, ep, tag="Tag")) == [world.ok.id]
    assert ids(attempted(svix, app.id, ep, tag="tag")) == [world.gone.id]
    both = attempted(svix, app.id, ep, event_types=["user.deleted", "session.created"])
    assert ids(both) == [world.late.id, world.gone.id]
    assert attempted(svix, app.id, ep, event_types=["user.updated"]) == []


def test_before_and_after_bound_the_message_time(svix: Svix, app: ApplicationOut, world: World) -> None:
    ep = world.ep.id
    cut = world.gone.timestamp - timedelta(microseconds=1)
    assert ids(attempted(svix, app.id, ep, after=cut)) == [world.late.id, world.gone.id]
    assert ids(attempted(svix, app.id, ep, before=cut)) == [world.ok.id]
    # after alone reads from there on: the page holds the messages right after it
    page = svix.message_attempt.list_attempted_messages(app.id, ep, Options(limit=1, after=cut))
    assert ids(page.data) == [world.gone.id] and page.done is False


def test_with_content(svix: Svix, raw: httpx.Client, app: ApplicationOut, world: World) -> None:
    ep = world.ep.id
    # the SDK asks for no content unless told; a plain request gets it (svix-server's default)
    assert {json.dumps(r.payload) for r in attempted(svix, app.id, ep)} == {"{}"}
    assert [r.payload for r in attempted(svix, app.id, ep, with_content=True)] == [
        {"code": 200, "first": 500},
        {"code": 404},
        {"code": 200},
    ]
    plain = raw.get(f"/api/v1/app/{app.id}/endpoint/{ep}/msg").json()
    assert [r["payload"] for r in plain["data"]][-1] == {"code": 200}
    # nextAttempt is left out when no retry is due, as svix-server does
    assert all("nextAttempt" not in r for r in plain["data"])


@pytest.mark.parametrize(
    "params",
    [
        {"iterator": "atmpt_2ZXj7lO3d0ZGrcHuHwVrLkD0Ab1"},
        {"iterator": "-ep_2ZXj7lO3d0ZGrcHuHwVrLkD0Ab1"},
        {"iterator": "msg_short"},
        {"status": "5"},
        {"status_code_class": "200"},
        {"channel": "a%"},
        {"tag": "a b"},
        {"event_types[]": "no spaces"},
        {"after": "soon"},
        {"with_content": "perhaps"},
    ],
)
def test_values_svix_refuses_are_a_422(
    raw: httpx.Client, app: ApplicationOut, world: World, params: dict[str, str]
) -> None:
    r = raw.get(f"/api/v1/app/{app.id}/endpoint/{world.ep.id}/msg", params=params)
    assert r.status_code == 422, (params, r.text)
    [name] = params
    assert any(name.split("[")[0] in d["loc"] for d in r.json()["detail"]), r.text


@pytest.fixture
def slow_retries(request: pytest.FixtureRequest, api_backend: str) -> Iterator[Svix]:
    """hookline whose first retry comes an hour after a failure, and its SDK client."""
    server = HooklineServer(database_url=database_for(request, api_backend), retry_schedule=(3600.0,)).start()
    client = Svix(server.token, SvixOptions(server_url=server.url))
    yield client
    client._httpx_client.close()
    server.stop()


def test_a_retry_due_reads_as_sending_with_the_next_attempt(
    slow_retries: Svix, receiver: RecordingReceiver
) -> None:
    svix = slow_retries
    app = svix.application.create(ApplicationIn(name="retrying"))
    receiver.status = 503
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/down"))
    msg = svix.message.create(app.id, MessageIn(event_type="user.created", payload={}))
    before = datetime.now(UTC)
    [row] = wait_until(lambda: attempted(svix, app.id, ep.id), what="the first attempt")
    assert row.id == msg.id
    assert (row.status, row.status_text) == (MessageStatus.SENDING, MessageStatusText.SENDING)
    assert row.next_attempt is not None
    assert before + timedelta(minutes=50) < row.next_attempt < before + timedelta(minutes=70)
    assert ids(attempted(svix, app.id, ep.id, status=MessageStatus.SENDING)) == [msg.id]
    assert attempted(svix, app.id, ep.id, status=MessageStatus.FAIL) == []
    assert attempted(svix, app.id, ep.id, status=MessageStatus.SUCCESS) == []
    assert attempted(svix, app.id, ep.id, status=MessageStatus.PENDING) == []
    # one attempt so far, and the message is listed once
    assert len(receiver.requests) == 1
    time.sleep(0.2)
    assert len(attempted(svix, app.id, ep.id)) == 1
