"""Real servers on free loopback ports for tests: hookline itself and a recording webhook receiver."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

# seals the secrets of test databases (base64url of 32 bytes), so no test writes a key file
TEST_ENCRYPTION_KEY = "aG9va2xpbmUtdGVzdC1lbmNyeXB0aW9uLWtleS0zMmI"


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _cancel_pending() -> None:
    """Cancel every other task of the running loop and wait until they have finished."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class ThreadLoop:
    """An asyncio loop running in a daemon thread, for servers that tests call over real sockets."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class RecordingReceiver:
    """A webhook receiver that records every request; its answer is programmable per path."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)
    status: int = 200
    response_headers: dict[str, str] = field(default_factory=dict)
    handler: Callable[[Received], Any] | None = None
    _loop: ThreadLoop | None = None
    _runner: web.AppRunner | None = None
    _event: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> RecordingReceiver:
        self._loop = ThreadLoop()
        self._loop.run(self._start())
        return self

    async def _start(self) -> None:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        # port 0 (unless started before): the system picks a free port, so no other test can take it first
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        rec = Received(request.path, dict(request.headers), await request.read(), time.time())
        result: Any = None
        if self.handler is not None:
            result = self.handler(rec)
            if asyncio.iscoroutine(result):
                result = await result
        with self._event:
            self.requests.append(rec)
            self._event.notify_all()
        if isinstance(result, web.StreamResponse):
            return result
        status = result if isinstance(result, int) else self.status
        return web.Response(status=status, text="ok", headers=self.response_headers)

    def wait_for(self, count: int, timeout: float = 15, path: str | None = None) -> list[Received]:
        """Block until ``count`` requests (to ``path`` if given) arrived; return them."""
        deadline = time.time() + timeout
        with self._event:
            while True:
                got = [r for r in self.requests if path is None or r.path == path]
                if len(got) >= count:
                    return got
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError(f"expected {count} requests, got {len(got)}")
                self._event.wait(left)

    def stop(self) -> None:
        if self._loop and self._runner:
            self._loop.run(self._runner.cleanup())
            self._loop.stop()


@dataclass
class HooklineServer:
    """hookline's API and worker in a background thread, on a free port, with a real database."""

    database_url: str
    token: str = "testsk_hookline_api_token"
    secret_key: str = "sk_test_hookline_identity_key"
    encryption_key: str | None = TEST_ENCRYPTION_KEY
    retry_schedule: tuple[float, ...] = (0.05, 0.1, 0.2)
    run_worker: bool = True
    port: int = 0
    # more Settings fields, e.g. {"allowed_redirect_origins": ("https://app.example",)}
    extra_settings: dict[str, Any] = field(default_factory=dict)
    settings: Any = None
    ops: Any = None  # OpsSettings (retention, metrics); the defaults when None
    app: Any = None
    _loop: ThreadLoop | None = None
    _server: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self, coro: Any, timeout: float = 30) -> Any:
        """Run a coroutine on the server's own loop (its store belongs to that loop); return its result."""
        assert self._loop is not None
        return self._loop.run(coro, timeout)

    def start(self, **delivery: Any) -> HooklineServer:
        import uvicorn

        from hookline.config import DeliverySettings, Settings, parse_networks
        from hookline.server import create_app

        # bound here, on a port the system picks, and handed to uvicorn: a port found free and bound later
        # may be taken in between by another test process
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.settings = Settings(
            database_url=self.database_url,
            port=self.port,
            api_token=self.token,
            secret_key=self.secret_key,
            encryption_key=self.encryption_key,
            run_worker=self.run_worker,
            **({} if self.ops is None else {"ops": self.ops}),
            delivery=DeliverySettings(
                retry_schedule=self.retry_schedule,
                jitter=0.0,
                allowed_targets=parse_networks("127.0.0.0/8 ::1/128"),
                **delivery,
            ),
            **self.extra_settings,
        )
        self.app = create_app(self.settings)
        # a client that keeps its connection open (a stream, a pool not closed yet) must not hold the
        # stop for long: after 2 s uvicorn drops the connections and still shuts the lifespan down
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on",
            timeout_graceful_shutdown=2,
        )  # fmt: skip
        self._server = uvicorn.Server(config)
        self._loop = ThreadLoop()
        serve = self._server.serve(sockets=[sock])
        self._loop.loop.call_soon_threadsafe(lambda: self._loop.loop.create_task(serve))  # type: ignore[union-attr]
        deadline = time.time() + 20
        while not self._server.started:
            if time.time() > deadline:
                raise RuntimeError("hookline server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._loop is not None:
            self._server.should_exit = True
            deadline = time.time() + 10
            while self._server.started and not getattr(self._server, "_hookline_done", False):
                if time.time() > deadline:
                    break
                time.sleep(0.02)
                if all(t.done() for t in asyncio.all_tasks(self._loop.loop)):
                    break
            # whatever is still running (a send to a receiver that never answers) is cancelled and
            # awaited here: left pending, it would be destroyed with the loop and touch a closed loop
            if self._loop.loop.is_running():
                with contextlib.suppress(Exception):
                    self._loop.run(_cancel_pending(), timeout=10)
            self._loop.stop()
            self._server = self._loop = None  # stopping twice (a test, then its fixture) is harmless
