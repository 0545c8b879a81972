"""Fixtures for the dashboard: a signed-in browser-like HTTP client over a real server with data in it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.servers import HooklineServer, RecordingReceiver


@dataclass
class Shop:
    """An application with one endpoint on the recording receiver, as the tests build it."""

    server: HooklineServer
    receiver: RecordingReceiver
    api: httpx.Client
    app_id: str
    endpoint_id: str

    def send(self, event_type: str = "order.created", **payload: Any) -> str:
        """Post a message through ``/api/v1``; return its id."""
        body = {"eventType": event_type, "payload": payload or {"id": "ord_1"}}
        resp = self.api.post(f"/api/v1/app/{self.app_id}/msg", json=body)
        assert resp.status_code == 202, resp.text
        return resp.json()["id"]

    @property
    def base(self) -> str:
        return f"/dashboard/app/{self.app_id}"


def api_client(server: HooklineServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {server.token}"}, timeout=20)


def make_app(api: httpx.Client, name: str, uid: str, url: str, **endpoint: Any) -> tuple[str, str]:
    app = api.post("/api/v1/app", json={"name": name, "uid": uid})
    assert app.status_code == 201, app.text
    ep = api.post(f"/api/v1/app/{uid}/endpoint", json={"url": url, **endpoint})
    assert ep.status_code == 201, ep.text
    return app.json()["id"], ep.json()["id"]


@pytest.fixture
def hookline_server(database_url: str) -> Iterator[HooklineServer]:
    """hookline over each backend in turn: the dashboard's SQL must behave the same on SQLite and PostgreSQL."""
    server = HooklineServer(database_url=database_url).start()
    yield server
    server.stop()


@pytest.fixture
def shop(hookline_server: HooklineServer, receiver: RecordingReceiver) -> Iterator[Shop]:
    """An application ``shop`` whose endpoint posts to the receiver."""
    api = api_client(hookline_server)
    app_id, ep_id = make_app(api, "Shop", "shop", receiver.url + "/hook")
    yield Shop(hookline_server, receiver, api, app_id, ep_id)
    api.close()


def sign_in(server: HooklineServer) -> httpx.Client:
    """A client holding a dashboard session made with the API token."""
    client = httpx.Client(base_url=server.url, follow_redirects=False, timeout=20)
    resp = client.post("/dashboard/sign-in", data={"token": server.token, "next": "/dashboard/"})
    assert resp.status_code == 303, resp.text
    return client


@pytest.fixture
def dash(hookline_server: HooklineServer) -> Iterator[httpx.Client]:
    """A signed-in dashboard client."""
    client = sign_in(hookline_server)
    yield client
    client.close()


def csrf(html: str) -> str:
    """The CSRF token a dashboard page carries for its forms."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "page has no form token"
    return found.group(1)
