"""Message creation answers the same with the fast path on and off: the same status, headers and bytes.

``POST /api/v1/app/{app}/msg`` is answered ahead of FastAPI by ``hookline.api.fastpath``; the
documented route behind it is the contract. Each request here is sent twice, once through each, and
the two answers are compared byte for byte (a fresh message id and timestamp aside).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from hookline.store.errors import StoreError, StoreUnavailableError
from tests.support.servers import HooklineServer

BODY = {"eventType": "user.created", "payload": {"id": "user_1", "name": "Zoë"}}
VARIES = re.compile(rb'msg_[0-9A-Za-z]{27}|"timestamp":"[^"]+"')


def _json(data: Any) -> bytes:
    return json.dumps(data).encode()


def _nested(depth: int) -> bytes:
    return b'{"eventType":"a","payload":' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"


def _chunks(total: int) -> Iterator[bytes]:
    # no content-length: the body limit is found while reading, not from the header
    sent = 0
    while sent < total:
        yield b" " * 65536
        sent += 65536


# (name, query, headers, body): the documented route's answer is what both paths must give
CASES: list[tuple[str, str, dict[str, str], bytes | Callable[[], Iterator[bytes]]]] = [
    ("normal", "", {}, _json(BODY)),
    ("with content off", "?with_content=off", {}, _json(BODY)),
    ("with content false", "?with_content=False", {}, _json(BODY)),
    ("with content 0", "?with_content=0", {}, _json(BODY)),
    ("with content yes", "?with_content=yes", {}, _json(BODY)),
    ("with content repeated", "?with_content=true&with_content=no", {}, _json(BODY)),
    ("with content garbage", "?with_content=garbage", {}, _json(BODY)),
    ("with content empty", "?with_content=", {}, _json(BODY)),
    ("garbage and bad body", "?with_content=maybe", {}, _json({"payload": {}})),
    ("missing event type", "", {}, _json({"payload": {}})),
    ("bad uid", "", {}, _json({**BODY, "eventId": "not allowed!"})),
    ("malformed json", "", {}, b'{"eventType": "a", "payload": {'),
    ("empty body", "", {}, b""),
    ("not an object", "", {}, b"[1, 2]"),
    ("lone surrogate", "", {}, b'{"eventType":"a","payload":{"x":"\\ud800"}}'),
    ("nested too deep", "", {}, _nested(80)),
    ("text/plain", "", {"content-type": "text/plain"}, _json(BODY)),
    ("no token", "", {"authorization": ""}, _json(BODY)),
    ("wrong token", "", {"authorization": "Bearer nope"}, _json(BODY)),
    ("not bearer", "", {"authorization": "Basic dXNlcjpwYXNz"}, _json(BODY)),
    ("bearer without token", "", {"authorization": "Bearer"}, _json(BODY)),
    ("declared too large", "", {}, b'{"eventType":"a","payload":{"x":"' + b"y" * (2 * 1024 * 1024) + b'"}}'),
    ("payload over the limit", "", {}, _json({"eventType": "a", "payload": {"x": "y" * (1024 * 1024 + 10)}})),
    ("streamed too large", "", {}, lambda: _chunks(1024 * 1024 + 128 * 1024)),
]


def _send(server: HooklineServer, client: httpx.Client, fast: bool, path: str, headers: dict[str, str],
          body: bytes | Callable[[], Iterator[bytes]]) -> tuple[int, list[tuple[str, str]], bytes]:  # fmt: skip
    server.app.fast_path = fast_path_of(server) if fast else None
    sent = {"content-type": "application/json", "authorization": f"Bearer {server.token}", **headers}
    sent = {k: v for k, v in sent.items() if v}
    answer = client.post(path, headers=sent, content=body() if callable(body) else body)
    kept = sorted((k, v) for k, v in answer.headers.items() if k not in ("date", "server", "connection"))
    return answer.status_code, kept, VARIES.sub(b"<varies>", answer.content)


_FAST: dict[int, Any] = {}


def fast_path_of(server: HooklineServer) -> Any:
    return _FAST.setdefault(id(server), server.app.fast_path)


@pytest.fixture
def server(hookline_server: HooklineServer) -> HooklineServer:
    fast_path_of(hookline_server)
    httpx.post(
        f"{hookline_server.url}/api/v1/app",
        headers={"authorization": f"Bearer {hookline_server.token}"},
        json={"name": "Acme", "uid": "acme"},
    ).raise_for_status()
    return hookline_server


@pytest.mark.parametrize(("name", "query", "headers", "body"), CASES, ids=[c[0] for c in CASES])
def test_the_fast_path_answers_as_the_documented_route(
    server: HooklineServer, name: str, query: str, headers: dict[str, str], body: Any
) -> None:
    path = f"/api/v1/app/acme/msg{query}"
    with httpx.Client(base_url=server.url, timeout=30) as client:
        routed = _send(server, client, False, path, headers, body)
        fast = _send(server, client, True, path, headers, body)
    assert fast == routed
    assert routed[0] in (202, 400, 401, 413, 422), routed


def test_errors_raised_while_storing_answer_the_same(server: HooklineServer) -> None:
    rt = server.app.state.runtime
    accept = rt.acceptor.accept
    try:
        for exc, status in (
            (StoreError("the disk is full"), 500),
            (StoreUnavailableError("database down"), 503),
        ):

            async def failing(*_: Any, exc: Exception = exc) -> Any:
                raise exc

            rt.acceptor.accept = failing
            with httpx.Client(base_url=server.url, timeout=30) as client:
                routed = _send(server, client, False, "/api/v1/app/acme/msg", {}, _json(BODY))
                fast = _send(server, client, True, "/api/v1/app/acme/msg", {}, _json(BODY))
            assert fast == routed
            assert routed[0] == status
            assert json.loads(routed[2]) == {"code": exc.code, "detail": str(exc)}
    finally:
        rt.acceptor.accept = accept


def test_an_unknown_application_is_the_same_404(server: HooklineServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        routed = _send(server, client, False, "/api/v1/app/nobody/msg", {}, _json(BODY))
        fast = _send(server, client, True, "/api/v1/app/nobody/msg", {}, _json(BODY))
    assert fast == routed
    assert routed[0] == 404


def test_with_content_off_leaves_the_payload_out(server: HooklineServer) -> None:
    for fast in (True, False):
        server.app.fast_path = fast_path_of(server) if fast else None
        answer = httpx.post(
            f"{server.url}/api/v1/app/acme/msg?with_content=off",
            headers={"authorization": f"Bearer {server.token}"},
            json=BODY,
        )
        assert answer.status_code == 202
        assert answer.json()["payload"] == {}
