"""SDK operations hookline does not serve answer 501 ``not_implemented`` in Svix's error shape, naming the
operation; the table of them is checked against the ``svix`` SDK's own source, so it cannot drift."""

from __future__ import annotations

import pathlib
import re

import httpx
import pytest
import svix
from svix.api import Svix
from svix.exceptions import HttpError

from hookline.api.v1 import unserved
from tests.support.servers import HooklineServer

SDK_CALL = re.compile(r'method="(get|post|put|patch|delete)",\s*path="([^"]+)"')


def sdk_calls() -> set[tuple[str, str]]:
    """Every (METHOD, path) the installed ``svix`` SDK sends, read from its source."""
    found: set[tuple[str, str]] = set()
    for source in pathlib.Path(svix.__file__).parent.joinpath("api").glob("*.py"):
        found |= {(m.upper(), p) for m, p in SDK_CALL.findall(source.read_text())}
    return found


def table() -> dict[tuple[str, str], str]:
    rows = {(m, "/api/v1" + p): op for op, m, p in unserved.API_V1}
    rows |= {(m, "/ingest/api/v1" + p): op for op, m, p in unserved.INGEST_V1}
    return rows


def concrete(path: str) -> str:
    return re.sub(r"\{[a-z_]+\}", "x_1", path)


def routed(resp: httpx.Response) -> bool:
    """Whether a route answered (a served one or a 501), not the router's bare 404/405 for a path it lacks."""
    if resp.status_code == 405:
        return False
    return not (resp.status_code == 404 and resp.json().get("detail") == "Not Found")


def call(raw: httpx.Client, method: str, path: str) -> httpx.Response:
    return raw.request(method, concrete(path), json={} if method in ("POST", "PUT", "PATCH") else None)


def test_every_sdk_call_is_served_or_answered_501(raw: httpx.Client) -> None:
    rows = table()
    calls = sdk_calls()
    assert len(calls) > 100, "the SDK's calls were not found in its source"
    assert set(rows) <= calls, f"rows the SDK never sends: {sorted(set(rows) - calls)}"
    answers = {c: call(raw, *c) for c in sorted(calls)}
    unrouted = [c for c, resp in answers.items() if not routed(resp)]
    assert unrouted == [], f"SDK calls answered by no route: {unrouted}"
    served_as_501 = [c for c, resp in answers.items() if c not in rows and resp.status_code == 501]
    assert served_as_501 == [], f"calls answered 501 but not listed: {served_as_501}"


def test_each_unserved_call_answers_501_naming_the_operation(raw: httpx.Client) -> None:
    for (method, path), operation in table().items():
        resp = call(raw, method, path)
        assert resp.status_code == 501, (method, path, resp.status_code, resp.text)
        body = resp.json()
        assert body["code"] == "not_implemented", body
        assert f"`{operation}`" in body["detail"], body


def test_unserved_calls_still_need_a_valid_token(hookline_server: HooklineServer) -> None:
    with httpx.Client(base_url=hookline_server.url) as anon:
        assert anon.get("/api/v1/stream").status_code == 401
        assert anon.get("/ingest/api/v1/source").status_code == 401
        bad = anon.get("/api/v1/stream", headers={"authorization": "Bearer nope"})
        assert bad.status_code == 401


@pytest.mark.parametrize(
    ("call", "operation"),
    [
        (lambda s: s.streaming.stream.list(), "streaming.stream.list"),
        (lambda s: s.ingest.source.list(), "ingest.source.list"),
        (lambda s: s.connector.list(), "connector.list"),
        (lambda s: s.integration.list("app_x"), "integration.list"),
        (lambda s: s.endpoint.transformation.get("app_x", "ep_x"), "endpoint.transformation.get"),
    ],
)
def test_the_sdk_raises_http_error_501_with_the_code(svix: Svix, call: object, operation: str) -> None:
    with pytest.raises(HttpError) as err:
        call(svix)  # type: ignore[operator]
    assert err.value.status_code == 501
    assert err.value.code == "not_implemented"
    assert operation in err.value.detail
