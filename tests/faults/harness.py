"""Real processes for the fault tests, and the report each test prints: accepted, delivered,
duplicated, lost.

A run is ``hookline serve`` (with or without its worker), any number of ``hookline worker`` processes
and the receiver of ``tests/faults/receiver.py``, all on 127.0.0.1 and one database. The receiver logs
every webhook-id it answered with a 200; the client keeps the id of every message the API answered
2xx. ``lost`` is an accepted message the receiver never logged, and must be 0.
"""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.scale.cluster import TOKEN, Client, wait_http
from tests.support.processes import hookline_env, spawn_logged
from tests.support.servers import free_port

HERE = Path(__file__).resolve().parent

__all__ = ["TOKEN", "Client", "FaultRun", "Report", "fault_messages"]


def fault_messages(default: int = 2000) -> int:
    """How many messages the load tests send: ``HOOKLINE_FAULT_MESSAGES`` or ``default``."""
    return int(os.environ.get("HOOKLINE_FAULT_MESSAGES") or default)


@dataclass(frozen=True)
class Report:
    """The outcome of one fault run, for one endpoint."""

    fault: str
    backend: str
    accepted: int
    delivered: int
    duplicated: int
    lost: int

    def line(self) -> str:
        return (
            f"fault={self.fault} backend={self.backend} accepted={self.accepted} "
            f"delivered={self.delivered} duplicated={self.duplicated} lost={self.lost}"
        )


@dataclass
class FaultRun:
    """The processes of one fault run; ``stop()`` ends every one of them."""

    database_url: str
    logs: Path
    retry_schedule: str = "0.2,0.5,1,1,1,1,1,1"
    lease_seconds: float = 5.0
    request_timeout: float = 15.0
    fail_first: int = 2
    slow_seconds: float = 3.0
    api_port: int = field(default_factory=free_port)
    receiver_port: int = field(default_factory=free_port)
    api: subprocess.Popen[bytes] | None = None
    receiver: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    killed: int = 0

    @property
    def backend(self) -> str:
        return "sqlite" if self.database_url.startswith("sqlite") else "postgres"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def receiver_url(self) -> str:
        return f"http://127.0.0.1:{self.receiver_port}"

    def env(self) -> dict[str, str]:
        return hookline_env(
            self.database_url,
            TOKEN,
            HOOKLINE_RETRY_SCHEDULE=self.retry_schedule,
            HOOKLINE_LEASE_SECONDS=str(self.lease_seconds),
            HOOKLINE_REQUEST_TIMEOUT=str(self.request_timeout),
            # these runs count losses under a fast retry schedule; a receiver that fails every message's
            # first tries would otherwise open the circuit breaker, which by design holds the rest back
            # for minutes (tests/delivery/test_isolation.py covers the breaker)
            HOOKLINE_BREAKER_THRESHOLD="1000",
        )

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        return spawn_logged(self.logs, name, args, self.env())

    async def start_receiver(self) -> None:
        """Start the receiver on its reserved port (a test may start it late, or twice)."""
        self.receiver = self._spawn(
            "receiver",
            [sys.executable, str(HERE / "receiver.py"), str(self.receiver_port), str(self.logs),
             str(self.fail_first), str(self.slow_seconds)],
        )  # fmt: skip
        await wait_http(self.receiver_url + "/_count")

    async def start_api(self, with_worker: bool = True) -> None:
        """Start ``hookline serve`` on the run's port; it migrates the database on start."""
        args = [sys.executable, "-m", "hookline.cli", "serve", "--port", str(self.api_port)]
        self.api = self._spawn("api", args if with_worker else [*args, "--no-worker"])
        await wait_http(self.api_url + "/api/v1/health")

    def kill_api(self) -> None:
        """SIGKILL the API process: requests in flight get no answer."""
        assert self.api is not None
        self.api.kill()
        self.api.wait(10)
        self.killed += 1

    def start_worker(self) -> None:
        self.workers.append(
            self._spawn(f"worker{len(self.workers)}", [sys.executable, "-m", "hookline.cli", "worker"])
        )

    def kill_worker(self, index: int = 0) -> None:
        """SIGKILL a running worker (no drain: its leased deliveries are abandoned) and start another."""
        live = [w for w in self.workers if w.poll() is None]
        victim = live[index % len(live)]
        victim.kill()
        victim.wait(10)
        self.killed += 1
        self.start_worker()

    def exited(self) -> list[str]:
        """Processes that should be running but are not."""
        procs = {"api": self.api, "receiver": self.receiver} | {
            f"worker{i}": w for i, w in enumerate(self.workers)
        }
        return [n for n, p in procs.items() if p is not None and p.poll() is not None and p.returncode != -9]

    def received(self) -> collections.Counter[str]:
        """How many prompt 200s each ``webhook-id path`` got, from the receiver's log."""
        log = self.logs / "received.log"
        if not log.exists():
            return collections.Counter()
        return collections.Counter(line for line in log.read_text().splitlines() if line)

    def tries(self) -> list[tuple[str, str, float, str]]:
        """Every try the receiver saw: (webhook-id, path, time, fault)."""
        log = self.logs / "tries.log"
        rows = [line.split() for line in log.read_text().splitlines() if line] if log.exists() else []
        return [(r[0], r[1], float(r[2]), r[3]) for r in rows]

    async def wait_delivered(self, ids: list[str], paths: list[str], timeout: float = 120) -> None:
        """Wait until every id reached every path at least once, or ``timeout`` seconds passed."""
        want = {f"{i} {p}" for i in ids for p in paths}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not want <= set(self.received()):
            assert not self.exited(), f"exited: {self.exited()}\n{self.output()}"
            await asyncio.sleep(0.2)

    def report(self, fault: str, ids: list[str], path: str = "/hook/ok") -> Report:
        """Count the outcome for ``ids`` at ``path``, print it on one line and return it."""
        counts = self.received()
        accepted = set(ids)
        delivered = {i for i in accepted if counts[f"{i} {path}"]}
        report = Report(
            fault=fault,
            backend=self.backend,
            accepted=len(accepted),
            delivered=len(delivered),
            duplicated=sum(1 for i in delivered if counts[f"{i} {path}"] > 1),
            lost=len(accepted - delivered),
        )
        print(report.line())
        return report

    def output(self) -> str:
        return "\n".join(
            f"--- {f.name}\n{f.read_text(errors='replace')[-3000:]}" for f in sorted(self.logs.glob("*.out"))
        )

    def stop(self) -> None:
        procs = [p for p in [*self.workers, self.api, self.receiver] if p is not None and p.poll() is None]
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)


async def setup_app(client: Client, receiver_url: str, faults: list[str]) -> str:
    """An application with one endpoint per fault (``/hook/<fault>``) at the receiver; its id."""
    app = await client.post("/api/v1/app", {"name": "faults"})
    for fault in faults:
        await client.post(f"/api/v1/app/{app['id']}/endpoint", {"url": f"{receiver_url}/hook/{fault}"})
    return app["id"]
