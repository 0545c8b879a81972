"""Bad input through the official ``svix`` SDK: the status codes and error bodies Svix uses, nothing stored."""

from __future__ import annotations

import httpx
import pytest
from svix.api import (
    ApplicationIn,
    ApplicationListOptions,
    ApplicationOut,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    EndpointUpsertIn,
    EventTypeIn,
    MessageIn,
    Svix,
    SvixOptions,
)
from svix.exceptions import HttpError, HTTPValidationError

from tests.api.helpers import ids
from tests.support.servers import HooklineServer, RecordingReceiver

UNKNOWN_APP = "app_2ZXj7lO3d0ZGrcHuHwVrLkD0Ab1"
UNKNOWN_EP = "ep_2ZXj7lO3d0ZGrcHuHwVrLkD0Ab1"
UNKNOWN_MSG = "msg_2ZXj7lO3d0ZGrcHuHwVrLkD0Ab1"
UNKNOWN_ATTEMPT = "atmpt_2ZXj7lO3d0ZGrcHuHwVrLkD0Ab1"
PRIVATE_TARGETS = [
    "http://10.0.0.1/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://192.168.1.10:8080/hook",
    "http://100.64.0.1/hook",
    "http://[fd00::1]/hook",
]


def assert_validation_names(err: HTTPValidationError, field: str) -> None:
    assert err.status_code == 422
    assert err.detail, "a 422 carries at least one error"
    for e in err.detail:
        assert e.msg, e
        assert e.type, e
    named = [e for e in err.detail if field in [str(p) for p in e.loc]]
    assert named, f"no error names {field!r}: {[e.to_dict() for e in err.detail]}"


def assert_not_found(err: HttpError) -> None:
    assert err.status_code == 404
    assert err.code, "errors carry a code"
    assert err.detail, "errors carry a detail"


@pytest.fixture
def endpoint(svix: Svix, app: ApplicationOut, receiver: RecordingReceiver) -> EndpointOut:
    return svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/ok"))


def test_unknown_application_is_not_found(svix: Svix) -> None:
    calls = [
        lambda: svix.application.get(UNKNOWN_APP),
        lambda: svix.application.get("no-such-uid"),
        lambda: svix.endpoint.list(UNKNOWN_APP),
        lambda: svix.endpoint.create(UNKNOWN_APP, EndpointIn(url="http://127.0.0.1:9/hook")),
        lambda: svix.message.list(UNKNOWN_APP),
        lambda: svix.message.create(UNKNOWN_APP, MessageIn(event_type="user.created", payload={})),
    ]
    for call in calls:
        with pytest.raises(HttpError) as err:
            call()
        assert_not_found(err.value)
    assert svix.application.list().data == []


def test_unknown_endpoint_message_and_attempt_are_not_found(
    svix: Svix, app: ApplicationOut, endpoint: EndpointOut
) -> None:
    msg = svix.message.create(app.id, MessageIn(event_type="user.created", payload={}))
    calls = [
        lambda: svix.endpoint.get(app.id, UNKNOWN_EP),
        lambda: svix.endpoint.patch(app.id, UNKNOWN_EP, EndpointPatch(description="x")),
        lambda: svix.endpoint.delete(app.id, UNKNOWN_EP),
        lambda: svix.endpoint.get_secret(app.id, UNKNOWN_EP),
        lambda: svix.endpoint.get_headers(app.id, UNKNOWN_EP),
        lambda: svix.message.get(app.id, UNKNOWN_MSG),
        lambda: svix.message_attempt.list_by_endpoint(app.id, UNKNOWN_EP),
        lambda: svix.message_attempt.list_by_msg(app.id, UNKNOWN_MSG),
        lambda: svix.message_attempt.get(app.id, msg.id, UNKNOWN_ATTEMPT),
        lambda: svix.message_attempt.resend(app.id, UNKNOWN_MSG, endpoint.id),
        lambda: svix.message_attempt.resend(app.id, msg.id, UNKNOWN_EP),
        lambda: svix.event_type.get("no.such.type"),
    ]
    for call in calls:
        with pytest.raises(HttpError) as err:
            call()
        assert_not_found(err.value)
    assert ids(svix.endpoint.list(app.id).data) == [endpoint.id]


