"""Bad input is refused with Svix's status codes and stores nothing; retries with a key change nothing."""

from __future__ import annotations

import itertools
import json
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.delivery.helpers import Api
from tests.support.servers import HooklineServer

TABLES = (
    "applications",
    "endpoints",
    "endpoint_secrets",
    "messages",
    "dispatches",
    "attempts",
    "idempotency",
)
MiB = 1024 * 1024


def row_counts(server: HooklineServer) -> dict[str, int]:
    """How many rows each delivery table holds, read straight from the database file."""
    path = server.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


@pytest.fixture(scope="module")
def hookline_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HooklineServer]:
    """One server for this module: every test works in its own application and checks row counts."""
    server = HooklineServer(
        database_url=f"sqlite:///{tmp_path_factory.mktemp('bad') / 'hookline.db'}"
    ).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api(hookline_server: HooklineServer) -> Iterator[Api]:
    client = Api(hookline_server.url, hookline_server.token)
    yield client
    client.close()


@pytest.fixture
def app_id(api: Api) -> str:
    """A fresh application with the uid ``acme-<n>``; its id is returned."""
    return api.create_app("Acme", uid=f"acme-{next(_apps)}")


_apps = itertools.count()


@pytest.fixture
def uid(api: Api, app_id: str) -> str:
    return api.ok(api.http.get(f"/api/v1/app/{app_id}"))["uid"]


@pytest.fixture
def unchanged(hookline_server: HooklineServer, app_id: str) -> Iterator[None]:
    """Fail the test if any delivery table gained or lost a row while it ran."""
    before = row_counts(hookline_server)
    yield
    assert row_counts(hookline_server) == before, "a refused request stored something"


def lists_are_empty(api: Api, app_id: str) -> None:
    assert api.list(f"/api/v1/app/{app_id}/endpoint") == []
    assert api.list(f"/api/v1/app/{app_id}/msg") == []


def error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, f"{response.status_code} {response.text}"
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


# -- 404 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/app/app_2aaaaaaaaaaaaaaaaaaaaaaaaaa", None),
        ("GET", "/api/v1/app/no-such-uid", None),
        ("GET", "/api/v1/app/{uid}/endpoint/ep_2aaaaaaaaaaaaaaaaaaaaaaaaaa", None),
        ("GET", "/api/v1/app/{uid}/msg/msg_2aaaaaaaaaaaaaaaaaaaaaaaaaa", None),
        ("GET", "/api/v1/app/{uid}/attempt/msg/msg_2aaaaaaaaaaaaaaaaaaaaaaaaaa", None),
        ("GET", "/api/v1/app/{uid}/attempt/endpoint/ep_2aaaaaaaaaaaaaaaaaaaaaaaaaa", None),
        ("POST", "/api/v1/app/no-such-app/msg", {"eventType": "user.created", "payload": {}}),
        ("POST", "/api/v1/app/no-such-app/endpoint", {"url": "https://example.com/hook"}),
        ("PATCH", "/api/v1/app/{uid}/endpoint/ep_2aaaaaaaaaaaaaaaaaaaaaaaaaa", {"description": "x"}),
        ("DELETE", "/api/v1/app/{uid}/endpoint/ep_2aaaaaaaaaaaaaaaaaaaaaaaaaa", None),
        ("POST", "/api/v1/app/{uid}/endpoint/ep_2aaaaaaaaaaaaaaaaaaaaaaaaaa/secret/rotate", {}),
        (
            "POST",
            "/api/v1/app/{uid}/msg/msg_2aaaaaaaaaaaaaaaaaaaaaaaaaa/endpoint/ep_2aaaaaaaaaaaaaaaaaaaaaaaaaa/resend",
            {},
        ),
    ],
)
def test_unknown_ids_are_404_and_store_nothing(
    api: Api, app_id: str, uid: str, unchanged: None, method: str, path: str, body: Any
) -> None:
    response = api.http.request(method, path.format(uid=uid), json=body, headers={"idempotency-key": "k-404"})
    assert error(response, 404)["code"] == "not_found"
    lists_are_empty(api, app_id)


# -- 401 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", "Bearer", "Basic dGVzdDp0ZXN0", "testsk_hookline_api_token"],
    ids=["missing", "wrong", "empty", "basic", "no-scheme"],
)
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/app", None),
        ("POST", "/api/v1/app", {"name": "Evil"}),
        ("POST", "/api/v1/app/{uid}/msg", {"eventType": "user.created", "payload": {"a": 1}}),
        ("POST", "/api/v1/app/{uid}/endpoint", {"url": "https://example.com/hook"}),
        ("DELETE", "/api/v1/app/{uid}", None),
    ],
)
def test_bad_token_is_401_and_stores_nothing(
    hookline_server: HooklineServer,
    api: Api,
    app_id: str,
    uid: str,
    unchanged: None,
    authorization: str | None,
    method: str,
    path: str,
    body: Any,
) -> None:
    headers = {"idempotency-key": "k-401"}
    if authorization is not None:
        headers["authorization"] = authorization
    with httpx.Client(base_url=hookline_server.url) as anonymous:
        response = anonymous.request(method, path.format(uid=uid), json=body, headers=headers)
    assert error(response, 401)["code"] == "authentication_failed"
    lists_are_empty(api, app_id)


