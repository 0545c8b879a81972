"""``app_portal_access`` options through the official ``svix`` SDK, enforced on the portal's pages:
``capabilities`` (and ``readOnly``), ``featureFlags``, ``expiry``, ``sessionId`` and ``application``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from svix.api import ApplicationIn, AppPortalAccessIn, EventTypeIn, Svix, SvixOptions
from svix.exceptions import HttpError, HTTPValidationError

from tests.dashboard.conftest import Shop
from tests.support.portal import open_portal


@pytest.fixture
def svix(shop: Shop) -> Iterator[Svix]:
    client = Svix(shop.server.token, SvixOptions(server_url=shop.server.url))
    yield client
    client._httpx_client.close()


class Portal:
    """A browser holding one portal link of the shop."""

    def __init__(self, shop: Shop, svix: Svix, **options: Any) -> None:
        self.shop = shop
        out = svix.authentication.app_portal_access(shop.app_id, AppPortalAccessIn(**options))
        self.client = httpx.Client(follow_redirects=False, timeout=20)
        opened = open_portal(self.client, out.url)
        assert opened.status_code == 303, opened.text
        self.base = f"{shop.server.url}/dashboard/portal/{shop.app_id}"

    def get(self, path: str) -> httpx.Response:
        return self.client.get(self.base + path)

    def post(self, path: str, **form: str) -> httpx.Response:
        # every page carries the form token on its body, also where the link's capabilities show no form
        found = re.search(r'data-csrf="([^"]+)"', self.get(f"/endpoint/{self.shop.endpoint_id}").text)
        assert found
        return self.client.post(self.base + path, data={"csrf": found.group(1), **form})


def secret_of(svix: Svix, shop: Shop) -> str:
    return svix.endpoint.get_secret(shop.app_id, shop.endpoint_id).key


def test_view_endpoint_secret_shows_the_secret_but_changes_nothing(shop: Shop, svix: Svix) -> None:
    msg_id = shop.send()
    portal = Portal(shop, svix, capabilities=["ViewBase", "ViewEndpointSecret"])
    ep = shop.endpoint_id
    page = portal.get(f"/endpoint/{ep}").text
    assert "Reveal secret" in page and "Rotate secret" not in page and "Recover failed" not in page
    assert "cannot change endpoints" in page
    assert secret_of(svix, shop) in portal.get(f"/endpoint/{ep}/secret").text
    before = secret_of(svix, shop)
    for path in (f"/endpoint/{ep}/secret/rotate", f"/endpoint/{ep}", f"/endpoint/{ep}/state",
                 f"/msg/{msg_id}/resend/{ep}", "/test"):  # fmt: skip
        resp = portal.post(
            path, url="https://example.com/x", enable="0", endpoint=ep, event_type="order.created"
        )
        assert resp.status_code == 403 and "does not allow" in resp.text, (path, resp.status_code)
    assert secret_of(svix, shop) == before
    assert svix.endpoint.get(shop.app_id, ep).disabled is False


def test_manage_endpoint_secret_rotates_but_cannot_edit_the_endpoint(shop: Shop, svix: Svix) -> None:
    portal = Portal(shop, svix, capabilities=["ViewBase", "ManageEndpointSecret"])
    ep = shop.endpoint_id
    before = secret_of(svix, shop)
    assert portal.post(f"/endpoint/{ep}/secret/rotate").status_code == 303
    assert secret_of(svix, shop) != before
    assert portal.get(f"/endpoint/{ep}/secret").status_code == 200
    assert portal.post(f"/endpoint/{ep}/state", enable="0").status_code == 403


def test_create_attempts_resends_but_sees_no_secret(shop: Shop, svix: Svix) -> None:
    msg_id = shop.send()
    shop.receiver.wait_for(1)
    portal = Portal(shop, svix, capabilities=["ViewBase", "CreateAttempts"])
    page = portal.get(f"/endpoint/{shop.endpoint_id}").text
    assert "Reveal secret" not in page and "Recover failed messages" in page
    assert "Resend" in portal.get(f"/msg/{msg_id}/delivery").text
    assert portal.get(f"/endpoint/{shop.endpoint_id}/secret").status_code == 403
    assert portal.post(f"/msg/{msg_id}/resend/{shop.endpoint_id}").status_code == 303
    shop.receiver.wait_for(2)


def test_manage_endpoint_edits_and_sees_the_secret(shop: Shop, svix: Svix) -> None:
    portal = Portal(shop, svix, capabilities=["ViewBase", "ManageEndpoint"])
    assert portal.post(f"/endpoint/{shop.endpoint_id}/state", enable="0").status_code == 303
    assert svix.endpoint.get(shop.app_id, shop.endpoint_id).disabled is True
    assert portal.get(f"/endpoint/{shop.endpoint_id}/secret").status_code == 200


def test_without_capabilities_a_link_may_do_everything(shop: Shop, svix: Svix) -> None:
    portal = Portal(shop, svix)
    before = secret_of(svix, shop)
    assert portal.post(f"/endpoint/{shop.endpoint_id}/secret/rotate").status_code == 303
    assert secret_of(svix, shop) != before


def test_view_base_alone_is_read_only(shop: Shop, svix: Svix) -> None:
    portal = Portal(shop, svix, capabilities=["ViewBase"])
    assert portal.get(f"/endpoint/{shop.endpoint_id}").status_code == 200
    assert portal.get(f"/endpoint/{shop.endpoint_id}/secret").status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"capabilities": ["ViewEndpointSecret"]},  # ViewBase is always required
        {"capabilities": ["ViewBase", "Superpowers"]},
        {"capabilities": ["ViewBase", "ViewBase"]},
        {"readOnly": True, "capabilities": ["ViewBase", "ManageEndpoint"]},
        {"expiry": 3599},
        {"expiry": 7 * 24 * 3600 + 1},
        {"expiry": 0},
        {"featureFlags": []},
        {"featureFlags": ["bad flag"]},
        {"featureFlags": [f"f{i}" for i in range(26)]},
        {"sessionId": "has space"},
        {"sessionId": "x" * 65},
    ],
)
def test_options_svix_refuses_are_422(shop: Shop, body: dict[str, Any]) -> None:
    resp = shop.api.post(f"/api/v1/auth/app-portal-access/{shop.app_id}", json=body)
    assert resp.status_code == 422, (body, resp.text)


def test_expiry_at_the_ends_of_the_range_is_taken(shop: Shop, svix: Svix) -> None:
    for expiry in (3600, 7 * 24 * 3600):
        out = svix.authentication.app_portal_access(shop.app_id, AppPortalAccessIn(expiry=expiry))
        assert out.token.startswith("hlportal_")


def test_feature_flags_decide_which_event_types_the_portal_shows(shop: Shop, svix: Svix) -> None:
    svix.event_type.create(EventTypeIn(name="order.created", description="open"))
    svix.event_type.create(EventTypeIn(name="beta.thing", description="beta", feature_flags=["beta"]))
    svix.event_type.create(EventTypeIn(name="alpha.thing", description="alpha", feature_flags=["alpha"]))
    flagged = Portal(shop, svix, feature_flags=["beta"])
    page = flagged.get("/test").text
    assert "order.created" in page and "beta.thing" in page and "alpha.thing" not in page
    unflagged = Portal(shop, svix).get("/test").text
    assert "order.created" in unflagged and "beta.thing" not in unflagged and "alpha.thing" not in unflagged
    # a hidden event type can be neither sent nor subscribed to from the portal
    sent = flagged.post("/test", endpoint=shop.endpoint_id, event_type="alpha.thing", payload="{}")
    assert sent.status_code == 422
    saved = flagged.post(
        f"/endpoint/{shop.endpoint_id}", url=shop.receiver.url + "/hook", event_types="alpha.thing"
    )
    assert saved.status_code == 422
    assert svix.endpoint.get(shop.app_id, shop.endpoint_id).event_types is None
    ok = flagged.post(
        f"/endpoint/{shop.endpoint_id}", url=shop.receiver.url + "/hook", event_types="beta.thing"
    )
    assert ok.status_code == 303
    assert svix.endpoint.get(shop.app_id, shop.endpoint_id).event_types == ["beta.thing"]


def test_application_is_created_when_the_path_names_a_missing_one(shop: Shop, svix: Svix) -> None:
    out = svix.authentication.app_portal_access(
        "new-shop", AppPortalAccessIn(application=ApplicationIn(name="New shop", uid="new-shop"))
    )
    app = svix.application.get("new-shop")
    assert app.name == "New shop"
    with httpx.Client(follow_redirects=False, timeout=20) as browser:
        assert re.fullmatch(
            rf"/dashboard/p/hlpage_[\w-]+/{app.id}", open_portal(browser, out.url).headers["location"]
        )
    # the uid may be left out: the path's is taken
    svix.authentication.app_portal_access(
        "other-shop", AppPortalAccessIn(application=ApplicationIn(name="O"))
    )
    assert svix.application.get("other-shop").uid == "other-shop"


def test_application_is_ignored_when_the_application_exists(shop: Shop, svix: Svix) -> None:
    svix.authentication.app_portal_access(
        shop.app_id, AppPortalAccessIn(application=ApplicationIn(name="Renamed", uid="elsewhere"))
    )
    assert svix.application.get(shop.app_id).name == "Shop"
    with pytest.raises(HttpError) as err:
        svix.application.get("elsewhere")
    assert err.value.status_code == 404


def test_application_refused_when_its_uid_is_not_the_path(shop: Shop, svix: Svix) -> None:
    with pytest.raises(HTTPValidationError) as err:
        svix.authentication.app_portal_access(
            "wanted", AppPortalAccessIn(application=ApplicationIn(name="X", uid="different"))
        )
    assert err.value.detail[0].loc == ["body", "application", "uid"]
    with pytest.raises(HTTPValidationError):
        svix.authentication.app_portal_access(
            "app_2ZvQ6uRZ9hS5JwtYcVxXHSK6v8W", AppPortalAccessIn(application=ApplicationIn(name="X"))
        )
    for key in ("wanted", "different"):
        with pytest.raises(HttpError) as missing:
            svix.application.get(key)
        assert missing.value.status_code == 404


def test_a_missing_application_without_application_is_404(shop: Shop, svix: Svix) -> None:
    with pytest.raises(HttpError) as err:
        svix.authentication.app_portal_access("nobody", AppPortalAccessIn())
    assert err.value.status_code == 404


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"expiry": 3 * 24 * 3600}, 204),
        ({"expiry": 86401}, 204),
        ({"expiry": 3 * 24 * 3600 + 1}, 422),
        ({"expiry": -1}, 422),
        ({"sessionIds": ["user_1FB8", "a@b"]}, 204),
        ({"sessionIds": ["has space"]}, 422),
        ({"sessionIds": ["x" * 65]}, 422),
        ({"sessionIds": [f"s{i}" for i in range(1001)]}, 422),
    ],
)
def test_expire_all_takes_svix_range(shop: Shop, body: dict[str, Any], status: int) -> None:
    resp = shop.api.post(f"/api/v1/auth/app/{shop.app_id}/expire-all", json=body)
    assert resp.status_code == status, (body, resp.text)


def test_expire_all_with_three_days_keeps_a_link_working_until_then(shop: Shop, svix: Svix) -> None:
    portal = Portal(shop, svix)
    shop.api.post(f"/api/v1/auth/app/{shop.app_id}/expire-all", json={"expiry": 3 * 24 * 3600})
    assert portal.get("").status_code == 200
    shop.api.post(f"/api/v1/auth/app/{shop.app_id}/expire-all", json={"expiry": 0})
    assert portal.get("").status_code == 403