def test_resources_of_another_application_are_not_found(
    svix: Svix, app: ApplicationOut, endpoint: EndpointOut
) -> None:
    other = svix.application.create(ApplicationIn(name="Other"))
    msg = svix.message.create(app.id, MessageIn(event_type="user.created", payload={}))
    for call in (
        lambda: svix.endpoint.get(other.id, endpoint.id),
        lambda: svix.message.get(other.id, msg.id),
    ):
        with pytest.raises(HttpError) as err:
            call()
        assert_not_found(err.value)


def test_wrong_token_is_unauthorized_and_stores_nothing(svix: Svix, hookline_server: HooklineServer) -> None:
    intruder = Svix("wrong-token", SvixOptions(server_url=hookline_server.url))
    try:
        for call in (
            intruder.application.list,
            lambda: intruder.application.create(ApplicationIn(name="Nope")),
        ):
            with pytest.raises(HttpError) as err:
                call()
            assert err.value.status_code == 401
            assert err.value.code
    finally:
        intruder._httpx_client.close()
    assert svix.application.list().data == []


def test_missing_or_malformed_authorization_is_unauthorized_json(
    svix: Svix, hookline_server: HooklineServer
) -> None:
    with httpx.Client(base_url=hookline_server.url) as client:
        for headers in ({}, {"authorization": "Basic abc"}, {"authorization": "Bearer"}):
            resp = client.post("/api/v1/app", json={"name": "Nope"}, headers=headers)
            assert resp.status_code == 401, (headers, resp.text)
            body = resp.json()
            assert body["code"]
            assert body["detail"]
    assert svix.application.list().data == []


def test_endpoint_with_an_invalid_url_is_rejected_naming_the_field(svix: Svix, app: ApplicationOut) -> None:
    for url in ("not a url", "ftp://example.com/hook", ""):
        with pytest.raises(HTTPValidationError) as err:
            svix.endpoint.create(app.id, EndpointIn(url=url))
        assert_validation_names(err.value, "url")
    assert svix.endpoint.list(app.id).data == []


@pytest.mark.parametrize("target", PRIVATE_TARGETS)
def test_endpoint_on_a_private_network_is_rejected_with_a_reason(
    svix: Svix, app: ApplicationOut, target: str
) -> None:
    with pytest.raises(HTTPValidationError) as err:
        svix.endpoint.create(app.id, EndpointIn(url=target))
    assert_validation_names(err.value, "url")
    assert svix.endpoint.list(app.id).data == []


def test_moving_an_endpoint_to_a_private_network_is_rejected_and_changes_nothing(
    svix: Svix, app: ApplicationOut, endpoint: EndpointOut
) -> None:
    with pytest.raises(HTTPValidationError) as err:
        svix.endpoint.patch(app.id, endpoint.id, EndpointPatch(url="http://10.0.0.1/hook"))
    assert_validation_names(err.value, "url")
    with pytest.raises(HTTPValidationError) as err:
        svix.endpoint.upsert(app.id, endpoint.id, EndpointUpsertIn(url="http://169.254.169.254/"))
    assert_validation_names(err.value, "url")
    assert svix.endpoint.get(app.id, endpoint.id) == endpoint


def test_invalid_uids_and_names_are_rejected_naming_the_field(svix: Svix, app: ApplicationOut) -> None:
    with pytest.raises(HTTPValidationError) as err:
        svix.application.create(ApplicationIn(name="Bad", uid="has spaces!"))
    assert_validation_names(err.value, "uid")
    with pytest.raises(HTTPValidationError) as err:
        svix.application.create(ApplicationIn(name="Long", uid="u" * 257))
    assert_validation_names(err.value, "uid")
    with pytest.raises(HTTPValidationError) as err:
        svix.endpoint.create(app.id, EndpointIn(url="http://127.0.0.1:9/hook", uid="bad/uid"))
    assert_validation_names(err.value, "uid")
    with pytest.raises(HTTPValidationError) as err:
        svix.event_type.create(EventTypeIn(name="bad name", description="x"))
    assert_validation_names(err.value, "name")
    with pytest.raises(HTTPValidationError) as err:
        svix.message.create(app.id, MessageIn(event_type="bad type!", payload={}))
    assert_validation_names(err.value, "eventType")
    assert ids(svix.application.list().data) == [app.id]
    assert svix.endpoint.list(app.id).data == []
    assert svix.event_type.list().data == []
    assert svix.message.list(app.id).data == []


