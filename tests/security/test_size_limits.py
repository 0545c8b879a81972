"""Request size limits: every route that takes a body answers 413 ``payload_too_large`` to one over
the limit, whether its size is announced (``content-length``) or streamed (chunked), before reading it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.security.routes import all_routes
from tests.support.servers import HooklineServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HooklineServer]:
    s = HooklineServer(database_url=f"sqlite:///{tmp_path_factory.mktemp('size') / 's.db'}").start()
    yield s
    s.stop()


def _body_routes(server: HooklineServer) -> list[tuple[str, str]]:
    return [(m, p) for m, p in all_routes(server.app) if m in ("POST", "PUT", "PATCH")]


def _path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", template)


def test_the_routes_are_found(server: HooklineServer) -> None:
    routes = _body_routes(server)
    assert len(routes) >= 40
    assert ("POST", "/api/v1/app/{app_id}/msg") in routes


def _oversized(server: HooklineServer) -> bytes:
    return b"{" + b" " * (server.settings.max_payload_bytes + 64 * 1024) + b"}"


def _chunks(body: bytes) -> Iterator[bytes]:
    return iter([body[i : i + 65536] for i in range(0, len(body), 65536)])


def test_every_body_route_refuses_an_announced_oversized_body(server: HooklineServer) -> None:
    body = _oversized(server)
    headers = {"authorization": f"Bearer {server.token}", "content-type": "application/json"}
    wrong = []
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for method, template in _body_routes(server):
            r = http.request(method, _path(template), content=body, headers=headers)
            if r.status_code != 413 or r.json().get("code") != "payload_too_large":
                wrong.append((method, template, r.status_code))
    assert wrong == [], "\n".join(map(str, wrong))


def test_a_streamed_oversized_body_is_a_413_wherever_it_is_read(server: HooklineServer) -> None:
    """Without ``content-length`` the limit bites when the body is read: every route that reads it
    answers 413 (never FastAPI's 400 "error parsing the body"); a route that refuses the caller first
    (401, 403, 404) or takes no body answers as it would, having read nothing into memory."""
    body = _oversized(server)
    wrong, refused = [], []
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for method, template in _body_routes(server):
            token = server.secret_key if template.startswith("/v1/") else server.token
            headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
            r = http.request(method, _path(template), content=_chunks(body), headers=headers)
            if r.status_code == 413:
                refused.append(template)
            elif r.status_code == 400 or r.status_code >= 500:
                wrong.append((method, template, r.status_code))
    assert wrong == [], "\n".join(map(str, wrong))
    api = [
        p
        for m, p in _body_routes(server)
        if p.startswith("/api/v1/") and not p.endswith(("/resend", "/auth/logout"))  # they take no body
    ]
    assert sorted(set(api) - set(refused)) == []
