"""Timing-safe comparisons: every check of a token, key, signature or CSRF value goes through
``hmac.compare_digest``. Two ways: the source holds no ``==``/``!=`` between secret-named values, and
each check, driven through a real server, calls ``compare_digest`` (counted, not timed)."""

from __future__ import annotations

import ast
import base64
import hmac
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

import hookline
from hookline.signing import Webhook, WebhookVerificationError
from tests.support.servers import HooklineServer

SRC = Path(hookline.__file__).parent
SECRETISH = re.compile(r"token|secret|digest|signature|\bsig|mac\b|csrf|password|pw_hash|api_key", re.I)


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript | ast.Call):
        return _name(node.value if isinstance(node, ast.Subscript) else node.func)
    return ""


def test_no_secret_is_compared_with_equality_operators() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Compare) or not any(
                isinstance(o, ast.Eq | ast.NotEq) for o in node.ops
            ):
                continue
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Constant) for s in sides):
                continue  # against None, "", a literal: no secret to leak
            if any(SECRETISH.search(_name(s)) for s in sides):
                found.append(f"{path.relative_to(SRC)}:{node.lineno}: {ast.unparse(node)}")
    assert found == []


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the calls to hmac.compare_digest made anywhere in this process."""
    calls = [0]
    real = hmac.compare_digest

    def counting(a: Any, b: Any) -> bool:
        calls[0] += 1
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counting)
    return calls


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HooklineServer]:
    s = HooklineServer(database_url=f"sqlite:///{tmp_path_factory.mktemp('timing') / 't.db'}").start()
    yield s
    s.stop()


def _checks(server: HooklineServer) -> dict[str, Callable[[httpx.Client], int]]:
    def bearer(
        path: str, method: str = "GET", token: str = "wrong-token-of-some-length"
    ) -> Callable[[httpx.Client], int]:
        return lambda http: http.request(method, path, headers={"authorization": f"Bearer {token}"},
                                         json={}).status_code  # fmt: skip

    return {
        "API bearer token": bearer("/api/v1/app"),
        "API bearer token on the message fast path": bearer("/api/v1/app/app_x/msg", "POST"),
        "identity secret key": bearer("/v1/users", token="sk_test_wrong_key_of_some_length"),
        "dashboard sign-in token": lambda http: (
            http.post("/dashboard/sign-in", data={"token": "wrong"}).status_code
        ),
    }


@pytest.mark.parametrize(
    "check",
    [
        "API bearer token",
        "API bearer token on the message fast path",
        "identity secret key",
        "dashboard sign-in token",
    ],
)
def test_credential_checks_use_compare_digest(server: HooklineServer, counted: list[int], check: str) -> None:
    with httpx.Client(base_url=server.url, follow_redirects=False) as http:
        counted[0] = 0
        status = _checks(server)[check](http)
    assert status in (401, 403), status
    assert counted[0] >= 1, f"{check}: refused without hmac.compare_digest"


def test_webhook_signature_verification_uses_compare_digest(counted: list[int]) -> None:
    wh = Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    now = datetime.now(UTC)
    version, signature = wh.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", now, '{"test": 1}').split(",")
    # flip a bit of the digest itself: changing the last base64 character can leave the decoded
    # bytes as they were, since its low bits are padding
    digest = bytearray(base64.b64decode(signature))
    digest[0] ^= 1
    headers = {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": f"{version},{base64.b64encode(bytes(digest)).decode()}"}  # fmt: skip
    counted[0] = 0
    with pytest.raises(WebhookVerificationError):
        wh.verify(b'{"test": 1}', headers)
    assert counted[0] >= 1
