"""Relay fixtures: a hookline server whose API token `hookline listen` uses, and a channel helper."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.relay.procs import LocalApp
from tests.support.servers import HooklineServer

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def api(hookline_server: HooklineServer) -> Iterator[httpx.Client]:
    """An HTTP client for the test server, with its API token."""
    with httpx.Client(
        base_url=hookline_server.url, headers={"authorization": f"Bearer {hookline_server.token}"}, timeout=30
    ) as client:
        yield client


@pytest.fixture
def local_app() -> Iterator[LocalApp]:
    """The local FastAPI receiver (its own process), verifying with SECRET."""
    app = LocalApp(SECRET).start()
    yield app
    app.stop()


def new_channel(api: httpx.Client) -> dict[str, str]:
    """Create a relay channel; return the answer (token, url)."""
    resp = api.post("/relay/channels")
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def endpoint_to(api: httpx.Client, app_uid: str, url: str) -> str:
    """An application with one endpoint at ``url`` signing with SECRET; return the endpoint id."""
    assert api.post("/api/v1/app", json={"name": app_uid, "uid": app_uid}).status_code == 201
    resp = api.post(f"/api/v1/app/{app_uid}/endpoint", json={"url": url, "secret": SECRET})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])
