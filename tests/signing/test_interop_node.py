"""Interop with npm's `svix`, `standardwebhooks` and Clerk's `verifyWebhook`, run under Node, both ways.

The scripts and pinned packages live in tests/node (`cd tests/node && npm install`). Without Node or
those packages the tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hookline.signing import Webhook, generate_secret, sign, signature_headers, verify
from tests.conftest import in_ci
from tests.signing.vectors import BODY, MSG_ID, SECRET, SIGNATURE, TIMESTAMP

pytestmark = pytest.mark.node

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
PACKAGES = ("svix", "standardwebhooks", "@clerk/backend")
# A Clerk event as Clerk sends it; non-ASCII text checks that every side signs the UTF-8 bytes.
EVENT = (
    '{"data":{"id":"user_29w83sxmDNGwOuEthce5gg56FcC","object":"user","first_name":"Zoë","last_name":"Ōtani 🚀"},'
    '"event_attributes":{"http_request":{"client_ip":"","user_agent":""}},"instance_id":"ins_2abc",'
    '"object":"event","timestamp":1716883200000,"type":"user.created"}'
)


@dataclass(frozen=True)
class Result:
    ok: bool
    payload: Any = None
    error: str = ""


class Node:
    """Runs the scripts in tests/node with the pinned npm packages."""

    def __init__(self, executable: str) -> None:
        self.executable = executable

    def _run(
        self, script: str, data: dict[str, Any], env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.executable, script],
            input=json.dumps(data),
            capture_output=True,
            text=True,
            cwd=NODE_DIR,
            env={**os.environ, **(env or {})},
            timeout=60,
        )

    def verify(
        self,
        lib: str,
        headers: dict[str, str],
        body: str,
        secret: str | None = SECRET,
        env: dict[str, str] | None = None,
    ) -> Result:
        data: dict[str, Any] = {"lib": lib, "headers": headers, "body": body}
        if secret is not None:
            data["secret"] = secret
        done = self._run("verify.mjs", data, env)
        assert done.returncode in (0, 1), f"verify.mjs exited {done.returncode}: {done.stderr}"
        return Result(**json.loads(done.stdout))

    def sign(self, lib: str, secret: str, msg_id: str, timestamp: int, body: str) -> str:
        done = self._run(
            "sign.mjs", {"lib": lib, "secret": secret, "id": msg_id, "timestamp": timestamp, "body": body}
        )
        assert done.returncode == 0, f"sign.mjs exited {done.returncode}: {done.stderr}"
        signature: str = json.loads(done.stdout)["signature"]
        return signature


@pytest.fixture(scope="module")
def node() -> Node:
    executable = shutil.which("node")
    missing = [p for p in PACKAGES if not (NODE_DIR / "node_modules" / p / "package.json").is_file()]
    problem = None
    if executable is None:
        problem = "Node.js is not installed"
    elif missing:
        problem = f"npm packages {', '.join(missing)} are not installed: run `cd tests/node && npm install`"
    if problem is not None:
        if in_ci():
            pytest.fail(f"{problem} (CI=true: interop must run)")
        pytest.skip(problem)
    assert executable is not None
    return Node(executable)


def delivery(body: str = EVENT, secret: str = SECRET) -> dict[str, str]:
    """Headers as our delivery sends them: both families, signed now (the npm packages read the clock)."""
    ts = int(time.time())
    return signature_headers(MSG_ID, ts, sign(secret, MSG_ID, ts, body))


def only(family: str, headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.startswith(family + "-")}


# --- ours -> theirs ------------------------------------------------------------------------------


@pytest.mark.parametrize("family", ["svix", "webhook"])
def test_npm_svix_verifies_our_signature(node: Node, family: str) -> None:
    assert node.verify("svix", only(family, delivery()), EVENT).ok


def test_npm_standardwebhooks_verifies_our_signature_and_parses_the_body(node: Node) -> None:
    result = node.verify("standardwebhooks", only("webhook", delivery()), EVENT)
    assert result.ok, result.error
    assert result.payload["data"]["last_name"] == "Ōtani 🚀"


def test_clerk_verify_webhook_accepts_our_delivery_with_the_signing_secret_option(node: Node) -> None:
    result = node.verify("clerk", delivery(), EVENT)
    assert result.ok, result.error
    assert result.payload["type"] == "user.created"
    assert result.payload["data"]["first_name"] == "Zoë"
    assert result.payload["instance_id"] == "ins_2abc"


def test_clerk_verify_webhook_accepts_our_delivery_with_the_secret_from_its_env_variable(node: Node) -> None:
    result = node.verify(
        "clerk", delivery(), EVENT, secret=None, env={"CLERK_WEBHOOK_SIGNING_SECRET": SECRET}
    )
    assert result.ok, result.error


def test_clerk_verify_webhook_accepts_a_rotation_header_with_two_signatures(node: Node) -> None:
    old, ts = generate_secret(), int(time.time())
    header = f"{sign(SECRET, MSG_ID, ts, EVENT)} {sign(old, MSG_ID, ts, EVENT)}"
    assert node.verify("clerk", signature_headers(MSG_ID, ts, header), EVENT, secret=old).ok
    assert node.verify("clerk", signature_headers(MSG_ID, ts, header), EVENT, secret=SECRET).ok


def test_clerk_verify_webhook_needs_the_svix_headers_we_also_send(node: Node) -> None:
    result = node.verify("clerk", only("webhook", delivery()), EVENT)
    assert not result.ok
    assert "svix-id" in result.error


@pytest.mark.parametrize("lib", ["svix", "standardwebhooks", "clerk"])
def test_every_npm_verifier_rejects_a_changed_body_or_a_wrong_secret(node: Node, lib: str) -> None:
    headers = delivery()
    assert not node.verify(lib, headers, EVENT + "\n").ok
    assert not node.verify(lib, headers, EVENT, secret=generate_secret()).ok


# --- theirs -> ours ------------------------------------------------------------------------------


@pytest.mark.parametrize("lib", ["svix", "standardwebhooks"])
def test_npm_libraries_sign_the_known_vector_as_we_do(node: Node, lib: str) -> None:
    assert node.sign(lib, SECRET, MSG_ID, TIMESTAMP, BODY.decode()) == SIGNATURE


@pytest.mark.parametrize("lib", ["svix", "standardwebhooks"])
@pytest.mark.parametrize("family", ["svix", "webhook"])
def test_we_verify_signatures_made_by_npm_libraries(node: Node, lib: str, family: str) -> None:
    secret, ts = generate_secret(48), int(time.time())
    signature = node.sign(lib, secret, MSG_ID, ts, EVENT)
    headers = only(family, signature_headers(MSG_ID, ts, signature))
    assert verify(secret, EVENT.encode(), headers)["data"]["last_name"] == "Ōtani 🚀"
    assert Webhook(secret).sign(MSG_ID, ts, EVENT) == signature
