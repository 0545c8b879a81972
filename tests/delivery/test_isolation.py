"""No noisy neighbours, with real hookline processes and real sockets: a tarpit endpoint's backlog
waits while another application's webhooks go out, a failing endpoint's circuit breaker opens and
closes again, and an endpoint's cap on deliveries in flight holds across two worker processes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import postgres
from tests.support.processes import hookline_env, spawn_logged
from tests.support.servers import ThreadLoop, free_port

TOKEN = "isolation_test_token_0123456789_abcdefgh"


class Receiver:
    """A raw HTTP/1.1 receiver on 127.0.0.1 whose behaviour can change while it runs: ``ok`` answers 200
    after ``delay`` seconds, ``tarpit`` reads the request and never answers, ``close`` hangs up."""

    def __init__(self, mode: str = "ok", delay: float = 0.0) -> None:
        self.mode = mode
        self.delay = delay
        self.connections = 0
        self.answering = 0  # requests being answered now
        self.most_answering = 0
        self.answered: list[str] = []  # webhook-ids, in order
        self.port = free_port()
        self._loop = ThreadLoop()
        self._server: asyncio.Server | None = None
        self._loop.run(self._start())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                pairs = (line.split(": ", 1) for line in head.split("\r\n")[1:] if ": " in line)
                fields = {name.lower(): value for name, value in pairs}
                await reader.readexactly(int(fields.get("content-length", "0")))
                if self.mode == "tarpit":
                    await asyncio.sleep(3600)
                if self.mode == "close":
                    return
                self.answering += 1
                self.most_answering = max(self.most_answering, self.answering)
                try:
                    await asyncio.sleep(self.delay)
                finally:
                    self.answering -= 1
                self.answered.append(fields.get("webhook-id", ""))
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    def stop(self) -> None:
        self._loop.run(self._stop())
        self._loop.stop()

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class Hookline:
    """``hookline serve`` (with or without its worker) and any number of ``hookline worker`` processes."""

    def __init__(self, database_url: str, logs: Path, **settings: str) -> None:
        self.env = hookline_env(database_url, TOKEN, HOOKLINE_RETRY_SCHEDULE="0.2,0.5,1,2,5", **settings)
        self.logs = logs
        self.port = free_port()
        self.procs: list[subprocess.Popen[bytes]] = []
        self.api = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{self.port}/api/v1", headers={"authorization": f"Bearer {TOKEN}"}
        )

    async def start(self, workers: int = 0) -> Hookline:
        args = [sys.executable, "-m", "hookline.cli", "serve", "--port", str(self.port)]
        self.procs.append(
            spawn_logged(self.logs, "serve", [*args, "--no-worker"] if workers else args, self.env)
        )
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if (await self.api.get("/health")).status_code < 300:
                    break
            assert time.monotonic() < deadline, self.output()
            await asyncio.sleep(0.1)
        for i in range(workers):
            worker = [sys.executable, "-m", "hookline.cli", "worker"]
            self.procs.append(spawn_logged(self.logs, f"worker{i}", worker, self.env))
        return self

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        r = await self.api.request(method, path, json=body)
        assert r.status_code < 300, (r.status_code, r.text)
        return r.json() if r.content else None

    async def app_with_endpoint(self, name: str, url: str) -> tuple[str, str]:
        app = await self.call("POST", "/app", {"name": name})
        ep = await self.call("POST", f"/app/{app['id']}/endpoint", {"url": url})
        return app["id"], ep["id"]

    async def send(self, app_id: str, n: int) -> list[str]:
        sem = asyncio.Semaphore(16)

        async def one(i: int) -> str:
            async with sem:
                msg = await self.call("POST", f"/app/{app_id}/msg", {"eventType": "t", "payload": {"i": i}})
                return str(msg["id"])

        return list(await asyncio.gather(*(one(i) for i in range(n))))

    async def stats(self, app_id: str, ep_id: str) -> dict[str, Any]:
        return dict(await self.call("GET", f"/app/{app_id}/endpoint/{ep_id}/stats"))

    def output(self) -> str:
        return "\n".join(
            f"--- {f.name}\n{f.read_text(errors='replace')[-3000:]}" for f in self.logs.glob("*.out")
        )

    async def stop(self) -> None:
        await self.api.aclose()
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)


async def until(check: Callable[[], Any], within: float, what: str) -> None:
    """Wait until ``await check()`` (or ``check()``) is true; fail naming ``what`` after ``within`` s."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        assert time.monotonic() < deadline, f"not within {within} s: {what}"
        await asyncio.sleep(0.1)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hookline.db'}"
        return
    postgres.require_postgres()
    name, url = postgres.create_schema("hl_isolation")
    yield url
    postgres.drop_schema(name)


