"""Clerk's Backend API SDK against ``/v1/oauth_applications``: create, list, get, update, delete, rotate."""

from __future__ import annotations

import httpx
import pytest
from clerk_backend_api import Clerk, models

from tests.support.servers import HooklineServer


def test_create_answers_with_clerks_fields_and_the_secret_once(clerk: Clerk, server: HooklineServer) -> None:
    app = clerk.oauth_applications.create(
        request={
            "name": "Notes",
            "redirect_uris": ["https://notes.example.org/callback"],
            "scopes": "openid email",
        }
    )
    assert (
        app.id.startswith("oa_") and app.object == models.OAuthApplicationWithSecretObject.OAUTH_APPLICATION
    )
    assert app.client_secret and len(app.client_secret) == 32 and len(app.client_id) == 16
    assert app.redirect_uris == ["https://notes.example.org/callback"]
    assert (app.scopes, app.public, app.pkce_required, app.consent_screen_enabled) == (
        "openid email", False, False, True,
    )  # fmt: skip
    assert app.authorize_url == server.url + "/oauth/authorize"
    assert app.token_fetch_url == server.url + "/oauth/token"
    assert app.user_info_url == server.url + "/oauth/userinfo"
    assert app.discovery_url == server.url + "/.well-known/openid-configuration"
    assert app.token_introspection_url == server.url + "/oauth/token_info"
    got = clerk.oauth_applications.get(oauth_application_id=app.id)
    assert got.client_id == app.client_id and got.created_at == app.created_at
    assert "client_secret" not in got.model_dump()


def test_public_clients_need_pkce_and_have_no_secret(clerk: Clerk) -> None:
    app = clerk.oauth_applications.create(
        request={"name": "SPA", "public": True, "redirect_uris": ["http://localhost:3000/cb"]}
    )
    assert app.public and app.pkce_required and not app.client_secret
    with pytest.raises(models.ClerkErrors) as exc:
        clerk.oauth_applications.rotate_secret(oauth_application_id=app.id)
    assert exc.value.raw_response.status_code == 403


def test_list_pages_orders_and_filters_by_name(clerk: Clerk) -> None:
    ids = [clerk.oauth_applications.create(request={"name": n}).id for n in ("Beta", "alpha", "Gamma")]
    listed = clerk.oauth_applications.list()
    assert listed.total_count == 3 and [a.id for a in listed.data] == ids
    assert [a.name for a in clerk.oauth_applications.list(order_by="-name").data] == [
        "Gamma",
        "Beta",
        "alpha",
    ]
    assert [a.id for a in clerk.oauth_applications.list(order_by="-created_at", limit=2, offset=1).data] == [
        ids[1], ids[0],
    ]  # fmt: skip
    found = clerk.oauth_applications.list(name_query="AMM")
    assert [a.name for a in found.data] == ["Gamma"] and found.total_count == 1
    with pytest.raises(models.ClerkErrors):
        clerk.oauth_applications.list(order_by="secret")


def test_update_rotate_and_delete(clerk: Clerk, backend: httpx.Client) -> None:
    app = clerk.oauth_applications.create(request={"name": "Old"})
    updated = clerk.oauth_applications.update(
        oauth_application_id=app.id, name="New", redirect_uris=["com.example.notes:/cb"], consent_screen_enabled=False,
        pkce_required=True, scopes="profile",
    )  # fmt: skip
    assert (updated.name, updated.redirect_uris, updated.consent_screen_enabled, updated.pkce_required, updated.scopes) == (
        "New", ["com.example.notes:/cb"], False, True, "profile",
    )  # fmt: skip
    rotated = clerk.oauth_applications.rotate_secret(oauth_application_id=app.id)
    assert rotated.client_secret and rotated.client_secret != app.client_secret
    deleted = clerk.oauth_applications.delete(oauth_application_id=app.id)
    assert deleted.deleted and deleted.id == app.id
    with pytest.raises(models.ClerkErrors) as exc:
        clerk.oauth_applications.get(oauth_application_id=app.id)
    assert exc.value.raw_response.status_code == 404
    assert backend.delete(f"/oauth_applications/{app.id}").status_code == 404


@pytest.mark.parametrize(
    "uri",
    ["javascript:alert(1)", "data:text/html,x", "https://a.example/cb#frag", "https://user@a.example/cb",
     "//evil.example/cb", "/relative/cb", "https://a.example\\@evil.example/cb", "myapp:/cb", "https://a.example/\tcb",
     "http://", "https://a;script-src*.example/cb", 42],
)  # fmt: skip
def test_dangerous_redirect_uris_are_refused(backend: httpx.Client, uri: object) -> None:
    r = backend.post("/oauth_applications", json={"name": "x", "redirect_uris": [uri]})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["meta"]["param_name"] == "redirect_uris"


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": "x" * 257}, {"name": "x", "scopes": "openid admin"}, {"name": "x", "public": "yes"},
     {"name": "x", "client_uri": "https://a.example"}, {"name": "x", "redirect_uris": "https://a.example/cb"}],
)  # fmt: skip
def test_bad_bodies_get_a_422_naming_the_parameter(backend: httpx.Client, body: dict[str, object]) -> None:
    r = backend.post("/oauth_applications", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["code"].startswith("form_param")
