"""Fixtures for the engine tests: servers with chosen delivery settings, an API client, spare receivers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.delivery.helpers import Api
from tests.support.servers import HooklineServer, RecordingReceiver, ThreadLoop, free_port

LOOPBACK = "127.0.0.0/8 ::1/128"


@dataclass
class EngineServer(HooklineServer):
    """HooklineServer whose private-network allowance is chosen by the test (empty means the full guard)."""

    allowed_targets: str = LOOPBACK

    def start(self, **delivery: Any) -> EngineServer:
        import uvicorn

        from hookline.config import DeliverySettings, Settings, parse_networks
        from hookline.server import create_app

        delivery.setdefault("jitter", 0.0)
        self.port = free_port()
        self.settings = Settings(
            database_url=self.database_url,
            port=self.port,
            api_token=self.token,
            secret_key=self.secret_key,
            run_worker=self.run_worker,
            delivery=DeliverySettings(
                retry_schedule=self.retry_schedule,
                allowed_targets=parse_networks(self.allowed_targets),
                **delivery,
            ),
        )
        self.app = create_app(self.settings)
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self._server = uvicorn.Server(config)
        self._loop = ThreadLoop()
        loop = self._loop.loop
        loop.call_soon_threadsafe(lambda: loop.create_task(self._server.serve()))
        deadline = time.time() + 20
        while not self._server.started:
            if time.time() > deadline:
                raise RuntimeError("hookline server did not start")
            time.sleep(0.01)
        return self


@dataclass
class Running:
    """A started server with its API client."""

    server: EngineServer
    api: Api

    @property
    def database_url(self) -> str:
        return self.server.database_url


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., Running]]:
    """Start hookline (API + worker) over a fresh SQLite file with the given delivery settings.

    ``start_server(retry_schedule=(0.05,), allowed_targets="", request_timeout=0.3)``
    """
    started: list[Running] = []

    def start(
        *,
        retry_schedule: tuple[float, ...] = (0.05, 0.1, 0.2),
        allowed_targets: str = LOOPBACK,
        **delivery: Any,
    ) -> Running:
        url = f"sqlite:///{tmp_path / f'engine-{len(started)}.db'}"
        server = EngineServer(
            database_url=url, retry_schedule=retry_schedule, allowed_targets=allowed_targets
        )
        server.start(**delivery)
        running = Running(server, Api(server.url, server.token))
        started.append(running)
        return running

    yield start
    for running in reversed(started):
        running.api.close()
        running.server.stop()


@pytest.fixture
def api(hookline_server: HooklineServer) -> Iterator[Api]:
    """Plain HTTP to the default test server."""
    client = Api(hookline_server.url, hookline_server.token)
    yield client
    client.close()


@pytest.fixture
def other_receiver() -> Iterator[RecordingReceiver]:
    """A second receiver, for requests that must never arrive."""
    r = RecordingReceiver().start()
    yield r
    r.stop()
