"""npm ``openid-client`` (under Node) signs in through hookline's OpenID Connect provider: discovery,
PKCE, the code exchange, ID token signature checked against the JWKS, userinfo, refresh, introspection
and revocation, for a confidential and a public client.

The script lives in tests/identity/node (``npm ci`` there). Without Node or the package the test
skips, except under CI=true, where it fails.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from clerk_backend_api import Clerk

from tests.identity.oauth_support import CALLBACK, make_app, signed_in_browser
from tests.support.postgres import in_ci
from tests.support.servers import HooklineServer

pytestmark = pytest.mark.node
NODE_DIR = Path(__file__).resolve().parent / "node"


@pytest.fixture
def node() -> str:
    executable = shutil.which("node")
    problem = None
    if executable is None:
        problem = "node is not installed"
    elif not (NODE_DIR / "node_modules" / "openid-client" / "package.json").is_file():
        problem = "openid-client is not installed: run `cd tests/identity/node && npm ci`"
    if problem:
        if in_ci():
            pytest.fail(problem)
        pytest.skip(problem)
    assert executable is not None
    return executable


@pytest.mark.parametrize("public", [False, True], ids=["confidential", "public"])
def test_openid_client_signs_in(node: str, server: HooklineServer, clerk: Clerk, public: bool) -> None:
    app = make_app(clerk, public=public)
    browser = signed_in_browser(server.url, clerk)
    user = clerk.users.list(request={})[0]
    proc = subprocess.Popen(
        [node, str(NODE_DIR / "oidc_client.mjs")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, cwd=NODE_DIR,
    )  # fmt: skip
    try:
        assert proc.stdin is not None and proc.stdout is not None
        setup = {"issuer": server.url, "client_id": app.client_id, "redirect_uri": CALLBACK}
        if not public:
            setup["client_secret"] = app.client_secret
        proc.stdin.write(json.dumps(setup) + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else ""
        answer = browser.get(json.loads(line)["authorize_url"])
        assert answer.status_code == 302, answer.text
        proc.stdin.write(json.dumps({"callback": answer.headers["location"]}) + "\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=60)
    finally:
        browser.close()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    result = json.loads(out.splitlines()[-1])
    assert result["claims"]["sub"] == user.id and result["claims"]["iss"] == server.url
    assert result["claims"]["aud"] == [app.client_id] or result["claims"]["aud"] == app.client_id
    assert result["userinfo"]["email"] == "ada@example.org" and result["refreshed"] is True
    if not public:
        assert (
            result["introspection"]["active"] is True
            and result["introspection"]["client_id"] == app.client_id
        )
        assert result["after_revocation"] == {"active": False}
