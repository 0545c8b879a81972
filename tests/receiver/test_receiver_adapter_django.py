"""The Django adapter, through Django's test client (CSRF checks on, to prove the exemption)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import django
import pytest
from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="test-only",
        ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
        INSTALLED_APPS=[],
        USE_TZ=True,
    )
    django.setup()

from django.test import AsyncClient, Client, override_settings
from django.urls import path

from hookline.receiver import Event, Receiver
from hookline.receiver.adapters.django import async_webhook_view, webhook_view

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MakeEvent = Callable[..., dict[str, Any]]
HANDLED: list[str] = []

receiver = Receiver(SECRET)


@receiver.on("user.created")
def created(event: Event[Any]) -> None:
    if event.data.first_name == "boom":
        raise RuntimeError("handler bug")
    HANDLED.append(event.data.id)


urlpatterns = [
    path("webhooks/clerk/", webhook_view(receiver)),
    path("async/webhooks/clerk/", async_webhook_view(receiver)),
]


@pytest.fixture(autouse=True)
def urls() -> Iterator[None]:
    HANDLED.clear()
    with override_settings(ROOT_URLCONF=__name__):
        yield


@pytest.fixture(params=["webhooks/clerk/", "async/webhooks/clerk/"], ids=["sync", "async"])
def url(request: pytest.FixtureRequest) -> str:
    return "/" + str(request.param)


def post(url: str, body: bytes, headers: dict[str, str]) -> Any:
    client = Client(enforce_csrf_checks=True)
    return client.post(url, data=body, content_type="application/json", headers=headers)


def test_an_accepted_delivery_gets_200_despite_csrf_checks(
    url: str, signer: Any, make_event: MakeEvent
) -> None:
    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))
    response = post(url, body, headers)
    assert response.status_code == 200
    assert response.json() == {"status": "accepted", "message_id": headers["webhook-id"]}
    assert HANDLED == ["user_1"]


def test_a_duplicate_delivery_gets_2xx_and_runs_nothing(url: str, signer: Any, make_event: MakeEvent) -> None:
    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))
    post(url, body, headers)
    response = post(url, body, headers)
    assert response.status_code == 200
    assert response.json()["status"] == "duplicate"
    assert HANDLED == ["user_1"]


def test_a_bad_signature_gets_401_with_its_reason_code(url: str, signer: Any, make_event: MakeEvent) -> None:
    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))
    response = post(url, body + b" ", headers)
    assert response.status_code == 401
    assert response.json()["code"] == "no_matching_signature"


def test_junk_headers_get_401_never_500(url: str) -> None:
    headers = {"webhook-id": "m", "webhook-timestamp": "1" * 50, "webhook-signature": "v1,%%%"}
    response = post(url, b"{}", headers)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_headers"


def test_a_verified_body_that_is_not_an_event_gets_400(url: str, signer: Any) -> None:
    body = b'{"data": {"id": "user_1"}}'
    response = post(url, body, signer.headers(body))
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_event"


def test_a_failing_handler_gets_500(url: str, signer: Any, make_event: MakeEvent) -> None:
    body, headers = signer.request(make_event("user.created", {"id": "user_1", "first_name": "boom"}))
    response = post(url, body, headers)
    assert response.status_code == 500
    assert response.json()["code"] == "handler_failed"


def test_other_methods_get_405(url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 405
    assert response["Allow"] == "POST"


async def test_the_async_view_serves_djangos_async_client(signer: Any, make_event: MakeEvent) -> None:
    body, headers = signer.request(make_event("user.created", {"id": "user_async"}))
    client = AsyncClient(enforce_csrf_checks=True)
    response = await client.post(
        "/async/webhooks/clerk/", data=body, content_type="application/json", headers=headers
    )
    assert response.status_code == 200
    assert HANDLED == ["user_async"]
