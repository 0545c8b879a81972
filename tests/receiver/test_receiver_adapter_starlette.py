"""The Starlette / FastAPI adapter, called through httpx's ASGI transport (the real app, no mocks)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from starlette.applications import Starlette

from hookline.receiver import Event, Inbox, Receiver, Result
from hookline.receiver.adapters.starlette import (
    install_exception_handler,
    webhook_dependency,
    webhook_endpoint,
    webhook_route,
)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MakeEvent = Callable[..., dict[str, Any]]


@pytest.fixture
def receiver() -> Receiver:
    receiver = Receiver(SECRET)

    @receiver.on("user.created")
    async def created(event: Event[Any]) -> None:
        if event.data.first_name == "boom":
            raise RuntimeError("handler bug with private data")

    return receiver


def http(app: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def starlette_client(receiver: Receiver) -> AsyncIterator[httpx.AsyncClient]:
    async with http(Starlette(routes=[webhook_route(receiver, "/webhooks/clerk")])) as client:
        yield client


@pytest.fixture
async def fastapi_client(receiver: Receiver) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.add_api_route("/webhooks/clerk", webhook_endpoint(receiver), methods=["POST"])
    async with http(app) as client:
        yield client


@pytest.fixture(params=["starlette", "fastapi"])
def client(request: pytest.FixtureRequest) -> httpx.AsyncClient:
    fixture: httpx.AsyncClient = request.getfixturevalue(f"{request.param}_client")
    return fixture


async def test_an_accepted_delivery_gets_200(
    client: httpx.AsyncClient, signer: Any, make_event: MakeEvent
) -> None:
    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))
    response = await client.post("/webhooks/clerk", content=body, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"status": "accepted", "message_id": headers["webhook-id"]}


async def test_a_duplicate_delivery_also_gets_2xx(
    client: httpx.AsyncClient, signer: Any, make_event: MakeEvent
) -> None:
    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))
    await client.post("/webhooks/clerk", content=body, headers=headers)
    response = await client.post("/webhooks/clerk", content=body, headers=headers)
    assert response.status_code == 200
    assert response.json()["status"] == "duplicate"


async def test_a_bad_signature_gets_401_with_its_reason_code(
    client: httpx.AsyncClient, signer: Any, make_event: MakeEvent
) -> None:
    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))
    headers["webhook-signature"] = headers["svix-signature"] = (
        "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    )
    response = await client.post("/webhooks/clerk", content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "no_matching_signature"
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_headers"),
        (
            {"webhook-id": "msg_1", "webhook-timestamp": "9" * 400, "webhook-signature": "v1,xx"},
            "invalid_headers",
        ),
        (
            {"webhook-id": "msg_1", "webhook-timestamp": "1e999", "webhook-signature": "v1,=="},
            "invalid_headers",
        ),
        (
            {"webhook-id": "msg_1", "webhook-timestamp": "100", "webhook-signature": "garbage"},
            "timestamp_too_old",
        ),
    ],
)
async def test_junk_headers_get_401_never_500(
    client: httpx.AsyncClient, headers: dict[str, str], code: str
) -> None:
    response = await client.post("/webhooks/clerk", content=b'{"type": "user.created"}', headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == code


async def test_a_verified_body_that_is_not_an_event_gets_400(client: httpx.AsyncClient, signer: Any) -> None:
    body = b'["not", "an", "event"]'
    response = await client.post("/webhooks/clerk", content=body, headers=signer.headers(body))
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_event"


async def test_a_failing_handler_gets_500_without_its_message(
    client: httpx.AsyncClient, signer: Any, make_event: MakeEvent
) -> None:
    body, headers = signer.request(make_event("user.created", {"id": "user_1", "first_name": "boom"}))
    response = await client.post("/webhooks/clerk", content=body, headers=headers)
    assert response.status_code == 500
    assert response.json()["code"] == "handler_failed"
    assert "private data" not in response.text


async def test_only_post_is_routed(starlette_client: httpx.AsyncClient) -> None:
    assert (await starlette_client.get("/webhooks/clerk")).status_code == 405


async def test_the_fastapi_dependency_hands_the_route_its_result(
    receiver: Receiver, signer: Any, make_event: MakeEvent
) -> None:
    app = FastAPI()
    install_exception_handler(app)

    @app.post("/hooks")
    async def hooks(result: Result = Depends(webhook_dependency(receiver))) -> dict[str, Any]:
        return {"type": result.event.type, "status": result.status}

    async with http(app) as client:
        body, headers = signer.request(make_event("user.created", {"id": "user_1"}))
        ok = await client.post("/hooks", content=body, headers=headers)
        again = await client.post("/hooks", content=body, headers=headers)
        rejected = await client.post("/hooks", content=body, headers={"webhook-id": "msg_1"})

    assert ok.json() == {"type": "user.created", "status": "accepted"}
    assert again.json()["status"] == "duplicate"
    assert rejected.status_code == 401
    assert rejected.json()["code"] == "missing_headers"


async def test_fastapi_lifespan_runs_the_inbox_worker(
    tmp_path: Path, signer: Any, make_event: MakeEvent
) -> None:
    inbox = Inbox(tmp_path / "inbox.db")
    receiver = Receiver(SECRET, inbox=inbox)
    done = asyncio.Event()
    handled: list[str] = []

    @receiver.on("user.created")
    async def created(event: Event[Any]) -> None:
        handled.append(event.data.id)
        done.set()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with inbox:
            yield

    app = FastAPI(lifespan=lifespan)
    app.add_api_route("/hooks", webhook_endpoint(receiver), methods=["POST"])
    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))

    async with app.router.lifespan_context(app), http(app) as client:
        first = await client.post("/hooks", content=body, headers=headers)
        await asyncio.wait_for(done.wait(), 20)
        second = await client.post("/hooks", content=body, headers=headers)

    assert (first.json()["status"], second.json()["status"]) == ("accepted", "duplicate")
    assert handled == ["user_1"]
    assert not inbox.running


async def test_an_inbox_that_cannot_store_gets_503_so_the_sender_retries(
    tmp_path: Path, signer: Any, make_event: MakeEvent
) -> None:
    receiver = Receiver(SECRET, inbox=Inbox(tmp_path / "no-such-dir" / "inbox.db"))
    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))
    async with http(Starlette(routes=[webhook_route(receiver)])) as client:
        response = await client.post("/webhooks", content=body, headers=headers)
    assert response.status_code == 503
    assert response.json()["code"] == "inbox_unavailable"


async def test_a_worker_thread_can_be_stopped_from_another_event_loop(
    tmp_path: Path, signer: Any, make_event: MakeEvent
) -> None:
    inbox = Inbox(tmp_path / "inbox.db")
    receiver = Receiver(SECRET, inbox=inbox)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    receiver.on("user.created")(lambda event: loop.call_soon_threadsafe(done.set))

    await asyncio.to_thread(inbox.start_in_thread)
    async with http(Starlette(routes=[webhook_route(receiver)])) as client:
        body, headers = signer.request(make_event("user.created", {"id": "user_1"}))
        assert (await client.post("/webhooks", content=body, headers=headers)).json()["status"] == "accepted"
        await asyncio.wait_for(done.wait(), 20)
    await inbox.stop()
    await asyncio.to_thread(inbox.stop_thread)
    assert not inbox.running
