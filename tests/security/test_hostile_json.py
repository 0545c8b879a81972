"""JSON nested a thousand deep and lone UTF-16 surrogates get a 4xx in each route family's error shape,
never a 500, wherever they are sent."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.servers import HooklineServer

DEEP = '{"a":' * 1000 + "1" + "}" * 1000
NESTED = '{"a":' * 100 + "1" + "}" * 100  # parses, but deeper than anything hookline stores
LONE = '"\\ud800"'


@pytest.fixture
def http(hookline_server: HooklineServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hookline_server.url, timeout=30) as client:
        yield client


def _svix_shape(resp: httpx.Response) -> bool:
    body = resp.json()
    return ("code" in body and "detail" in body) or isinstance(body.get("detail"), list)


def _clerk_shape(resp: httpx.Response) -> bool:
    return isinstance(resp.json().get("errors"), list)


def test_api_v1_bodies(hookline_server: HooklineServer, http: httpx.Client) -> None:
    auth = {"authorization": f"Bearer {hookline_server.token}", "content-type": "application/json"}
    assert http.post("/api/v1/app", json={"name": "a", "uid": "a"}, headers=auth).status_code == 201
    ep = http.post("/api/v1/app/a/endpoint", json={"url": "https://example.com/x"}, headers=auth).json()
    cases = [
        ("POST", "/api/v1/app", f'{{"name":"x","uid":{LONE}}}'),
        ("POST", "/api/v1/app", f'{{"name":"x","metadata":{DEEP}}}'),
        ("POST", "/api/v1/app/a/endpoint", f'{{"url":"https://example.com/y","description":{LONE}}}'),
        ("PATCH", f"/api/v1/app/a/endpoint/{ep['id']}", f'{{"description":{LONE}}}'),
        ("PUT", f"/api/v1/app/a/endpoint/{ep['id']}/headers", f'{{"headers":{{"x-a":{LONE}}}}}'),
        ("POST", "/api/v1/event-type", f'{{"name":"t","description":{LONE}}}'),
        ("POST", "/api/v1/event-type", f'{{"name":"t2","schemas":{{"1":{NESTED}}}}}'),
        ("POST", "/api/v1/app/a/msg", f'{{"eventType":"t","payload":{{"a":{LONE}}}}}'),
        ("POST", "/api/v1/app/a/msg", f'{{"eventType":"t","payload":{DEEP}}}'),
    ]
    for method, path, body in cases:
        resp = http.request(method, path, content=body, headers=auth)
        assert 400 <= resp.status_code < 500 and _svix_shape(resp), (
            method,
            path,
            resp.status_code,
            resp.text,
        )


def test_clerk_and_end_user_bodies(hookline_server: HooklineServer, http: httpx.Client) -> None:
    key = {"authorization": f"Bearer {hookline_server.secret_key}", "content-type": "application/json"}
    plain = {"content-type": "application/json"}
    cases = [
        ("/v1/users", f'{{"email_address":["a@example.org"],"first_name":{LONE}}}', key),
        ("/v1/users", f'{{"email_address":["b@example.org"],"public_metadata":{DEEP}}}', key),
        ("/v1/users", f'{{"email_address":["c@example.org"],"public_metadata":{NESTED}}}', key),
        ("/identity/sign_up", f'{{"email_address":"d@example.org","password":{LONE}}}', plain),
        ("/identity/sign_in", DEEP, plain),
        ("/identity/sign_in", f'{{"email_address":{LONE},"password":"x"}}', plain),
    ]
    for path, body, headers in cases:
        resp = http.post(path, content=body, headers=headers)
        assert 400 <= resp.status_code < 500 and _clerk_shape(resp), (path, resp.status_code, resp.text)


def test_relay_replies(hookline_server: HooklineServer, http: httpx.Client) -> None:
    auth = {"authorization": f"Bearer {hookline_server.token}"}
    listen = http.post("/relay/channels", headers=auth).json()["listenUrl"]
    for body in (DEEP, f'{{"status":200,"headers":[["x-a",{LONE}]]}}'):
        resp = http.post(f"{listen}/replies/rreq_x.1", content=body)
        assert resp.status_code == 422 and _svix_shape(resp), resp.text
