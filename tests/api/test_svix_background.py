"""Svix's task-backed operations through the official ``svix`` SDK: ``endpoint.bulk_replay``,
``statistics.aggregate_app_stats`` / ``aggregate_event_types``, ``message.expunge_all_contents`` answer a
finished background task with Svix's documented ``data``; ``background_task.list`` filters them; and
``message.precheck``, ``endpoint.get_attempt_stats`` and ``message.bulk_expunge_content`` answer directly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from svix.api import (
    ApplicationIn,
    ApplicationOut,
    AppUsageStatsIn,
    BackgroundTaskListOptions,
    BackgroundTaskStatus,
    BackgroundTaskType,
    BulkExpungeContentsIn,
    BulkReplayIn,
    EndpointGetAttemptStatsOptions,
    EndpointIn,
    EndpointPatch,
    MessageGetOptions,
    MessageIn,
    MessagePrecheckIn,
    Svix,
)
from svix.exceptions import HTTPValidationError

from tests.api.helpers import settled_destinations
from tests.api.node_sdk import NodeSdk
from tests.support.servers import RecordingReceiver

pytestmark = pytest.mark.usefixtures("event_types")

HOUR_AGO = datetime.now(UTC) - timedelta(hours=1)
WITH_CONTENT = MessageGetOptions(with_content=True)


def test_precheck_says_whether_an_enabled_endpoint_would_get_the_message(
    svix: Svix, app: ApplicationOut
) -> None:
    def active(event_type: str, channels: list[str] | None = None) -> bool:
        return svix.message.precheck(
            app.id, MessagePrecheckIn(event_type=event_type, channels=channels)
        ).active

    assert not active("user.created")
    ep = svix.endpoint.create(
        app.id, EndpointIn(url="https://example.com/h", event_types=["user.created"], channels=["eu"])
    )
    assert active("user.created", ["eu"])
    assert not active("user.created", ["us"])
    assert not active("user.created")  # an endpoint with channels gets only messages on one of them
    assert not active("user.deleted", ["eu"])
    svix.endpoint.patch(app.id, ep.id, EndpointPatch(disabled=True))
    assert not active("user.created", ["eu"])


def test_attempt_stats_count_attempts_by_outcome(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    receiver.handler = lambda rec: 200 if rec.path == "/ok" else 500
    ok = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/ok"))
    bad = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/bad"))
    msg = svix.message.create(app.id, MessageIn(event_type="user.created", payload={}))
    settled_destinations(svix, app.id, msg.id, 2)
    assert svix.endpoint.get_attempt_stats(app.id, ok.id).model_dump() == {
        "success": 1,
        "fail": 0,
        "canceled": 0,
    }
    stats = svix.endpoint.get_attempt_stats(app.id, bad.id, EndpointGetAttemptStatsOptions(since=HOUR_AGO))
    assert (stats.success, stats.fail) == (0, 4)  # the test server's schedule: a try and three retries
    old = svix.endpoint.get_attempt_stats(
        app.id, ok.id,
        EndpointGetAttemptStatsOptions(since=HOUR_AGO - timedelta(days=2), until=HOUR_AGO - timedelta(days=1)),
    )  # fmt: skip
    assert old.success == 0


def test_bulk_replay_resends_the_messages_the_filters_keep_and_lists_its_task(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/r"))
    first = svix.message.create(
        app.id, MessageIn(event_type="user.created", payload={"n": 1}, channels=["eu"])
    )
    svix.message.create(app.id, MessageIn(event_type="user.updated", payload={"n": 2}))
    receiver.wait_for(2)
    task = svix.endpoint.bulk_replay(
        app.id, ep.id, BulkReplayIn(since=HOUR_AGO, event_types=["user.created"])
    )
    assert (task.status, task.task) == (
        BackgroundTaskStatus.FINISHED,
        BackgroundTaskType.ENDPOINT_BULK_REPLAY,
    )
    assert svix.background_task.get(task.id).data == {"messagesSent": 1}
    third = receiver.wait_for(3)[2]
    assert third.headers.get("webhook-id") == first.id
    # channel and status filters narrow it too; a future window replays nothing
    by_channel = svix.endpoint.bulk_replay(app.id, ep.id, BulkReplayIn(since=HOUR_AGO, channel="us"))
    assert svix.background_task.get(by_channel.id).data == {"messagesSent": 0}
    later = svix.endpoint.bulk_replay(
        app.id, ep.id, BulkReplayIn(since=datetime.now(UTC) + timedelta(minutes=1))
    )
    assert svix.background_task.get(later.id).data == {"messagesSent": 0}

    listed = svix.background_task.list(
        BackgroundTaskListOptions(task=BackgroundTaskType.ENDPOINT_BULK_REPLAY)
    )
    assert [t.id for t in listed.data] == [later.id, by_channel.id, task.id]  # newest first
    page = svix.background_task.list(BackgroundTaskListOptions(limit=2))
    assert not page.done
    rest = svix.background_task.list(BackgroundTaskListOptions(limit=2, iterator=page.iterator))
    assert [t.id for t in rest.data] == [task.id]
    assert (
        svix.background_task.list(BackgroundTaskListOptions(status=BackgroundTaskStatus.RUNNING)).data == []
    )


def test_a_garbage_task_iterator_or_filter_is_refused(raw: httpx.Client) -> None:
    assert raw.get("/api/v1/background-task", params={"iterator": "nope"}).status_code == 422
    assert raw.get("/api/v1/background-task", params={"task": "nope"}).status_code == 422


def test_bulk_and_whole_application_expunge(svix: Svix, app: ApplicationOut) -> None:
    one = svix.message.create(
        app.id, MessageIn(event_type="user.created", payload={"secret": 1}, event_id="e-1")
    )
    two = svix.message.create(app.id, MessageIn(event_type="user.created", payload={"secret": 2}))
    out = svix.message.bulk_expunge_content(app.id, BulkExpungeContentsIn(ids=["e-1", "msg_nope"]))
    assert {k: v.value for k, v in out.results.items()} == {"e-1": "expunged", "msg_nope": "not-found"}
    assert svix.message.get(app.id, one.id, WITH_CONTENT).payload == {"expired": True}
    assert svix.message.get(app.id, two.id, WITH_CONTENT).payload == {"secret": 2}
    task = svix.message.expunge_all_contents(app.id)
    assert task.task == BackgroundTaskType.APPLICATION_PURGE_CONTENT
    assert svix.background_task.get(task.id).data == {"messagesPurged": 1}
    assert svix.message.get(app.id, two.id, WITH_CONTENT).payload == {"expired": True}


def test_usage_statistics_per_application(svix: Svix, app: ApplicationOut) -> None:
    other = svix.application.create(ApplicationIn(name="other"))
    for url in ("https://example.com/a", "https://example.com/b"):
        svix.endpoint.create(app.id, EndpointIn(url=url))
    svix.endpoint.create(other.id, EndpointIn(url="https://example.com/c", event_types=["user.deleted"]))
    svix.message.create(app.id, MessageIn(event_type="user.created", payload={}))
    svix.message.create(other.id, MessageIn(event_type="user.created", payload={}))  # goes nowhere
    now = datetime.now(UTC) + timedelta(minutes=1)
    out = svix.statistics.aggregate_app_stats(AppUsageStatsIn(since=HOUR_AGO, until=now))
    assert out.unresolved_app_ids == []
    assert svix.background_task.get(out.id).data == {
        "appStats": [{"messageDestinations": 2, "appId": app.id, "appUid": "acme"}]
    }
    only = svix.statistics.aggregate_app_stats(
        AppUsageStatsIn(since=HOUR_AGO, until=now, app_ids=["acme", "ghost"])
    )
    assert only.unresolved_app_ids == ["ghost"]
    with pytest.raises(HTTPValidationError):
        svix.statistics.aggregate_app_stats(AppUsageStatsIn(since=HOUR_AGO, until=now, app_ids=["ghost"]))

    types = svix.statistics.aggregate_event_types()
    assert types.task == BackgroundTaskType.EVENT_TYPE_AGGREGATE
    rows = {r["appId"]: r for r in svix.background_task.get(types.id).data["event_types"]}
    assert rows[app.id] == {
        "appId": app.id,
        "explicitlySubscribedEventTypes": [],
        "hasCatchAllEndpoint": True,
    }
    assert rows[other.id]["explicitlySubscribedEventTypes"] == ["user.deleted"]
    assert rows[other.id]["hasCatchAllEndpoint"] is False


def test_the_npm_sdk_reaches_the_task_operations(node_sdk: NodeSdk, app: ApplicationOut) -> None:
    out = node_sdk.run(
        ("message.precheck", [app.id, {"eventType": "user.created"}]),
        ("endpoint.create", [app.id, {"url": "https://example.com/h"}]),
        ("message.precheck", [app.id, {"eventType": "user.created"}]),
        ("message.expungeAllContents", [app.id]),
        ("backgroundTask.list", [{"task": "application.purge_content"}]),
    )
    assert all(o.ok for o in out), out
    assert (out[0].result["active"], out[2].result["active"]) == (False, True)
    assert [t["id"] for t in out[4].result["data"]] == [out[3].result["id"]]
