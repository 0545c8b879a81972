"""Small deviations from svix-server closed: uids that look like ids refused, list iterators and orders
checked, the rotation limit held under concurrent rotations, and unknown ``/v1`` routes answered in
Clerk's error shape (that prefix is the Clerk-compatible identity API)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from svix.api import (
    ApplicationIn,
    ApplicationOut,
    ApplicationPatch,
    EndpointIn,
    EndpointPatch,
    EndpointSecretRotateIn,
    MessageIn,
    Svix,
)
from svix.exceptions import HTTPValidationError

from tests.support.servers import HooklineServer

ID_LIKE = "Uids are not allowed to have the same prefix as the ID. Prefix with _?"


def test_an_application_uid_starting_like_an_id_is_refused(svix: Svix, app: ApplicationOut) -> None:
    with pytest.raises(HTTPValidationError) as err:
        svix.application.create(ApplicationIn(name="x", uid="app_mine"))
    assert ID_LIKE in err.value.detail[0].msg
    with pytest.raises(HTTPValidationError):
        svix.application.patch(app.id, ApplicationPatch(uid="app_other"))
    with pytest.raises(HTTPValidationError):
        svix.message.create("new-app", MessageIn(event_type="user.created", payload={},
                                                 application=ApplicationIn(name="n", uid="app_new")))  # fmt: skip
    assert (
        svix.application.create(ApplicationIn(name="x", uid="_app_mine")).uid == "_app_mine"
    )  # as Svix suggests


def test_an_endpoint_uid_starting_like_an_id_is_refused(svix: Svix, app: ApplicationOut) -> None:
    with pytest.raises(HTTPValidationError):
        svix.endpoint.create(app.id, EndpointIn(url="https://example.com/h", uid="ep_mine"))
    ep = svix.endpoint.create(app.id, EndpointIn(url="https://example.com/h", uid="mine"))
    with pytest.raises(HTTPValidationError):
        svix.endpoint.patch(app.id, ep.id, EndpointPatch(uid="ep_other"))
    assert svix.endpoint.get(app.id, "mine").id == ep.id


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/app", {"iterator": "garbage"}),
        ("/api/v1/app", {"iterator": "ep_2KWPBgLlAfxdpx2AI54pPJ85f4W"}),  # an id of another kind
        ("/api/v1/app", {"order": "sideways"}),
        ("/api/v1/app/acme/endpoint", {"iterator": "app_2KWPBgLlAfxdpx2AI54pPJ85f4W"}),
        ("/api/v1/app/acme/endpoint", {"order": "up"}),
        ("/api/v1/event-type", {"iterator": "not a name!"}),
        ("/api/v1/event-type", {"order": "random"}),
        ("/api/v1/operational-webhook/endpoint", {"iterator": "%%%"}),
    ],
)
def test_garbage_list_iterators_and_orders_are_refused(
    raw: httpx.Client, app: ApplicationOut, path: str, params: dict[str, str]
) -> None:
    resp = raw.get(path, params=params)
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"][0]["loc"][-1] in params


def test_well_formed_iterators_still_page(svix: Svix, raw: httpx.Client, app: ApplicationOut) -> None:
    other = svix.application.create(ApplicationIn(name="b"))
    page = raw.get("/api/v1/app", params={"limit": 1}).json()
    assert page["data"][0]["id"] == app.id
    nxt = raw.get("/api/v1/app", params={"limit": 1, "iterator": page["iterator"]}).json()
    assert nxt["data"][0]["id"] == other.id
    back = raw.get("/api/v1/app", params={"limit": 1, "iterator": nxt["prevIterator"]}).json()
    assert back["data"][0]["id"] == app.id


def test_concurrent_rotations_cannot_pass_the_ten_secret_limit_together(
    svix: Svix, app: ApplicationOut, hookline_server: HooklineServer
) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url="https://example.com/h"))
    for _ in range(9):
        svix.endpoint.rotate_secret(app.id, ep.id, EndpointSecretRotateIn())
    url = f"{hookline_server.url}/api/v1/app/{app.id}/endpoint/{ep.id}/secret/rotate"
    headers = {"authorization": f"Bearer {hookline_server.token}"}

    def rotate(_: int) -> int:
        return httpx.post(url, json={}, headers=headers).status_code

    with ThreadPoolExecutor(6) as pool:
        codes = sorted(pool.map(rotate, range(6)))
    assert codes == [200] + [400] * 5


def test_unknown_identity_routes_answer_in_clerks_error_shape(raw: httpx.Client) -> None:
    resp = raw.get("/v1/no-such-thing")
    assert resp.status_code == 404
    [error] = resp.json()["errors"]
    assert error["code"] == "resource_not_found"
    assert {"message", "long_message", "meta"} <= set(error)
    # the Svix API keeps Svix's shape
    svix_shape = raw.get("/api/v1/no-such-thing")
    assert svix_shape.status_code == 404
    assert svix_shape.json()["code"] == "not_found"


def test_an_endpoints_version_is_stored_and_answered_as_svix_server_does(
    raw: httpx.Client, app: ApplicationOut
) -> None:
    # SDK 2.x no longer sends ``version``; 1.x did, so plain HTTP stands in for it
    base = f"/api/v1/app/{app.id}/endpoint"
    ep = raw.post(base, json={"url": "https://example.com/h", "version": 3}).json()
    assert ep["version"] == 3
    assert raw.get(f"{base}/{ep['id']}").json()["version"] == 3
    assert raw.patch(f"{base}/{ep['id']}", json={"version": 5}).json()["version"] == 5
    assert raw.patch(f"{base}/{ep['id']}", json={"description": "d"}).json()["version"] == 5
    assert raw.put(f"{base}/{ep['id']}", json={"url": "https://example.com/h"}).json()["version"] == 1
    assert raw.post(base, json={"url": "https://example.com/h"}).json()["version"] == 1
    for bad in (
        {"url": "https://example.com/h", "version": 0},
        {"url": "https://example.com/h", "version": 70000},
    ):
        assert raw.post(base, json=bad).status_code == 422
    assert raw.patch(f"{base}/{ep['id']}", json={"version": None}).status_code == 422
    assert raw.patch(f"{base}/{ep['id']}", json={"version": 0}).status_code == 422