def test_page_size_over_250_is_a_validation_error_naming_limit(svix: Svix, app: ApplicationOut) -> None:
    with pytest.raises(HTTPValidationError) as err:
        svix.application.list(ApplicationListOptions(limit=251))
    assert_validation_names(err.value, "limit")
    assert len(svix.application.list(ApplicationListOptions(limit=250)).data) == 1


def test_payload_over_one_mebibyte_is_too_large_and_not_stored(svix: Svix, app: ApplicationOut) -> None:
    with pytest.raises(HttpError) as err:
        svix.message.create(
            app.id, MessageIn(event_type="user.created", payload={"blob": "x" * (1024 * 1024)})
        )
    assert err.value.status_code == 413
    assert err.value.code
    assert svix.message.list(app.id).data == []


def test_request_body_over_one_mebibyte_is_too_large_before_parsing(
    svix: Svix, app: ApplicationOut, raw: httpx.Client
) -> None:
    body = b'{"eventType": "user.created", "payload": {"blob": "' + b"x" * (2 * 1024 * 1024) + b'"}}'
    resp = raw.post(f"/api/v1/app/{app.id}/msg", content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 413
    assert resp.json()["code"]
    assert svix.message.list(app.id).data == []


def test_malformed_json_is_a_validation_error(svix: Svix, app: ApplicationOut, raw: httpx.Client) -> None:
    resp = raw.post(
        f"/api/v1/app/{app.id}/msg",
        content=b'{"eventType": "user.created", "payload": {',
        headers={"content-type": "application/json"},
    )
    assert resp.status_code == 422, resp.text
    detail = resp.json()["detail"]
    assert isinstance(detail, list)
    assert detail
    assert {"loc", "msg", "type"} <= set(detail[0])
    assert svix.message.list(app.id).data == []


def test_missing_required_field_is_a_validation_error_naming_it(
    svix: Svix, app: ApplicationOut, raw: httpx.Client
) -> None:
    resp = raw.post(f"/api/v1/app/{app.id}/msg", json={"payload": {}})
    assert resp.status_code == 422, resp.text
    detail = resp.json()["detail"]
    assert any("eventType" in [str(p) for p in e["loc"]] for e in detail), detail
    resp = raw.post("/api/v1/app", json={"uid": "no-name"})
    assert resp.status_code == 422, resp.text
    assert any("name" in [str(p) for p in e["loc"]] for e in resp.json()["detail"])
    assert svix.message.list(app.id).data == []
    assert ids(svix.application.list().data) == [app.id]


def test_numbers_beyond_their_svix_range_are_validation_errors(
    svix: Svix, app: ApplicationOut, raw: httpx.Client
) -> None:
    """Rates are 16-bit in Svix; a number too large to store is a 422 naming it, never a 500."""
    huge = 174788681228761333760
    for body, field in [
        ({"name": "x", "throttleRate": huge}, "throttleRate"),
        ({"name": "x", "rateLimit": 65536}, "rateLimit"),
    ]:
        resp = raw.post("/api/v1/app", json=body)
        assert resp.status_code == 422, resp.text
        assert any(field in [str(p) for p in e["loc"]] for e in resp.json()["detail"]), resp.text
    resp = raw.post(
        f"/api/v1/app/{app.id}/endpoint", json={"url": "https://example.com/hook", "throttleRate": huge}
    )
    assert resp.status_code == 422, resp.text
    resp = raw.post(
        f"/api/v1/app/{app.id}/msg",
        json={"eventType": "user.created", "payload": {}, "payloadRetentionHours": 10**400},
    )
    assert resp.status_code == 422, resp.text
    assert ids(svix.application.list().data) == [app.id]
    assert svix.endpoint.list(app.id).data == []
    assert svix.message.list(app.id).data == []
    assert svix.application.create(ApplicationIn(name="max", throttle_rate=65535)).throttle_rate == 65535


def test_a_status_filter_outside_svix_message_statuses_is_a_validation_error(
    app: ApplicationOut, endpoint: EndpointOut, raw: httpx.Client
) -> None:
    # 4 is Canceled, one of Svix's statuses
    for status in ("5", "-1", "174788681228761333760"):
        resp = raw.get(f"/api/v1/app/{app.id}/attempt/endpoint/{endpoint.id}", params={"status": status})
        assert resp.status_code == 422, resp.text
        assert any("status" in [str(p) for p in e["loc"]] for e in resp.json()["detail"]), resp.text
    assert (
        raw.get(f"/api/v1/app/{app.id}/attempt/endpoint/{endpoint.id}", params={"status": "4"}).status_code
        == 200
    )
