"""send, tail, replay, token and demo against a real server, as real `hookline` processes."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pexpect
import pytest

from tests.relay.procs import ROOT, cli_env, run_cli
from tests.support.servers import HooklineServer, RecordingReceiver


@pytest.fixture
def env(hookline_server: HooklineServer) -> dict[str, str]:
    """A `hookline` environment pointed at the test server (HOOKLINE_SERVER, HOOKLINE_API_TOKEN)."""
    return cli_env(HOOKLINE_SERVER=hookline_server.url, HOOKLINE_API_TOKEN=hookline_server.token)


@pytest.fixture
def api(hookline_server: HooklineServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=hookline_server.url, headers={"authorization": f"Bearer {hookline_server.token}"}, timeout=30
    ) as client:
        yield client


def _app_with_endpoint(api: httpx.Client, uid: str, url: str) -> str:
    assert api.post("/api/v1/app", json={"name": uid, "uid": uid}).status_code == 201
    resp = api.post(f"/api/v1/app/{uid}/endpoint", json={"url": url})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def _wait(predicate, timeout: float = 20):  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while not (value := predicate()):
        assert time.time() < deadline, "condition not met in time"
        time.sleep(0.05)
    return value


def test_send_posts_a_message_and_prints_it(
    env: dict[str, str], api: httpx.Client, receiver: RecordingReceiver, tmp_path: Path
) -> None:
    _app_with_endpoint(api, "shop", f"{receiver.url}/hooks")
    human = run_cli("send", "--app", "shop", "-e", "order.paid", "-d", '{"order": 7}', env=env)
    assert human.returncode == 0, human.stderr
    assert human.stdout.startswith("msg_") and "order.paid for shop" in human.stdout
    (tmp_path / "p.json").write_text('{"order": 8}')
    as_json = run_cli(
        "send", "--app", "shop", "-e", "order.paid", "-d", f"@{tmp_path / 'p.json'}", "--json", env=env
    )
    assert as_json.returncode == 0, as_json.stderr
    msg = json.loads(as_json.stdout)
    assert msg["eventType"] == "order.paid" and msg["payload"] == {"order": 8}
    bodies = sorted(json.loads(r.body)["order"] for r in receiver.wait_for(2))
    assert bodies == [7, 8]


def test_tail_json_prints_new_attempts(
    env: dict[str, str], api: httpx.Client, receiver: RecordingReceiver
) -> None:
    ep_id = _app_with_endpoint(api, "tailed", f"{receiver.url}/hooks")
    api.post("/api/v1/app/tailed/msg", json={"eventType": "a.b", "payload": {}})
    receiver.wait_for(1)
    result = run_cli("tail", "--app", "tailed", "--since", "1h", "--count", "1", "--json", env=env)
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout.strip())
    assert line["app"] == "tailed" and line["endpointId"] == ep_id
    assert line["status"] == 0 and line["responseStatusCode"] == 200


def test_tail_live_display_shows_attempts_as_they_happen(
    hookline_server: HooklineServer, api: httpx.Client, receiver: RecordingReceiver
) -> None:
    _app_with_endpoint(api, "live", f"{receiver.url}/hooks")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "hookline.cli", "tail", "--interval", "0.2"],
        cwd=str(ROOT),
        env=cli_env(
            HOOKLINE_SERVER=hookline_server.url, HOOKLINE_API_TOKEN=hookline_server.token, TERM="xterm"
        ),
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 200),
    )
    try:
        child.expect(r"watching 1 endpoint\(s\) · 0 attempt\(s\)")
        sent = api.post("/api/v1/app/live/msg", json={"eventType": "a.b", "payload": {}}).json()["id"]
        child.expect("200 success")
        child.expect(rf"\d+ ms\s+live\s+{sent}")
        child.expect(r"· 1 attempt\(s\)")
    finally:
        child.sendintr()
        child.expect(pexpect.EOF)
        child.close()
    assert child.exitstatus == 0


def test_replay_recovers_failed_messages_since_a_time(
    env: dict[str, str], api: httpx.Client, receiver: RecordingReceiver
) -> None:
    ep_id = _app_with_endpoint(api, "flaky", f"{receiver.url}/hooks")
    receiver.status = 500
    api.post("/api/v1/app/flaky/msg", json={"eventType": "a.b", "payload": {"n": 1}})
    # the test server's schedule gives up after four tries in well under a second
    _wait(lambda: api.get("/api/v1/app/flaky/msg").json()["data"])
    receiver.wait_for(4)
    _wait(lambda: len(api.get(f"/api/v1/app/flaky/attempt/endpoint/{ep_id}").json()["data"]) >= 4)
    time.sleep(0.3)
    receiver.status = 200
    result = run_cli("replay", "--app", "flaky", "--since", "1h", "--json", env=env)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["recovered"] == 1 and out["endpoints"][0]["endpoint"] == ep_id
    _wait(
        lambda: any(
            a["status"] == 0 for a in api.get(f"/api/v1/app/flaky/attempt/endpoint/{ep_id}").json()["data"]
        )
    )
    human = run_cli("replay", "--app", "flaky", "--since", "1h", "--endpoint", ep_id, env=env)
    assert human.returncode == 0, human.stderr
    assert "0 failed message(s) since" in human.stdout


def test_token_create_list_revoke_and_the_server_honours_them(database_url: str) -> None:
    db = database_url
    server = HooklineServer(database_url=db).start()
    env = cli_env(HOOKLINE_DATABASE_URL=db)
    try:
        created = run_cli("token", "create", "--name", "ci", "--json", env=env)
        assert created.returncode == 0, created.stderr
        tok = json.loads(created.stdout)
        assert tok["token"].startswith("hl_") and tok["id"].startswith("tok_")

        def status() -> int:
            return httpx.get(
                f"{server.url}/api/v1/app", headers={"authorization": f"Bearer {tok['token']}"}
            ).status_code

        _wait(lambda: status() == 200)
        listed = json.loads(run_cli("token", "list", "--json", env=env).stdout)
        assert [(t["id"], t["name"]) for t in listed] == [(tok["id"], "ci")]
        assert tok["token"] not in json.dumps(listed)  # only a hint of it is kept
        assert tok["id"] in run_cli("token", "list", env=env).stdout
        revoked = run_cli("token", "revoke", tok["id"], env=env)
        assert revoked.returncode == 0 and "revoked" in revoked.stdout
        _wait(lambda: status() == 401)
        assert json.loads(run_cli("token", "list", "--json", env=env).stdout) == []
        assert len(json.loads(run_cli("token", "list", "--revoked", "--json", env=env).stdout)) == 1
        again = run_cli("token", "revoke", tok["id"], env=env)
        assert again.returncode == 1 and again.stderr.strip() == f"error: no active token {tok['id']}"
    finally:
        server.stop()
    # the stored form is a hash
    import asyncio

    from hookline.store.store import Store

    async def stored() -> list[str]:
        store = await Store.connect(db)
        try:
            async with store.db.reader() as c:
                return [str(r[0]) for r in await c.fetchall("SELECT token_sha256 FROM api_tokens")]
        finally:
            await store.close()

    (digest,) = asyncio.run(stored())
    assert digest != tok["token"] and len(digest) == 64


def test_demo_prints_a_verified_user_created_event() -> None:
    result = run_cli("demo", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["event"]["type"] == "user.created"
    assert out["event"]["data"]["id"] == out["userId"]
    assert out["headers"]["svix-id"] == out["headers"]["webhook-id"]
    human = run_cli("demo")
    assert human.returncode == 0 and "signature     verified" in human.stdout
