"""The stock smee-client (npm) listening on a hookline channel: smee.io's event format, verified end to end."""

from __future__ import annotations

import shutil
import subprocess
import time

import httpx
import pytest

from tests.conftest import in_ci
from tests.relay.conftest import endpoint_to, new_channel
from tests.relay.procs import HERE, LocalApp
from tests.support.servers import HooklineServer

NODE_DIR = HERE / "node"

pytestmark = pytest.mark.node


@pytest.fixture
def smee_ready() -> None:
    if shutil.which("node") and (NODE_DIR / "node_modules" / "smee-client").is_dir():
        return
    message = "smee-client is not installed: run `npm ci` in tests/relay/node"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def _start_smee(source: str, target: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        ["node", "smee.mjs", source, target], cwd=NODE_DIR, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    deadline = time.time() + 20
    for line in iter(proc.stdout.readline, ""):
        if "smee-ready" in line:
            return proc
        assert time.time() < deadline, "smee-client did not connect"
    raise AssertionError(f"smee-client exited with {proc.wait()}")


def test_smee_client_forwards_a_signed_delivery_that_verifies(
    smee_ready: None, hookline_server: HooklineServer, api: httpx.Client, local_app: LocalApp
) -> None:
    channel = new_channel(api)
    smee = _start_smee(channel["listenUrl"], f"{local_app.url}/api/webhooks")
    try:
        ep_id = endpoint_to(api, "smee-app", channel["url"])
        payload = {"data": {"id": "user_2", "first_name": "Zoë"}, "object": "event", "type": "user.created"}
        sent = api.post("/api/v1/app/smee-app/msg", json={"eventType": "user.created", "payload": payload})
        assert sent.status_code == 202
        got = local_app.wait_received(1)
        assert got[0]["event"] == payload
        assert got[0]["id"] == sent.json()["id"]
        # smee-style listeners never answer: the ingress acknowledges the broadcast with 202
        deadline = time.time() + 20
        while not (attempts := api.get(f"/api/v1/app/smee-app/attempt/endpoint/{ep_id}").json()["data"]):
            assert time.time() < deadline
            time.sleep(0.05)
        assert attempts[0]["responseStatusCode"] == 202
    finally:
        smee.terminate()
        smee.wait(10)