@pytest.fixture
async def hookline(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    made: list[Hookline] = []

    async def start(database_url: str, workers: int = 0, **settings: str) -> Hookline:
        made.append(Hookline(database_url, tmp_path / f"logs{len(made)}", **settings))
        return await made[-1].start(workers)

    yield start
    for h in made:
        await h.stop()


@pytest.fixture
async def receivers(hookline: Callable[..., Any]) -> AsyncIterator[Callable[..., Receiver]]:
    """Receivers to start; they stop before the hookline processes (set up first, so torn down last):
    a stopping hookline waits for its sends in flight, and a tarpit would hold them until it is killed."""
    made: list[Receiver] = []

    def make(mode: str = "ok", delay: float = 0.0) -> Receiver:
        made.append(Receiver(mode, delay))
        return made[-1]

    yield make
    for r in made:
        r.stop()


async def test_a_tarpit_endpoints_backlog_waits_while_another_application_is_delivered(
    database_url: str, receivers: Callable[..., Receiver], hookline: Callable[..., Any]
) -> None:
    tarpit, healthy = receivers("tarpit"), receivers("ok")
    # a timeout far longer than the test: a healthy delivery stuck behind the tarpit would wait for it
    h: Hookline = await hookline(
        database_url, HOOKLINE_REQUEST_TIMEOUT="120", HOOKLINE_ENDPOINT_MAX_IN_FLIGHT="16"
    )
    noisy_app, noisy_ep = await h.app_with_endpoint("noisy", tarpit.url)
    quiet_app, _ = await h.app_with_endpoint("quiet", healthy.url)
    await h.send(noisy_app, 400)  # more than a worker's 256 slots
    await until(lambda: tarpit.connections >= 16, 30, "the tarpit is sent to")
    sent = await h.send(quiet_app, 30)
    await until(lambda: len(healthy.answered) >= 30, 60, "the healthy application's webhooks arrive")
    assert sorted(healthy.answered) == sorted(sent)
    stats = await h.stats(noisy_app, noisy_ep)
    # the tarpit holds its cap of slots, no more; the rest of its backlog waits in the database
    assert tarpit.connections <= 16, h.output()
    assert stats["inFlight"] <= 16 and stats["maxInFlight"] == 16
    assert stats["pending"] >= 400 - 16


async def test_the_circuit_breaker_opens_on_an_unreachable_endpoint_and_closes_when_it_answers(
    database_url: str, receivers: Callable[..., Receiver], hookline: Callable[..., Any]
) -> None:
    flaky = receivers("close")  # accepts connections and hangs up: no answer
    h: Hookline = await hookline(database_url)
    app_id, ep_id = await h.app_with_endpoint("flaky", flaky.url)
    sent = await h.send(app_id, 20)

    async def state() -> str:
        return str((await h.stats(app_id, ep_id))["circuit"]["state"])

    await until(lambda: _in(state(), ("open", "probing")), 30, "the breaker opens")
    stats = await h.stats(app_id, ep_id)
    assert stats["circuit"]["failures"] >= 5 and stats["circuit"]["openedAt"] is not None
    # hookline tail says so
    tail = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "hookline.cli",
            "tail",
            "--app",
            app_id,
            "--since",
            "5m",
            "--json",
            "--count",
            "3",
        ],
        env={**h.env, "HOOKLINE_SERVER": f"http://127.0.0.1:{h.port}"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    circuits = [json.loads(line) for line in tail.stdout.splitlines() if '"circuit"' in line]
    assert circuits and circuits[0]["endpoint"] == ep_id, tail.stdout + tail.stderr
    assert circuits[0]["circuit"]["state"] in ("open", "probing")
    # failing fast: the retries due meanwhile (every 0.2-2 s) open no connection, one probe at most
    before = flaky.connections
    await asyncio.sleep(2.0)
    assert flaky.connections - before <= 1
    flaky.mode = "ok"
    await until(lambda: len(set(flaky.answered)) >= 20, 60, "the backlog is delivered after a probe")
    assert set(flaky.answered) == set(sent)
    await until(lambda: _is(state(), "closed"), 10, "the breaker closes")
    assert (await h.stats(app_id, ep_id))["circuit"]["failures"] == 0


async def _in(value: Any, wanted: tuple[str, ...]) -> bool:
    return await value in wanted


async def _is(value: Any, wanted: str) -> bool:
    return await value == wanted


@pytest.mark.postgres
async def test_an_endpoints_cap_holds_across_two_worker_processes(
    receivers: Callable[..., Receiver], hookline: Callable[..., Any]
) -> None:
    postgres.require_postgres()
    name, url = postgres.create_schema("hl_isolation")
    try:
        slow = receivers("ok", delay=0.3)
        h: Hookline = await hookline(url, workers=2, HOOKLINE_ENDPOINT_MAX_IN_FLIGHT="4")
        app_id, ep_id = await h.app_with_endpoint("capped", slow.url)
        # one endpoint of its own at the cap of 1, through the API
        await h.call("PATCH", f"/app/{app_id}/endpoint/{ep_id}", {"maxInFlight": 3})
        assert (await h.call("GET", f"/app/{app_id}/endpoint/{ep_id}"))["maxInFlight"] == 3
        sent = await h.send(app_id, 60)
        await until(lambda: len(set(slow.answered)) >= 60, 90, "everything is delivered")
        assert set(slow.answered) == set(sent)
        # two workers with 256 slots each, and never more than the endpoint's cap at once
        assert slow.most_answering <= 3, h.output()
        assert slow.most_answering >= 2  # they did deliver concurrently
    finally:
        postgres.drop_schema(name)
