"""The official ``svix`` SDK pointed at a real hookline server, and what the tests build on it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from svix.api import ApplicationIn, ApplicationOut, EventTypeIn, Svix, SvixAsync, SvixOptions

from tests.api.node_sdk import NodeSdk, node_sdk_for
from tests.support.servers import HooklineServer

# Event types the delivery tests filter on.
EVENT_TYPES = ("user.created", "user.updated", "user.deleted", "session.created")


def _backends() -> list[Any]:
    """Both backends, or only the one ``HOOKLINE_TEST_BACKEND`` names (to run one side alone)."""
    both = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
    chosen = os.environ.get("HOOKLINE_TEST_BACKEND", "").lower()
    if not chosen:
        return both
    if chosen not in ("sqlite", "postgres"):
        raise pytest.UsageError(f"HOOKLINE_TEST_BACKEND must be sqlite or postgres, not {chosen!r}")
    return [b for b in both if getattr(b, "values", (b,))[0] == chosen]


@pytest.fixture(params=_backends())
def api_backend(request: pytest.FixtureRequest) -> str:
    """The backend of this test's server: every API test runs on SQLite and again on PostgreSQL.

    One pytest run covers both, so the PostgreSQL half shares the run's processes instead of
    starting a second run after the first.
    """
    return str(request.param)


def database_for(request: pytest.FixtureRequest, backend: str) -> str:
    """A fresh database URL on ``backend``: a SQLite file or a migrated PostgreSQL database (dropped after the test)."""
    return str(request.getfixturevalue("pg_migrated_url" if backend == "postgres" else "sqlite_url"))


@pytest.fixture
def hookline_server(request: pytest.FixtureRequest, api_backend: str) -> Iterator[HooklineServer]:
    """hookline (API + worker) on a free port over a fresh database of ``api_backend``."""
    server = HooklineServer(database_url=database_for(request, api_backend)).start()
    yield server
    server.stop()


@pytest.fixture
def svix(hookline_server: HooklineServer) -> Iterator[Svix]:
    """The synchronous SDK client, exactly as a user builds it."""
    client = Svix(hookline_server.token, SvixOptions(server_url=hookline_server.url))
    yield client
    client._httpx_client.close()


@pytest.fixture
async def svix_async(hookline_server: HooklineServer) -> AsyncIterator[SvixAsync]:
    """The asynchronous SDK client."""
    client = SvixAsync(hookline_server.token, SvixOptions(server_url=hookline_server.url))
    yield client
    await client._httpx_client.aclose()


@pytest.fixture
def sdk_responses(svix: Svix) -> list[httpx.Response]:
    """Every HTTP response the ``svix`` client receives, to check status codes the SDK does not expose."""
    seen: list[httpx.Response] = []
    svix._httpx_client.event_hooks["response"].append(seen.append)
    return seen


@pytest.fixture
def raw(hookline_server: HooklineServer) -> Iterator[httpx.Client]:
    """Plain HTTP with the right token, for what the SDK cannot express."""
    with httpx.Client(
        base_url=hookline_server.url, headers={"authorization": f"Bearer {hookline_server.token}"}
    ) as client:
        yield client


@pytest.fixture
def app(svix: Svix) -> ApplicationOut:
    """An application with a uid."""
    return svix.application.create(ApplicationIn(name="Acme", uid="acme", metadata={"tier": "gold"}))


@pytest.fixture
def event_types(svix: Svix) -> tuple[str, ...]:
    """The event types endpoints in these tests filter on."""
    for name in EVENT_TYPES:
        svix.event_type.create(EventTypeIn(name=name, description=f"{name} event"))
    return EVENT_TYPES


@pytest.fixture
def node_sdk(hookline_server: HooklineServer) -> NodeSdk:
    """The npm ``svix`` SDK (tests/node) against the test server."""
    return node_sdk_for(hookline_server)
