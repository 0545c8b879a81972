"""The Flask adapter, through Flask's own test client."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hookline.receiver import Event, Inbox, Receiver
from hookline.receiver.adapters.flask import webhook_blueprint, webhook_view

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MakeEvent = Callable[..., dict[str, Any]]


@pytest.fixture
def handled() -> list[str]:
    return []


@pytest.fixture
def receiver(handled: list[str]) -> Receiver:
    receiver = Receiver(SECRET)

    @receiver.on("user.created")
    def created(event: Event[Any]) -> None:
        if event.data.first_name == "boom":
            raise RuntimeError("handler bug")
        handled.append(event.data.id)

    return receiver


@pytest.fixture(params=["view", "blueprint"])
def client(request: pytest.FixtureRequest, receiver: Receiver) -> Iterator[FlaskClient]:
    app = Flask(__name__)
    if request.param == "view":
        app.add_url_rule("/webhooks/clerk", view_func=webhook_view(receiver), methods=["POST"])
    else:
        app.register_blueprint(webhook_blueprint(receiver, "/clerk", url_prefix="/webhooks"))
    with app.test_client() as client:
        yield client


def test_an_accepted_delivery_gets_200_and_runs_the_handler(
    client: FlaskClient, signer: Any, make_event: MakeEvent, handled: list[str]
) -> None:
    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))
    response = client.post("/webhooks/clerk", data=body, headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {"status": "accepted", "message_id": headers["webhook-id"]}
    assert handled == ["user_1"]


def test_a_duplicate_delivery_gets_2xx_and_runs_nothing(
    client: FlaskClient, signer: Any, make_event: MakeEvent, handled: list[str]
) -> None:
    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))
    client.post("/webhooks/clerk", data=body, headers=headers)
    response = client.post("/webhooks/clerk", data=body, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["status"] == "duplicate"
    assert handled == ["user_1"]


def test_a_bad_signature_gets_401_with_its_reason_code(
    client: FlaskClient, make_signer: Callable[[str], Any], make_event: MakeEvent
) -> None:
    impostor = make_signer("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")
    body, headers = impostor.request(make_event("user.created", {"id": "user_1"}))
    response = client.post("/webhooks/clerk", data=body, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["code"] == "no_matching_signature"


def test_junk_headers_get_401_never_500(client: FlaskClient) -> None:
    headers = {
        "webhook-id": "msg_\u00e9",
        "webhook-timestamp": "\u0661\u0662",
        "webhook-signature": "v1,\u00ff",
    }
    response = client.post("/webhooks/clerk", data=b"{}", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["code"] == "invalid_headers"


def test_a_verified_body_that_is_not_an_event_gets_400(client: FlaskClient, signer: Any) -> None:
    body = b"type=user.created"
    headers = signer.headers(body) | {"content-type": "application/x-www-form-urlencoded"}
    response = client.post("/webhooks/clerk", data=body, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["code"] == "malformed_event"


def test_a_failing_handler_gets_500_and_the_retry_is_handled(
    client: FlaskClient, signer: Any, make_event: MakeEvent
) -> None:
    body, headers = signer.request(make_event("user.created", {"id": "user_1", "first_name": "boom"}))
    first = client.post("/webhooks/clerk", data=body, headers=headers)
    assert (first.status_code, first.get_json()["code"]) == (500, "handler_failed")
    # the failure released the message id: the sender's retry is not treated as a duplicate
    assert client.post("/webhooks/clerk", data=body, headers=headers).status_code == 500


def test_a_flask_app_with_an_inbox_answers_and_handles_in_the_background(
    tmp_path: Path, signer: Any, make_event: MakeEvent
) -> None:
    inbox = Inbox(tmp_path / "inbox.db")
    receiver = Receiver(SECRET, inbox=inbox)
    done = threading.Event()
    receiver.on("user.created")(lambda event: done.set())
    app = Flask(__name__)
    app.add_url_rule("/hooks", view_func=webhook_view(receiver), methods=["POST"])

    inbox.start_in_thread()
    try:
        with app.test_client() as client:
            body, headers = signer.request(make_event("user.created", {"id": "user_1"}))
            response = client.post("/hooks", data=body, headers=headers)
            assert response.get_json()["status"] == "accepted"
            assert done.wait(20)
            assert client.post("/hooks", data=body, headers=headers).get_json()["status"] == "duplicate"
    finally:
        inbox.stop_thread()
