"""A real hookline server per test (SQLite, and PostgreSQL where marked), Clerk's SDK pointed at it, webhooks."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from clerk_backend_api import Clerk
from svix.api import EndpointIn, Svix, SvixOptions

from hookline.signing import Webhook
from tests.support import postgres
from tests.support.servers import HooklineServer, RecordingReceiver

PASSWORD = "correct horse battery staple"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HooklineServer]:
    """hookline over a fresh SQLite file or a fresh, migrated PostgreSQL database."""
    database = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'hookline.db'}"
    else:
        database, url = postgres.create_migrated_database("hl_identity")
    s = HooklineServer(database_url=url).start()
    yield s
    s.stop()
    if database:
        postgres.drop_database_later(database)


@pytest.fixture
def clerk(server: HooklineServer) -> Iterator[Clerk]:
    """Clerk's official Backend API SDK, exactly as an application builds it, pointed at hookline."""
    with Clerk(bearer_auth=server.secret_key, server_url=server.url + "/v1") as client:
        yield client


@pytest.fixture
def http(server: HooklineServer) -> Iterator[httpx.Client]:
    """Plain HTTP to the server (end-user endpoints and pages), keeping cookies like a browser."""
    with httpx.Client(base_url=server.url) as client:
        yield client


@pytest.fixture
def backend(server: HooklineServer) -> Iterator[httpx.Client]:
    """Plain HTTP to ``/v1`` with the secret key, for what the SDK does not expose (status codes, raw bodies)."""
    with httpx.Client(
        base_url=server.url + "/v1", headers={"authorization": f"Bearer {server.secret_key}"}
    ) as c:
        yield c


@dataclass
class Hooks:
    """A receiver endpoint subscribed to the identity application, and how to read what it got."""

    receiver: RecordingReceiver
    secret: str

    def verified(self) -> list[dict[str, Any]]:
        """Every delivery so far, each verified with hookline's ``Webhook``, as parsed bodies."""
        out = []
        for r in list(self.receiver.requests):
            Webhook(self.secret).verify(r.body, r.headers)
            out.append(json.loads(r.body))
        return out

    def wait(self, *types: str) -> list[dict[str, Any]]:
        """Block until at least one event of each of ``types`` arrived; return every verified body so far."""
        count = 1
        while True:
            self.receiver.wait_for(count)
            bodies = self.verified()
            if set(types) <= {b["type"] for b in bodies}:
                return bodies
            count = len(bodies) + 1

    def until(self, ok: Callable[[list[dict[str, Any]]], bool], timeout: float = 15) -> list[dict[str, Any]]:
        """Block until ``ok(every verified body so far)`` holds (or fail after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while not ok(bodies := self.verified()):
            assert time.monotonic() < deadline, "the expected events did not arrive"
            time.sleep(0.05)
        return bodies

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        """Bodies of one type (after ``wait``), in arrival order."""
        return [b for b in self.verified() if b["type"] == event_type]


@pytest.fixture
def hooks(server: HooklineServer, clerk: Clerk, receiver: RecordingReceiver) -> Iterator[Hooks]:
    """Enable webhooks the way a Clerk user does (``create_svix_app``), then add an endpoint with the Svix SDK."""
    clerk.webhooks.create_svix_app()
    svix = Svix(server.token, SvixOptions(server_url=server.url))
    ep = svix.endpoint.create("identity", EndpointIn(url=receiver.url + "/webhooks/clerk"))
    secret = svix.endpoint.get_secret("identity", ep.id).key
    yield Hooks(receiver, secret)
    svix._httpx_client.close()


def create_user(clerk: Clerk, email: str = "ada@example.org", **fields: Any) -> Any:
    """A user with a password, through the SDK."""
    fields = {"first_name": "Ada", "last_name": "Lovelace", **fields}
    return clerk.users.create(email_address=[email], password=PASSWORD, **fields)