# -- 422 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/app", {}, "name"),
        ("/api/v1/app", {"name": "x", "uid": "has spaces"}, "uid"),
        ("/api/v1/app/{uid}/endpoint", {}, "url"),
        ("/api/v1/app/{uid}/endpoint", {"url": ["https://example.com"]}, "url"),
        ("/api/v1/app/{uid}/endpoint", {"url": "https://example.com", "throttleRate": 0}, "throttleRate"),
        (
            "/api/v1/app/{uid}/endpoint",
            {"url": "https://example.com", "filterTypes": ["no spaces"]},
            "filterTypes",
        ),
        ("/api/v1/app/{uid}/endpoint", {"url": "https://example.com", "secret": "not-a-secret"}, "secret"),
        (
            "/api/v1/app/{uid}/endpoint",
            {"url": "https://example.com", "headers": {"svix-id": "x"}},
            "headers",
        ),
        ("/api/v1/app/{uid}/msg", {"payload": {}}, "eventType"),
        ("/api/v1/app/{uid}/msg", {"eventType": "user created!", "payload": {}}, "eventType"),
        ("/api/v1/app/{uid}/msg", {"eventType": "user.created"}, "payload"),
        ("/api/v1/app/{uid}/msg", {"eventType": "user.created", "payload": [1, 2]}, "payload"),
        ("/api/v1/app/{uid}/msg", {"eventType": "user.created", "payload": {}, "eventId": "a b"}, "eventId"),
        (
            "/api/v1/app/{uid}/msg",
            {"eventType": "user.created", "payload": {}, "channels": ["c"] * 11},
            "channels",
        ),
    ],
)
def test_invalid_body_is_422_naming_the_field_and_stores_nothing(
    api: Api, app_id: str, uid: str, unchanged: None, path: str, body: dict[str, Any], field: str
) -> None:
    response = api.http.post(path.format(uid=uid), json=body, headers={"idempotency-key": "k-422"})
    detail = error(response, 422)["detail"]
    assert isinstance(detail, list) and detail
    assert detail[0]["loc"][0] == "body"
    assert field in detail[0]["loc"], detail
    assert detail[0]["msg"]
    lists_are_empty(api, app_id)


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[]", b'"text"'])
def test_malformed_json_is_422_and_stores_nothing(
    api: Api, app_id: str, uid: str, unchanged: None, raw: bytes
) -> None:
    for path in ("/api/v1/app/{uid}/msg", "/api/v1/app/{uid}/endpoint", "/api/v1/app"):
        response = api.http.post(
            path.format(uid=uid), content=raw, headers={"content-type": "application/json"}
        )
        assert error(response, 422)["detail"]
    lists_are_empty(api, app_id)


# -- 413 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [MiB + 1, MiB + 40_000, 3 * MiB], ids=["just-over", "over", "far-over"])
def test_payload_over_one_mib_is_413_and_stores_nothing(
    api: Api, app_id: str, unchanged: None, size: int
) -> None:
    filler = "x" * (size - len('{"data":""}'))
    response = api.http.post(
        f"/api/v1/app/{app_id}/msg",
        json={"eventType": "user.created", "payload": {"data": filler}},
        headers={"idempotency-key": f"k-413-{size}"},
    )
    assert error(response, 413)["code"] == "payload_too_large"
    lists_are_empty(api, app_id)


def test_payload_over_one_mib_in_utf8_bytes_but_not_in_characters_is_413(
    api: Api, app_id: str, unchanged: None
) -> None:
    # 350,000 three-byte characters: about a third of a MiB of characters, 1,050,000 bytes
    body = {"eventType": "user.created", "payload": {"data": "€" * 350_000}}
    response = api.http.post(
        f"/api/v1/app/{app_id}/msg",
        content=json.dumps(body, ensure_ascii=False).encode(),
        headers={"content-type": "application/json"},
    )
    assert error(response, 413)["code"] == "payload_too_large"
    lists_are_empty(api, app_id)


def test_payload_of_exactly_one_mib_is_accepted(api: Api, app_id: str) -> None:
    filler = "x" * (MiB - len('{"data":""}'))
    msg = api.send(app_id, {"data": filler})
    assert len(api.list(f"/api/v1/app/{app_id}/msg")) == 1
    stored = api.ok(api.http.get(f"/api/v1/app/{app_id}/msg/{msg['id']}"))
    assert stored["payload"]["data"] == filler


