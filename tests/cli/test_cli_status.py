"""`hookline status`: the operator's screen from the database, as text and as JSON, on both backends."""

from __future__ import annotations

import json
import time

import httpx

from tests.relay.procs import cli_env, run_cli
from tests.support.servers import HooklineServer, RecordingReceiver


def test_status_shows_queue_failing_endpoints_and_retention(
    any_server: HooklineServer, receiver: RecordingReceiver
) -> None:
    api = httpx.Client(base_url=any_server.url, headers={"authorization": f"Bearer {any_server.token}"})
    assert api.post("/api/v1/app", json={"name": "Shop", "uid": "shop"}).status_code == 201
    ep = api.post("/api/v1/app/shop/endpoint", json={"url": receiver.url + "/down"}).json()["id"]
    receiver.status = 500
    assert api.post("/api/v1/app/shop/msg", json={"eventType": "a.b", "payload": {}}).status_code == 202
    receiver.wait_for(1)
    env = cli_env(HOOKLINE_DATABASE_URL=any_server.database_url, HOOKLINE_RETENTION_DAYS="30")
    deadline = time.time() + 20
    while True:
        done = run_cli("status", "--json", env=env)
        assert done.returncode == 0, done.stderr
        data = json.loads(done.stdout)
        if data["endpoints"]["failing"] == 1 or time.time() > deadline:
            break
        time.sleep(0.2)
    assert data["endpoints"]["failing"] == 1 and data["failing"][0]["id"] == ep
    assert data["retention_days"] == 30 and data["database_bytes"] > 0
    assert set(data["queue"]) == {"depth", "capped", "oldest_due_seconds"}
    # the server's retention runner finishes a pass at start-up
    assert data["retention"] is not None and data["retention"]["finished_at"].endswith("Z")
    text = run_cli("status", env=env)
    assert text.returncode == 0, text.stderr
    assert "1 failing" in text.stdout and "messages kept 30 days" in text.stdout and ep in text.stdout
    api.close()


def test_status_refuses_a_missing_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = run_cli("status", env=cli_env(HOOKLINE_DATABASE_URL=f"sqlite:///{tmp_path / 'none.db'}"))
    assert done.returncode == 1 and "no hookline database" in done.stderr
