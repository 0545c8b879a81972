"""Property-based fuzzing of the HTTP API from its own OpenAPI description (``/api/v1/openapi.json``,
which also describes the identity ``/v1`` and ``/identity`` routes): whatever schemathesis generates,
no answer is a 5xx and every documented answer matches its schema.

Bounded: a few examples per operation against one real server (SQLite), well under two minutes.
Half the generated cases have their path ids swapped for ids that exist (an application, endpoint,
message, attempt, event type, user, email address and session seeded first), so the fuzzing reaches
past the 404s into the handlers; deletes keep their random ids so the seeds survive the run.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from tests.support.servers import HooklineServer

EXAMPLES = 20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HooklineServer]:
    path: Path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    server = HooklineServer(database_url=f"sqlite:///{path}").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def seeds(server: HooklineServer) -> dict[str, str]:
    """Ids of things that exist, by the name of the path parameter that takes them."""
    api = httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {server.token}"})
    idp = httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {server.secret_key}"})
    with api, idp:
        api.post("/api/v1/event-type", json={"name": "user.created", "description": "seed"})
        app = api.post("/api/v1/app", json={"name": "fuzz", "uid": "fuzz-app"}).json()
        ep = api.post(f"/api/v1/app/{app['id']}/endpoint", json={"url": "https://example.com/hook"}).json()
        msg = api.post(
            f"/api/v1/app/{app['id']}/msg", json={"eventType": "user.created", "payload": {}}
        ).json()
        out = {"app_id": app["id"], "endpoint_id": ep["id"], "msg_id": msg["id"], "name": "user.created"}
        attempts = api.get(f"/api/v1/app/{app['id']}/attempt/msg/{msg['id']}").json()["data"]
        if attempts:
            out["attempt_id"] = attempts[0]["id"]
        user = idp.post(
            "/v1/users", json={"email_address": ["fuzz@example.com"], "password": "fuzz-Pa55word-x"}
        )
        if user.status_code < 300:
            body = user.json()
            out["user_id"] = body["id"]
            if body.get("email_addresses"):
                out["email_address_id"] = body["email_addresses"][0]["id"]
            session = idp.post("/v1/sessions", json={"user_id": body["id"]})
            if session.status_code < 300:
                out["session_id"] = session.json()["id"]
        print(f"seeded: {sorted(out)}")
        return out


def _load_schema() -> schemathesis.BaseSchema:
    """The OpenAPI document the server serves at ``/api/v1/openapi.json``, built in-process.

    Built at collection time (the app is only constructed, never started) so the cases are plain
    pytest parameters: schemathesis' fixture-based loader relies on pytest internals that pytest 9
    removed. A test below checks that the running server serves this same document.
    """
    from hookline.config import Settings
    from hookline.server import create_app

    return schemathesis.openapi.from_dict(create_app(Settings()).openapi())


schema = _load_schema()


def test_the_fuzzed_document_is_the_one_the_server_serves(server: HooklineServer) -> None:
    served = httpx.get(server.url + "/api/v1/openapi.json").json()
    assert served == schema.raw_schema


def _auth(server: HooklineServer, path: str) -> dict[str, str]:
    if path.startswith("/api/v1"):
        return {"authorization": f"Bearer {server.token}"}
    if path.startswith("/v1"):
        return {"authorization": f"Bearer {server.secret_key}"}
    return {}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors_and_responses_match_the_schema(
    case: schemathesis.Case, server: HooklineServer, seeds: dict[str, str]
) -> None:
    params = case.path_parameters or {}
    if case.method != "DELETE" and params and zlib.crc32(repr(sorted(params.items())).encode()) % 2 == 0:
        case.path_parameters = {k: seeds.get(k, v) for k, v in params.items()}
    case.call_and_validate(
        base_url=server.url,
        headers=_auth(server, case.path),
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
        timeout=30,
    )
