"""A real Prometheus server (Debian's ``prometheus`` package) scrapes a running hookline with the
metrics token, and its query API answers with hookline's series."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from svix.api import ApplicationIn, EndpointIn, MessageIn, Svix, SvixOptions

from hookline.opsconfig import MetricsSettings, OpsSettings
from tests.conftest import in_ci
from tests.support.servers import HooklineServer, RecordingReceiver, free_port

TOKEN = "prometheus-scrape-token-5c1d9e7a3b"


@pytest.fixture
def prometheus_binary() -> str:
    found = shutil.which("prometheus")
    if found is None:
        if in_ci():
            pytest.fail("Debian's prometheus package is not installed (.ci/run installs it)")
        pytest.skip("no prometheus binary (apt-get install prometheus)")
    return found


@pytest.fixture
def scraped(sqlite_url: str, prometheus_binary: str, tmp_path: Path) -> Iterator[tuple[HooklineServer, str]]:
    """hookline, and a Prometheus scraping it every second: (server, Prometheus' URL)."""
    server = HooklineServer(
        database_url=sqlite_url, ops=OpsSettings(metrics=MetricsSettings(token=TOKEN))
    ).start()
    (tmp_path / "token").write_text(TOKEN)
    (tmp_path / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n"
        "scrape_configs:\n"
        "  - job_name: hookline\n"
        "    authorization:\n"
        f"      credentials_file: {tmp_path / 'token'}\n"
        "    static_configs:\n"
        f"      - targets: ['127.0.0.1:{server.port}']\n"
    )
    port = free_port()
    child = subprocess.Popen(
        [
            prometheus_binary, f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield server, f"http://127.0.0.1:{port}"
    finally:
        child.terminate()
        child.wait(20)
        server.stop()


def _query(prometheus: str, expr: str) -> list[dict]:  # type: ignore[type-arg]
    try:
        r = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=5)
    except httpx.HTTPError:
        return []
    if r.status_code != 200:
        return []
    return list(r.json()["data"]["result"])


def test_prometheus_scrapes_hookline(
    scraped: tuple[HooklineServer, str], receiver: RecordingReceiver
) -> None:
    server, prometheus = scraped
    svix = Svix(server.token, SvixOptions(server_url=server.url))
    app = svix.application.create(ApplicationIn(name="Acme"))
    svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/ok"))
    for i in range(3):
        svix.message.create(app.id, MessageIn(event_type="user.created", payload={"n": i}))
    receiver.wait_for(3)
    deadline = time.time() + 60
    up: list[dict] = []  # type: ignore[type-arg]
    accepted: list[dict] = []  # type: ignore[type-arg]
    success: list[dict] = []  # type: ignore[type-arg]

    def at_least(result: list[dict], n: float) -> bool:  # type: ignore[type-arg]
        return bool(result) and float(result[0]["value"][1]) >= n

    while time.time() < deadline:
        up = _query(prometheus, 'up{job="hookline"}')
        accepted = _query(prometheus, 'hookline_messages_accepted_total{job="hookline"}')
        success = _query(prometheus, 'hookline_delivery_attempts_total{job="hookline", outcome="success"}')
        if at_least(up, 1) and at_least(accepted, 3) and at_least(success, 3):
            break
        time.sleep(0.5)
    assert at_least(up, 1), up
    assert at_least(accepted, 3), accepted
    assert at_least(success, 3), success
