"""`hookline worker --health-port`: GET /health answers 200 while the worker is well, 503 while a
supervised loop is down or the database does not answer."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from hookline.config import ConfigError, Settings
from hookline.ops.health_listener import HealthListener
from hookline.store.store import Store
from hookline.supervisor import Supervisor
from tests.relay.procs import cli_env
from tests.support.servers import TEST_ENCRYPTION_KEY, free_port


def _start_worker(sqlite_url: str, *args: str, **env: str) -> tuple[subprocess.Popen[str], list[str]]:
    child = subprocess.Popen(
        [sys.executable, "-m", "hookline.cli", "worker", *args],
        env=cli_env(HOOKLINE_DATABASE_URL=sqlite_url, HOOKLINE_ENCRYPTION_KEY=TEST_ENCRYPTION_KEY, **env),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    lines: list[str] = []
    deadline = time.time() + 30
    while time.time() < deadline:
        line = child.stdout.readline()
        lines.append(line)
        if "health on" in line or not line:
            break
    return child, lines


def _health(url: str, want: int, timeout: float = 15.0) -> httpx.Response:
    deadline = time.time() + timeout
    while True:
        r = httpx.get(url, timeout=5)
        if r.status_code == want or time.time() > deadline:
            return r
        time.sleep(0.1)


def test_a_worker_answers_health_and_503_while_its_database_does_not_answer(sqlite_url: str) -> None:
    port = free_port()
    child, lines = _start_worker(sqlite_url, "--health-port", str(port))
    try:
        assert any(f":{port}/health" in line for line in lines), lines
        url = f"http://127.0.0.1:{port}/health"
        ok = _health(url, 200)
        assert ok.status_code == 200 and ok.json() == {"status": "ok"}
        # the settings table goes away under the running worker: its health read fails
        path = sqlite_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as db:
            db.execute("ALTER TABLE settings RENAME TO settings_away")
        down = _health(url, 503)
        assert down.status_code == 503 and down.json()["code"] == "database_unavailable"
        with sqlite3.connect(path) as db:
            db.execute("ALTER TABLE settings_away RENAME TO settings")
        assert _health(url, 200).status_code == 200
        assert httpx.post(url).status_code == 405
    finally:
        child.terminate()
        assert child.wait(20) == 0


def test_the_health_port_is_read_from_the_environment(sqlite_url: str) -> None:
    port = free_port()
    child, lines = _start_worker(sqlite_url, HOOKLINE_WORKER_HEALTH_PORT=str(port))
    try:
        assert any(f":{port}/health" in line for line in lines), lines
        assert _health(f"http://127.0.0.1:{port}/health", 200).status_code == 200
    finally:
        child.terminate()
        child.wait(20)


def test_a_bad_health_port_is_refused_by_name(sqlite_url: str) -> None:
    with pytest.raises(ConfigError, match="HOOKLINE_WORKER_HEALTH_PORT"):
        Settings.from_env({"HOOKLINE_WORKER_HEALTH_PORT": "70000"})
    assert Settings.from_env({"HOOKLINE_WORKER_HEALTH_PORT": "9072"}).ops.worker_health_port == 9072
    same = subprocess.run(
        [sys.executable, "-m", "hookline.cli", "worker", "--health-port", "9071"],
        env=cli_env(HOOKLINE_DATABASE_URL=sqlite_url, HOOKLINE_METRICS_PORT="9071"),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert same.returncode == 2 and "must differ from HOOKLINE_METRICS_PORT" in same.stderr


async def test_health_is_503_while_a_supervised_loop_is_down(tmp_path: Path) -> None:
    store = await Store.connect(f"sqlite:///{tmp_path / 'h.db'}")
    supervisor = Supervisor(first_delay=0.2, max_delay=0.2)
    failing = asyncio.Event()
    healed = asyncio.Event()

    async def claim() -> None:
        if not failing.is_set():
            failing.set()
            raise RuntimeError("an unexpected fault")
        healed.set()
        await asyncio.Event().wait()

    listener = HealthListener("127.0.0.1", 0, store, supervisor)
    port = await listener.start()
    try:
        async with httpx.AsyncClient() as client:
            supervisor.start("claim", claim)
            await failing.wait()
            await asyncio.sleep(0)
            r = await client.get(f"http://127.0.0.1:{port}/health")
            assert r.status_code == 503
            assert r.json() == {"code": "background_task_down", "detail": "background loops down: claim"}
            await asyncio.wait_for(healed.wait(), 5)
            r = await client.get(f"http://127.0.0.1:{port}/health")
            assert r.status_code == 200
    finally:
        await supervisor.stop()
        await listener.stop()
        await store.close()
