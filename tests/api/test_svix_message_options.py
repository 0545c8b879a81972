"""``message.create`` options through the official ``svix`` SDK: ``deliverAt`` schedules the delivery,
``application`` creates the path's application (as Svix: its uid must be the path's), and the fields
hookline cannot honour or Svix refuses (transformations, tag and channel rules, ``msg_`` event ids) are a
422 rather than ignored. Raw payloads have their own tests (test_svix_raw_payload.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from svix.api import ApplicationIn, ApplicationOut, EndpointIn, MessageIn, Svix
from svix.exceptions import HttpError, HTTPValidationError

from tests.support.servers import HooklineServer, RecordingReceiver

pytestmark = pytest.mark.usefixtures("event_types")


def dispatches(server: HooklineServer, msg_id: str) -> list[Any]:
    store = server.app.state.runtime.store
    return server.run(store.dispatches_for_message(msg_id))


def test_deliver_at_holds_the_delivery_until_then(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver, hookline_server: HooklineServer
) -> None:
    svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/later"))
    when = (datetime.now(UTC) + timedelta(minutes=10)).replace(microsecond=0)
    later = svix.message.create(
        app.id, MessageIn(event_type="user.created", payload={"n": 1}, deliver_at=when)
    )
    assert later.deliver_at == when
    svix.message.create(app.id, MessageIn(event_type="user.created", payload={"n": 2}))
    got = receiver.wait_for(1)
    assert [json.loads(r.body)["n"] for r in got] == [2], "the message without deliverAt goes first"
    (d,) = dispatches(hookline_server, later.id)
    assert d.next_attempt_at == pytest.approx(when.timestamp())
    assert d.attempts == 0
    assert int(d.status) == 1  # pending
    assert [json.loads(r.body)["n"] for r in receiver.requests] == [2]


@pytest.mark.parametrize(
    "ahead", [timedelta(seconds=-5), timedelta(seconds=10), timedelta(hours=24, minutes=1)]
)
def test_deliver_at_outside_one_minute_to_a_day_ahead_is_refused(
    svix: Svix, app: ApplicationOut, ahead: timedelta
) -> None:
    with pytest.raises(HTTPValidationError) as err:
        svix.message.create(
            app.id, MessageIn(event_type="user.created", payload={}, deliver_at=datetime.now(UTC) + ahead)
        )
    assert err.value.detail[0].loc == ["body", "deliverAt"]
    assert svix.message.list(app.id).data == []


def test_deliver_at_in_raw_json_is_echoed_to_the_millisecond(raw: httpx.Client, app: ApplicationOut) -> None:
    when = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=123000).isoformat()
    out = raw.post(
        f"/api/v1/app/{app.id}/msg", json={"eventType": "user.created", "payload": {}, "deliverAt": when}
    )
    assert out.status_code == 202, out.text
    assert datetime.fromisoformat(out.json()["deliverAt"].replace("Z", "+00:00")) == datetime.fromisoformat(
        when
    )


def test_application_with_another_uid_than_the_path_is_refused(svix: Svix) -> None:
    with pytest.raises(HTTPValidationError) as err:
        svix.message.create(
            "tenant-a",
            MessageIn(
                event_type="user.created", payload={}, application=ApplicationIn(name="B", uid="tenant-b")
            ),
        )
    assert err.value.detail[0].loc == ["body", "application", "uid"]
    for key in ("tenant-a", "tenant-b"):
        with pytest.raises(HttpError) as missing:
            svix.application.get(key)
        assert missing.value.status_code == 404


def test_application_for_an_unknown_app_id_is_refused(svix: Svix) -> None:
    with pytest.raises(HTTPValidationError):
        svix.message.create(
            "app_2ZvQ6uRZ9hS5JwtYcVxXHSK6v8W",
            MessageIn(event_type="user.created", payload={}, application=ApplicationIn(name="X")),
        )
    assert svix.application.list().data == []


def test_application_without_uid_takes_the_path(svix: Svix) -> None:
    svix.message.create(
        "tenant-c", MessageIn(event_type="user.created", payload={}, application=ApplicationIn(name="C"))
    )
    assert svix.application.get("tenant-c").uid == "tenant-c"


def test_without_application_an_unknown_app_is_404(svix: Svix) -> None:
    with pytest.raises(HttpError) as err:
        svix.message.create("nobody", MessageIn(event_type="user.created", payload={}))
    assert err.value.status_code == 404


@pytest.mark.parametrize(
    "extra",
    [
        {"transformationsParams": {"transformation": "function handler(w) { return w }"}},
        {"tags": ["a", "b", "c", "d", "e", "f"]},
        {"tags": ["a", "a"]},
        {"tags": ["has space"]},
        {"channels": []},
        {"channels": ["x", "x"]},
        {"channels": ["bad/channel"]},
        {"eventId": "msg_looks_like_an_id"},
    ],
)
def test_fields_hookline_cannot_honour_or_svix_refuses_are_422(
    raw: httpx.Client, app: ApplicationOut, extra: dict[str, Any]
) -> None:
    resp = raw.post(f"/api/v1/app/{app.id}/msg", json={"eventType": "user.created", "payload": {}, **extra})
    assert resp.status_code == 422, (extra, resp.text)
    assert raw.get(f"/api/v1/app/{app.id}/msg").json()["data"] == []


def test_what_svix_accepts_is_taken(svix: Svix, app: ApplicationOut) -> None:
    out = svix.message.create(
        app.id,
        MessageIn(
            event_type="user.created",
            payload={},
            tags=["a/b", "c#d", "e.f", "g-h", "i_j"],
            channels=["team+1", "a:b"],
            transformations_params={},
        ),
    )
    assert out.tags == ["a/b", "c#d", "e.f", "g-h", "i_j"]
    assert out.channels == ["team+1", "a:b"]
