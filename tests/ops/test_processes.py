"""Processes seen recently, with real processes: an API (`serve --no-worker`) and a separate
`hookline worker` on one database both appear in `hookline status` (text and JSON) and on the
dashboard's status page; a worker that stops cleanly leaves the list."""

from __future__ import annotations

import json
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.delivery.processes import ServeProcess, hookline_env, run_cli
from tests.support.servers import TEST_ENCRYPTION_KEY


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'procs.db'}"
        return
    from tests.support import postgres

    name, url = postgres.create_schema("hl_procs")
    yield url
    postgres.drop_schema(name)


def _status(cwd: Path, settings: dict[str, str]) -> dict[str, Any]:
    done = run_cli("status", "--json", cwd=cwd, **settings)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _wait_for(cwd: Path, settings: dict[str, str], kinds: list[str]) -> dict[str, Any]:
    deadline = time.time() + 30
    while True:
        data = _status(cwd, settings)
        if sorted(p["kind"] for p in data["processes"]) == kinds or time.time() > deadline:
            return data
        time.sleep(0.3)


def test_api_and_worker_processes_are_listed(tmp_path: Path, db_url: str) -> None:
    token = "hl_" + secrets.token_urlsafe(32)
    settings = {
        "HOOKLINE_DATABASE_URL": db_url, "HOOKLINE_API_TOKEN": token,
        "HOOKLINE_ENCRYPTION_KEY": TEST_ENCRYPTION_KEY,
    }  # fmt: skip
    api = ServeProcess(tmp_path, **settings).start(args=("--no-worker",))
    worker = subprocess.Popen(
        [sys.executable, "-m", "hookline.cli", "worker"], cwd=tmp_path, env=hookline_env(**settings),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        data = _wait_for(tmp_path, settings, ["api", "worker"])
        assert api.proc is not None
        by_kind = {p["kind"]: p for p in data["processes"]}
        assert set(by_kind) == {"api", "worker"}, data["processes"]
        assert by_kind["api"]["pid"] == api.proc.pid and by_kind["worker"]["pid"] == worker.pid
        for p in by_kind.values():
            assert p["answering"] and p["version"] and p["host"] and p["last_seen"].endswith("Z")
            assert p["seconds_since_seen"] < 15 and p["id"].startswith("proc_")
        text = run_cli("status", cwd=tmp_path, **settings)
        assert "processes      2 answering, 0 not seen lately" in text.stdout, text.stdout
        assert f":{worker.pid} " in text.stdout and f":{api.proc.pid} " in text.stdout

        with httpx.Client(base_url=api.url) as browser:
            browser.post("/dashboard/sign-in", data={"token": token, "next": "/dashboard/"})
            page = browser.get("/dashboard/status")
        assert page.status_code == 200 and "Processes" in page.text
        assert f">{worker.pid}<" in page.text and f">{api.proc.pid}<" in page.text

        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0
        data = _wait_for(tmp_path, settings, ["api"])
        assert [p["kind"] for p in data["processes"]] == ["api"]
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
        api.stop()
