"""Clerk's own receiver code, npm ``@clerk/backend`` ``verifyWebhook`` under Node, accepts every identity event.

The script and its pinned package live in tests/identity/node (``npm install`` there; scripts/test.sh does it).
Without Node or the package the test skips, except under CI=true, where it fails.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from clerk_backend_api import Clerk

from hookline.identity.catalog import CATALOG
from tests.identity.conftest import Hooks
from tests.identity.test_events import user_journey
from tests.support.postgres import in_ci

pytestmark = pytest.mark.node
NODE_DIR = Path(__file__).resolve().parent / "node"


@pytest.fixture
def node() -> str:
    executable = shutil.which("node")
    problem = None
    if executable is None:
        problem = "node is not installed"
    elif not (NODE_DIR / "node_modules" / "@clerk" / "backend" / "package.json").is_file():
        problem = "@clerk/backend is not installed: run `cd tests/identity/node && npm install`"
    if problem:
        if in_ci():
            pytest.fail(problem)
        pytest.skip(problem)
    assert executable is not None
    return executable


def test_clerk_verify_webhook_accepts_every_identity_event(
    node: str, hooks: Hooks, http: httpx.Client, clerk: Clerk
) -> None:
    user_id = user_journey(http, clerk)
    hooks.wait(*CATALOG)
    deliveries = [{"headers": r.headers, "body": r.body.decode()} for r in hooks.receiver.requests]
    run = subprocess.run(
        [node, str(NODE_DIR / "verify_clerk.mjs")], input=json.dumps({"secret": hooks.secret, "deliveries": deliveries}),
        capture_output=True, text=True, cwd=NODE_DIR, timeout=60, check=True,
    )  # fmt: skip
    results = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(results) == len(deliveries)
    assert all(r["ok"] for r in results), results
    assert {r["type"] for r in results} == set(CATALOG)
    assert {r["user_id"] for r in results} == {user_id}
    created = next(r for r in results if r["type"] == "user.created")
    assert created["email"] == "ada@example.org"


def test_clerk_verify_webhook_rejects_a_tampered_body(node: str, hooks: Hooks, clerk: Clerk) -> None:
    clerk.users.create(email_address=["eve@example.org"], password="correct horse battery staple")
    received = hooks.receiver.wait_for(1)[0]
    tampered = received.body.decode().replace("eve@example.org", "mallory@example.org")
    run = subprocess.run(
        [node, str(NODE_DIR / "verify_clerk.mjs")],
        input=json.dumps({"secret": hooks.secret, "deliveries": [{"headers": received.headers, "body": tampered}]}),
        capture_output=True, text=True, cwd=NODE_DIR, timeout=60, check=True,
    )  # fmt: skip
    assert json.loads(run.stdout)["ok"] is False