# -- URLs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/hook", "scheme"),
        ("example.com/hook", "scheme"),
        ("http:///hook", "no host"),
        ("https://user:secret@example.com/hook", "credentials"),
        ("http://10.0.0.1/hook", "private"),
        ("http://192.168.1.20:8080/hook", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://100.100.100.200/", "carrier-grade NAT"),
        ("http://[fd12::1]/", "private"),
        ("http://[::ffff:10.1.1.1]/", "private"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://224.0.0.251/", "multicast"),
    ],
)
def test_invalid_or_private_url_is_422_with_the_reason_and_stores_nothing(
    api: Api, app_id: str, unchanged: None, url: str, reason: str
) -> None:
    response = api.http.post(f"/api/v1/app/{app_id}/endpoint", json={"url": url})
    [detail] = error(response, 422)["detail"]
    assert detail["loc"] == ["body", "url"]
    assert reason in detail["msg"]
    lists_are_empty(api, app_id)


def test_changing_an_endpoint_to_a_private_url_is_refused(api: Api, app_id: str) -> None:
    ep = api.create_endpoint(app_id, "https://example.com/hook")
    for method in ("PUT", "PATCH"):
        response = api.http.request(
            method, f"/api/v1/app/{app_id}/endpoint/{ep['id']}", json={"url": "http://169.254.169.254/"}
        )
        assert error(response, 422)["detail"][0]["loc"] == ["body", "url"]
    assert api.endpoint(app_id, ep["id"])["url"] == "https://example.com/hook"


# -- idempotency and event ids -------------------------------------------------------------------


def test_idempotency_key_replays_the_first_message_answer(api: Api, app_id: str) -> None:
    first = api.http.post(
        f"/api/v1/app/{app_id}/msg",
        json={"eventType": "user.created", "payload": {"n": 1}},
        headers={"idempotency-key": "create-user-1"},
    )
    again = api.http.post(
        f"/api/v1/app/{app_id}/msg",
        json={"eventType": "user.updated", "payload": {"n": 2}},
        headers={"idempotency-key": "create-user-1"},
    )
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert [m["id"] for m in api.list(f"/api/v1/app/{app_id}/msg")] == [first.json()["id"]]
    other = api.http.post(
        f"/api/v1/app/{app_id}/msg",
        json={"eventType": "user.created", "payload": {"n": 1}},
        headers={"idempotency-key": "create-user-2"},
    )
    assert other.status_code == 202 and other.json()["id"] != first.json()["id"]


def test_idempotency_key_replays_the_first_create_answer(api: Api, app_id: str) -> None:
    bodies = []
    for _ in range(3):
        response = api.http.post(
            f"/api/v1/app/{app_id}/endpoint",
            json={"url": "https://example.com/hook"},
            headers={"idempotency-key": "make-endpoint"},
        )
        assert response.status_code == 201
        bodies.append(response.json())
    assert bodies[0] == bodies[1] == bodies[2]
    assert [e["id"] for e in api.list(f"/api/v1/app/{app_id}/endpoint")] == [bodies[0]["id"]]


def test_concurrent_requests_with_one_key_create_one_message(api: Api, app_id: str) -> None:
    answers: list[httpx.Response] = []

    def post() -> None:
        answers.append(
            api.http.post(
                f"/api/v1/app/{app_id}/msg",
                json={"eventType": "user.created", "payload": {"n": 1}},
                headers={"idempotency-key": "racing"},
            )
        )

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in answers} == {202}
    assert len({r.json()["id"] for r in answers}) == 1
    assert len(api.list(f"/api/v1/app/{app_id}/msg")) == 1


def test_a_reused_event_id_is_409_and_stores_nothing(
    hookline_server: HooklineServer, api: Api, app_id: str
) -> None:
    first = api.send(app_id, {"n": 1}, eventId="evt-42")
    before = row_counts(hookline_server)
    response = api.http.post(
        f"/api/v1/app/{app_id}/msg",
        json={"eventType": "user.created", "payload": {"n": 2}, "eventId": "evt-42"},
    )
    assert error(response, 409)["code"] == "conflict"
    assert row_counts(hookline_server) == before
    assert [m["id"] for m in api.list(f"/api/v1/app/{app_id}/msg")] == [first["id"]]


def test_concurrent_messages_with_one_event_id_store_one(api: Api, app_id: str) -> None:
    answers: list[int] = []

    def post(n: int) -> None:
        answers.append(
            api.http.post(
                f"/api/v1/app/{app_id}/msg",
                json={"eventType": "user.created", "payload": {"n": n}, "eventId": "evt-race"},
            ).status_code
        )

    threads = [threading.Thread(target=post, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [202] + [409] * 7
    assert len(api.list(f"/api/v1/app/{app_id}/msg")) == 1
