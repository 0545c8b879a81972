"""The FastAPI example (examples/fastapi_users) served by uvicorn on a free port, fed signed requests."""

from __future__ import annotations

import importlib.util
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import svix
import uvicorn

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fastapi_users" / "app.py"
MakeEvent = Callable[..., dict[str, Any]]


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fastapi_users_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[httpx.Client]:
    app = load_example().create_app(secret=SECRET, database=tmp_path / "users.db")
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            yield client
    finally:
        uv.should_exit = True
        thread.join(10)


def user(user_id: str, first_name: str, updated_at: int, email: str = "ada@example.com") -> dict[str, Any]:
    return {
        "object": "user",
        "id": user_id,
        "first_name": first_name,
        "last_name": "Lovelace",
        "image_url": "https://img.example/ada.png",
        "primary_email_address_id": "idn_1",
        "email_addresses": [{"object": "email_address", "id": "idn_1", "email_address": email}],
        "created_at": 1716883200000,
        "updated_at": updated_at,
    }


def send(client: httpx.Client, signer: Any, payload: dict[str, Any], **kwargs: Any) -> httpx.Response:
    body, headers = signer.request(payload, **kwargs)
    return client.post("/webhooks/clerk", content=body, headers=headers)


def test_user_events_keep_the_users_table_in_step(
    server: httpx.Client, signer: Any, make_event: MakeEvent
) -> None:
    created = send(server, signer, make_event("user.created", user("user_1", "Ada", 1000)))
    assert created.status_code == 200
    assert server.get("/users/user_1").json() == {
        "id": "user_1",
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "image_url": "https://img.example/ada.png",
        "updated_at": 1000,
    }

    send(server, signer, make_event("user.updated", user("user_1", "Augusta", 2000)))
    assert server.get("/users/user_1").json()["first_name"] == "Augusta"

    # an older update delivered late does not overwrite the newer one
    send(server, signer, make_event("user.updated", user("user_1", "Stale", 1500)))
    assert server.get("/users/user_1").json()["first_name"] == "Augusta"

    deleted = send(
        server, signer, make_event("user.deleted", {"object": "user", "id": "user_1", "deleted": True})
    )
    assert deleted.status_code == 200
    assert server.get("/users/user_1").status_code == 404
    # nor can a late update bring a deleted user back
    send(server, signer, make_event("user.updated", user("user_1", "Ghost", 3000)))
    assert server.get("/users").json() == []


def test_a_redelivered_message_is_acknowledged_and_applied_once(
    server: httpx.Client, signer: Any, make_event: MakeEvent
) -> None:
    body, headers = signer.request(make_event("user.created", user("user_2", "Grace", 1000)))
    first = server.post("/webhooks/clerk", content=body, headers=headers)
    again = server.post("/webhooks/clerk", content=body, headers=headers)
    assert (first.json()["status"], again.json()["status"]) == ("accepted", "duplicate")
    assert [u["id"] for u in server.get("/users").json()] == ["user_2"]


def test_a_request_signed_by_the_svix_package_is_applied(server: httpx.Client, make_event: MakeEvent) -> None:
    body = httpx.Request("POST", "/", json=make_event("user.created", user("user_3", "Hedy", 1000))).read()
    now = datetime.now(tz=UTC)
    signature = svix.webhooks.Webhook(SECRET).sign("msg_svix_1", now, body.decode())
    headers = {
        "svix-id": "msg_svix_1",
        "svix-timestamp": str(int(now.timestamp())),
        "svix-signature": signature,
    }
    response = server.post("/webhooks/clerk", content=body, headers=headers)
    assert response.status_code == 200
    assert server.get("/users/user_3").json()["first_name"] == "Hedy"


def test_a_forged_request_gets_401_and_changes_nothing(
    server: httpx.Client, make_signer: Callable[[str], Any], make_event: MakeEvent
) -> None:
    forger = make_signer("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")
    response = send(server, forger, make_event("user.created", user("user_4", "Mallory", 1000)))
    assert response.status_code == 401
    assert response.json()["code"] == "no_matching_signature"
    assert server.get("/users").json() == []
