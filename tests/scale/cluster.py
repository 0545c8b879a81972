"""Real hookline processes for the fault tests: an API-only server, workers, and a logging receiver."""

from __future__ import annotations

import asyncio
import collections
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.support.processes import hookline_env, spawn_logged
from tests.support.servers import free_port

HERE = Path(__file__).resolve().parent
TOKEN = "scale_test_token_0123456789_abcdefghij"


@dataclass
class Cluster:
    """``hookline serve --no-worker``, N ``hookline worker`` processes and a receiver, on one database."""

    database_url: str
    logs: Path
    lease_seconds: float = 60.0
    retry_schedule: str = "0.2,0.5,1"
    answer_after: float = 0.0  # how long the receiver takes to answer each request
    api_port: int = 0
    receiver_port: int = 0
    api: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    receiver: subprocess.Popen[bytes] | None = None
    killed: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def receiver_url(self) -> str:
        return f"http://127.0.0.1:{self.receiver_port}"

    @property
    def received_log(self) -> Path:
        return self.logs / "received.log"

    def env(self) -> dict[str, str]:
        return hookline_env(
            self.database_url,
            TOKEN,
            HOOKLINE_RETRY_SCHEDULE=self.retry_schedule,
            HOOKLINE_LEASE_SECONDS=str(self.lease_seconds),
        )

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        return spawn_logged(self.logs, name, args, self.env())

    async def start(self, workers: int = 2) -> Cluster:
        """Start the receiver, the API (which migrates the database) and the workers; wait until up."""
        self.logs.mkdir(parents=True, exist_ok=True)
        self.receiver_port, self.api_port = free_port(), free_port()
        self.receiver = self._spawn(
            "receiver",
            [
                sys.executable,
                str(HERE / "receiver.py"),
                str(self.receiver_port),
                str(self.received_log),
                str(self.answer_after),
            ],
        )
        self.api = self._spawn(
            "api",
            [sys.executable, "-m", "hookline.cli", "serve", "--no-worker", "--port", str(self.api_port)],
        )
        await wait_http(self.receiver_url + "/_count")
        await wait_http(self.api_url + "/api/v1/health")
        for _ in range(workers):
            self.start_worker()
        return self

    def start_worker(self) -> subprocess.Popen[bytes]:
        """Start one more ``hookline worker``."""
        n = len(self.workers)
        proc = self._spawn(f"worker{n}", [sys.executable, "-m", "hookline.cli", "worker"])
        self.workers.append(proc)
        return proc

    def kill_worker(self, index: int) -> None:
        """SIGKILL one worker: no drain, its leased deliveries are abandoned mid-flight."""
        victim = self.workers[index]
        self.killed.append(victim)
        victim.kill()
        victim.wait(10)

    def alive(self) -> list[str]:
        """Names of the processes that should be running but are not (the killed ones excepted)."""
        procs = {"api": self.api, "receiver": self.receiver} | {
            f"worker{i}": w for i, w in enumerate(self.workers)
        }
        return [
            name
            for name, p in procs.items()
            if p is not None and p not in self.killed and p.poll() is not None
        ]

    def stop(self) -> None:
        """Stop every process (SIGTERM, then SIGKILL after a grace period)."""
        procs = [p for p in [*self.workers, self.api, self.receiver] if p is not None]
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)

    def output(self) -> str:
        """Every process's output, for a failing test's report."""
        return "\n".join(
            f"--- {f.name}\n{f.read_text(errors='replace')[-4000:]}" for f in sorted(self.logs.glob("*.out"))
        )

    def received(self) -> collections.Counter[str]:
        """How many times each webhook-id reached the receiver, from its log."""
        if not self.received_log.exists():
            return collections.Counter()
        return collections.Counter(line for line in self.received_log.read_text().splitlines() if line)


async def wait_http(url: str, timeout: float = 30) -> None:
    """Wait until ``url`` answers at all."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as s:
        while True:
            try:
                async with s.get(url) as r:
                    if r.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up")
            await asyncio.sleep(0.1)


class Client:
    """The API client of the tests: it retries a failed request with the same idempotency key, as
    the svix SDK does, so "accepted" means exactly the messages the server answered 2xx for."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.s = session
        self.base = base
        self.headers = {"authorization": f"Bearer {TOKEN}", "content-type": "application/json"}
        self.retried = 0

    async def post(self, path: str, body: dict[str, Any], attempts: int = 200) -> dict[str, Any]:
        key = f"scale_{uuid.uuid4().hex}"
        for _ in range(attempts):
            try:
                async with self.s.post(
                    self.base + path, json=body, headers={**self.headers, "idempotency-key": key}
                ) as r:
                    if r.status < 300:
                        return await r.json()
                    if r.status < 500:
                        raise AssertionError(f"{path}: {r.status} {await r.text()}")
            except (TimeoutError, aiohttp.ClientError):
                pass
            self.retried += 1
            await asyncio.sleep(0.1)
        raise AssertionError(f"{path}: the server never accepted the request")

    async def setup(self, receiver_url: str) -> str:
        """An application with one endpoint at the receiver; return the application id."""
        app = await self.post("/api/v1/app", {"name": "scale"})
        await self.post(f"/api/v1/app/{app['id']}/endpoint", {"url": receiver_url + "/hook"})
        return app["id"]

    async def send(self, app_id: str, n: int, concurrency: int = 32) -> list[str]:
        """Create ``n`` messages; return their ids once the server accepted every one."""
        ids: list[str] = []
        todo = iter(range(n))

        async def one_sender() -> None:
            for i in todo:
                out = await self.post(
                    f"/api/v1/app/{app_id}/msg",
                    {"eventType": "user.created", "payload": {"i": i, "pad": "x" * 200}},
                )
                ids.append(out["id"])

        await asyncio.gather(*(one_sender() for _ in range(concurrency)))
        return ids


async def wait_delivered(cluster: Cluster, ids: list[str], timeout: float = 60) -> collections.Counter[str]:
    """Wait until every id reached the receiver at least once; return the receiver's counts."""
    want = set(ids)
    deadline = time.monotonic() + timeout
    while True:
        got = cluster.received()
        if want <= set(got):
            return got
        dead = cluster.alive()
        if time.monotonic() > deadline or dead:
            missing = len(want - set(got))
            raise AssertionError(
                f"{missing} of {len(want)} messages never delivered (exited: {dead})\n{cluster.output()}"
            )
        await asyncio.sleep(0.2)
