"""Operational webhooks through the official ``svix`` SDKs: ``operational_webhook.endpoint.*`` manages the
endpoints, and Svix's operational events reach them through hookline's own engine, signed and retried
like any webhook, with svix-server's payload shapes; tenants never see the application that holds them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from svix.api import (
    ApplicationIn,
    ApplicationOut,
    EndpointIn,
    EndpointPatch,
    EndpointSecretRotateIn,
    EndpointUpsertIn,
    MessageIn,
    OperationalWebhookEndpointHeadersIn,
    OperationalWebhookEndpointIn,
    OperationalWebhookEndpointListOptions,
    OperationalWebhookEndpointSecretIn,
    OperationalWebhookEndpointUpsertIn,
    RecoverIn,
    Svix,
    SvixOptions,
)
from svix.exceptions import HttpError, HTTPValidationError
from svix.webhooks import Webhook

from hookline.store.operational import OPERATIONAL_APP_ID
from tests.api.helpers import id_pattern, lower, wait_until
from tests.api.node_sdk import node_sdk_for
from tests.support.servers import HooklineServer, Received, RecordingReceiver

pytestmark = pytest.mark.usefixtures("event_types")


@pytest.fixture
def patient_server(tmp_path: Path) -> Iterator[HooklineServer]:
    """A server of its own retrying six times, so a delivery can fail four times and still succeed."""
    server = HooklineServer(f"sqlite:///{tmp_path / 'patient.db'}", retry_schedule=(0.05,) * 6).start()
    yield server
    server.stop()


@pytest.fixture
def patient(patient_server: HooklineServer) -> Iterator[Svix]:
    client = Svix(patient_server.token, SvixOptions(server_url=patient_server.url))
    yield client
    client._httpx_client.close()


def events(receiver: RecordingReceiver, path: str = "/ops") -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in receiver.requests if r.path == path]


def wait_for_event(
    receiver: RecordingReceiver, kind: str, path: str = "/ops", count: int = 1
) -> list[dict[str, Any]]:
    def found() -> list[dict[str, Any]] | None:
        got = [e for e in events(receiver, path) if e["type"] == kind]
        return got if len(got) >= count else None

    return wait_until(found, what=f"{count} {kind} event(s)")


def listen(svix: Svix, receiver: RecordingReceiver, **fields: Any) -> str:
    """Create an operational endpoint posting to ``/ops``; return its secret."""
    ep = svix.operational_webhook.endpoint.create(
        OperationalWebhookEndpointIn(url=receiver.url + "/ops", **fields)
    )
    return svix.operational_webhook.endpoint.get_secret(ep.id).key


def test_operational_endpoints_are_managed_through_the_sdk(svix: Svix, raw: httpx.Client) -> None:
    ops = svix.operational_webhook.endpoint
    created = ops.create(OperationalWebhookEndpointIn(
        url="https://ops.example.com/hook", uid="ops-main", description="alerts", event_types=["endpoint.deleted"],
        metadata={"team": "sre"}, headers={"X-Team": "sre"}, throttle_rate=5,
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    ))  # fmt: skip
    assert id_pattern("ep").match(created.id)
    assert (created.uid, created.description, created.event_types, created.metadata, created.throttle_rate) == (
        "ops-main", "alerts", ["endpoint.deleted"], {"team": "sre"}, 5,
    )  # fmt: skip
    assert ops.get("ops-main").id == created.id
    assert [e.id for e in ops.list(OperationalWebhookEndpointListOptions(limit=10)).data] == [created.id]
    assert ops.get_secret(created.id).key == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    assert ops.get_headers(created.id).headers == {"X-Team": "sre"}
    ops.set_headers(created.id, OperationalWebhookEndpointHeadersIn(headers={"X-Other": "1"}))
    assert ops.get_headers(created.id).headers == {"X-Other": "1"}
    updated = ops.upsert(created.id, OperationalWebhookEndpointUpsertIn(
        url="https://ops.example.com/v2", event_types=["endpoint.created", "message.attempt.exhausted"],
    ))  # fmt: skip
    assert updated.url == "https://ops.example.com/v2"
    assert updated.event_types == ["endpoint.created", "message.attempt.exhausted"]
    assert ops.rotate_secret(created.id, OperationalWebhookEndpointSecretIn(grace_period_seconds=0)) is None
    assert ops.get_secret(created.id).key != "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    # PUT under an unknown uid creates the endpoint, as an application's endpoint PUT does
    fresh = ops.upsert("ops-second", OperationalWebhookEndpointUpsertIn(url="https://ops.example.com/2"))
    assert fresh.uid == "ops-second"
    ops.delete(created.id)
    with pytest.raises(HttpError) as err:
        ops.get(created.id)
    assert err.value.status_code == 404
    assert raw.delete(f"/api/v1/operational-webhook/endpoint/{created.id}").status_code == 404


@pytest.mark.parametrize(
    "fields",
    [
        {"event_types": ["user.created"]},  # not an operational event type
        {"url": "ftp://ops.example.com"},
        {"secret": "whsec_short"},
        {"throttle_rate": 0},
    ],
)
def test_bad_operational_endpoint_fields_are_refused(svix: Svix, fields: dict[str, Any]) -> None:
    body = {"url": "https://ops.example.com/hook", **fields}
    with pytest.raises(HTTPValidationError):
        svix.operational_webhook.endpoint.create(OperationalWebhookEndpointIn(**body))
    assert svix.operational_webhook.endpoint.list().data == []


def test_tenants_never_see_the_operational_application(
    svix: Svix, raw: httpx.Client, app: ApplicationOut
) -> None:
    ops_ep = svix.operational_webhook.endpoint.create(
        OperationalWebhookEndpointIn(url="https://ops.example.com/h")
    )
    assert [a.id for a in svix.application.list().data] == [app.id]
    for path in (f"/api/v1/app/{OPERATIONAL_APP_ID}", f"/api/v1/app/{OPERATIONAL_APP_ID}/endpoint",
                 f"/api/v1/app/{OPERATIONAL_APP_ID}/endpoint/{ops_ep.id}", f"/api/v1/app/{OPERATIONAL_APP_ID}/msg"):  # fmt: skip
        assert raw.get(path).status_code == 404, path
    resp = raw.post(
        f"/api/v1/app/{OPERATIONAL_APP_ID}/msg", json={"eventType": "endpoint.created", "payload": {}}
    )
    assert resp.status_code == 404
    # and an application's endpoint is not an operational endpoint
    ep = svix.endpoint.create(app.id, EndpointIn(url="https://example.com/hook"))
    assert raw.get(f"/api/v1/operational-webhook/endpoint/{ep.id}").status_code == 404


def test_endpoint_lifecycle_events_are_delivered_signed_with_svix_payloads(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    secret = listen(svix, receiver)
    ep = svix.endpoint.create(app.id, EndpointIn(url="https://example.com/hook", uid="billing"))
    [created] = wait_for_event(receiver, "endpoint.created")
    assert created == {"type": "endpoint.created", "data": {
        "appId": app.id, "appUid": "acme", "endpointId": ep.id, "endpointUid": "billing",
    }}  # fmt: skip
    rec = next(r for r in receiver.requests if json.loads(r.body)["type"] == "endpoint.created")
    Webhook(secret).verify(rec.body, rec.headers)  # raises on a bad signature
    assert lower(rec.headers)["webhook-id"].startswith("msg_")

    svix.endpoint.upsert(app.id, ep.id, EndpointUpsertIn(url="https://example.com/v2"))
    wait_for_event(receiver, "endpoint.updated")
    svix.endpoint.patch(app.id, ep.id, EndpointPatch(disabled=True))
    [disabled] = wait_for_event(receiver, "endpoint.disabled")
    assert disabled["data"]["trigger"] == "manual"
    assert disabled["data"]["endpointId"] == ep.id
    svix.endpoint.patch(app.id, ep.id, EndpointPatch(disabled=False))
    [enabled] = wait_for_event(receiver, "endpoint.enabled")
    assert enabled["data"] == created["data"]
    svix.endpoint.rotate_secret(app.id, ep.id, EndpointSecretRotateIn())
    wait_for_event(receiver, "endpoint.updated", count=4)  # update, two patches, rotation
    svix.endpoint.delete(app.id, ep.id)
    [deleted] = wait_for_event(receiver, "endpoint.deleted")
    assert deleted["data"] == created["data"]


def test_an_operational_endpoint_gets_only_the_event_types_it_filters_on(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    listen(svix, receiver, event_types=["endpoint.deleted"])
    ep = svix.endpoint.create(app.id, EndpointIn(url="https://example.com/hook"))
    svix.endpoint.delete(app.id, ep.id)
    wait_for_event(receiver, "endpoint.deleted")
    assert [e["type"] for e in events(receiver)] == ["endpoint.deleted"]


def test_changes_to_operational_endpoints_raise_no_events(svix: Svix, receiver: RecordingReceiver) -> None:
    listen(svix, receiver)
    other = svix.operational_webhook.endpoint.create(
        OperationalWebhookEndpointIn(url=receiver.url + "/other")
    )
    svix.operational_webhook.endpoint.delete(other.id)
    svix.application.create(ApplicationIn(name="probe"))  # something that raises nothing either
    with pytest.raises(AssertionError):
        receiver.wait_for(1, timeout=1.0)


def test_failing_recovered_and_exhausted_follow_svix_servers_rules(
    patient: Svix, receiver: RecordingReceiver
) -> None:
    secret = listen(patient, receiver)
    app = patient.application.create(ApplicationIn(name="shop", uid="shop"))
    tries: dict[str, int] = {}

    def flaky(rec: Received) -> int:
        if rec.path == "/ops":
            return 200
        n = tries[rec.path] = tries.get(rec.path, 0) + 1
        return 200 if rec.path == "/recovers" and n == 5 else 500

    receiver.handler = flaky
    patient.endpoint.create(app.id, EndpointIn(url=receiver.url + "/recovers", uid="recovers"))
    failing_ep = patient.endpoint.create(app.id, EndpointIn(url=receiver.url + "/fails"))
    msg = patient.message.create(
        app.id, MessageIn(event_type="user.created", payload={"n": 1}, event_id="evt-1")
    )
    [recovered] = wait_for_event(receiver, "message.attempt.recovered")
    [exhausted] = wait_for_event(receiver, "message.attempt.exhausted")
    failing = wait_for_event(receiver, "message.attempt.failing", count=2)
    assert len(failing) == 2  # once per endpoint, at its fourth failure
    data = exhausted["data"]
    assert {k: data[k] for k in ("appId", "appUid", "msgId", "msgEventId", "endpointId")} == {
        "appId": app.id, "appUid": "shop", "msgId": msg.id, "msgEventId": "evt-1", "endpointId": failing_ep.id,
    }  # fmt: skip
    assert data["lastAttempt"]["responseStatusCode"] == 500
    assert data["lastAttempt"]["id"].startswith("atmpt_")
    assert data["lastAttempt"]["timestamp"].endswith("Z")
    assert recovered["data"]["lastAttempt"]["responseStatusCode"] == 200
    assert tries == {"/recovers": 5, "/fails": 7}
    for rec in receiver.requests:
        if rec.path == "/ops":
            Webhook(secret).verify(rec.body, rec.headers)


def test_an_endpoint_disabled_by_its_receiver_raises_endpoint_disabled(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    listen(svix, receiver, event_types=["endpoint.disabled"])

    def answer(rec: Received) -> Any:
        if rec.path == "/ops":
            return 200
        return web.Response(status=410, headers={"webhook-delivery": "disable"})

    receiver.handler = answer
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/gone", uid="gone"))
    svix.message.create(app.id, MessageIn(event_type="user.created", payload={}))
    [event] = wait_for_event(receiver, "endpoint.disabled")
    assert event["data"]["trigger"] == "automatic"
    assert (event["data"]["appUid"], event["data"]["endpointId"], event["data"]["endpointUid"]) == (
        "acme", ep.id, "gone",
    )  # fmt: skip


def test_operational_deliveries_are_retried_like_any_webhook(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    listen(svix, receiver, event_types=["endpoint.created"])
    answers = iter([503, 500])
    receiver.handler = lambda rec: next(answers, 200)
    svix.endpoint.create(app.id, EndpointIn(url="https://example.com/hook"))
    wait_until(lambda: len(events(receiver)) >= 3, what="two retries")
    assert len({lower(r.headers)["webhook-id"] for r in receiver.requests}) == 1


def test_a_finished_background_task_raises_background_task_finished(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    from datetime import UTC, datetime, timedelta

    listen(svix, receiver, event_types=["background_task.finished"])
    ep = svix.endpoint.create(app.id, EndpointIn(url="https://example.com/hook"))
    task = svix.endpoint.recover(app.id, ep.id, RecoverIn(since=datetime.now(UTC) - timedelta(hours=1)))
    [event] = wait_for_event(receiver, "background_task.finished")
    assert event["data"] == {"taskId": task.id, "task": "endpoint.recover", "status": "finished",
                             "data": {"messagesRecovered": 0}}  # fmt: skip


def test_the_npm_sdk_manages_operational_endpoints(
    hookline_server: HooklineServer, receiver: RecordingReceiver, app: ApplicationOut
) -> None:
    node = node_sdk_for(hookline_server)
    url = receiver.url + "/ops"
    out = node.run(
        (
            "operationalWebhook.endpoint.create",
            [{"url": url, "eventTypes": ["endpoint.created"], "uid": "js"}],
        ),
        ("operationalWebhook.endpoint.get", ["js"]),
        ("operationalWebhook.endpoint.list", [{"limit": 5}]),
        (
            "operationalWebhook.endpoint.upsert",
            ["js", {"url": url, "eventTypes": ["endpoint.created"], "description": "d"}],
        ),
        ("operationalWebhook.endpoint.setHeaders", ["js", {"headers": {"X-Js": "1"}}]),
        ("operationalWebhook.endpoint.getHeaders", ["js"]),
        ("operationalWebhook.endpoint.rotateSecret", ["js", {}]),
        ("operationalWebhook.endpoint.getSecret", ["js"]),
        ("endpoint.create", [app.id, {"url": "https://example.com/hook"}]),
    )
    assert all(o.ok for o in out), [o for o in out if not o.ok]
    assert out[1].result["id"] == out[0].result["id"]
    assert [e["uid"] for e in out[2].result["data"]] == ["js"]
    assert out[3].result["description"] == "d"
    assert out[5].result["headers"] == {"X-Js": "1"}
    rec = receiver.wait_for(1, path="/ops")[0]
    assert lower(rec.headers)["x-js"] == "1"
    Webhook(out[7].result["key"]).verify(rec.body, rec.headers)
    assert json.loads(rec.body)["data"]["endpointId"] == out[8].result["id"]
    missing = node.run(("operationalWebhook.endpoint.get", ["nope"]))[0]
    assert (missing.ok, missing.status) == (False, 404)


def test_the_dashboards_application_list_leaves_the_operational_application_out(
    svix: Svix, app: ApplicationOut, hookline_server: HooklineServer
) -> None:
    from hookline.dashboard.queries import app_summaries

    svix.operational_webhook.endpoint.create(OperationalWebhookEndpointIn(url="https://ops.example.com/h"))
    store = hookline_server.app.state.runtime.store
    assert [a.id for a in hookline_server.run(app_summaries(store))] == [app.id]
