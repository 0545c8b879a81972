"""Policies on what may be stored or configured: field lengths as Clerk caps them, password strength
(zxcvbn), a strong HOOKLINE_API_TOKEN, and credentials in custom endpoint headers kept hidden."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from svix.api import ApplicationIn, EndpointHeadersIn, EndpointIn, Svix, SvixOptions

from hookline.config import ConfigError, Settings
from tests.support.servers import HooklineServer

PASSWORD = "correct horse battery staple 9"


@pytest.fixture
def backend(hookline_server: HooklineServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=hookline_server.url + "/v1",
        headers={"authorization": f"Bearer {hookline_server.secret_key}"},
        timeout=30,
    ) as client:
        yield client


def _code(resp: httpx.Response) -> str:
    return str(resp.json()["errors"][0]["code"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_name", "x" * 900_000),
        ("last_name", "y" * 257),
        ("external_id", "e" * 257),
        ("public_metadata", {"blob": "z" * 9000}),
    ],
)
def test_user_fields_are_capped(backend: httpx.Client, field: str, value: object) -> None:
    resp = backend.post(
        "/users", json={"email_address": ["ada@example.org"], "password": PASSWORD, field: value}
    )
    assert resp.status_code == 422 and resp.json()["errors"][0]["meta"]["param_name"] == field
    assert _code(resp) == "form_param_max_length_exceeded"
    assert backend.get("/users/count").json()["total_count"] == 0


def test_email_addresses_and_usernames_are_capped(
    hookline_server: HooklineServer, backend: httpx.Client
) -> None:
    long_email = "a" * 10_000 + "@example.org"
    assert (
        backend.post("/users", json={"email_address": [long_email], "password": PASSWORD}).status_code == 422
    )
    with httpx.Client(base_url=hookline_server.url) as http:
        signup = http.post("/identity/sign_up", json={"email_address": long_email, "password": PASSWORD})
        assert signup.status_code == 422
    short = backend.post("/users", json={"email_address": ["b@example.org"], "username": "ab"})
    assert short.status_code == 422 and _code(short) == "form_username_invalid_length"
    user = backend.post("/users", json={"email_address": ["c@example.org"], "password": PASSWORD}).json()
    patched = backend.patch(f"/users/{user['id']}", json={"first_name": "q" * 300})
    assert patched.status_code == 422
    meta = backend.patch(f"/users/{user['id']}/metadata", json={"private_metadata": {"k": "v" * 9000}})
    assert meta.status_code == 422


@pytest.mark.parametrize("password", ["Summer2024", "ilovecats", "12345678a", "qwertyuiop1"])
def test_common_passwords_are_refused(hookline_server: HooklineServer, password: str) -> None:
    with httpx.Client(base_url=hookline_server.url) as http:
        resp = http.post("/identity/sign_up", json={"email_address": "ada@example.org", "password": password})
    assert resp.status_code == 422
    assert _code(resp) in ("form_password_pwned", "form_password_not_strong_enough")


def test_a_password_made_of_the_users_own_details_is_weak(backend: httpx.Client) -> None:
    resp = backend.post(
        "/users",
        json={
            "email_address": ["grace.hopper@example.org"],
            "first_name": "Grace",
            "password": "gracehopper",
        },
    )
    assert resp.status_code == 422


@pytest.mark.parametrize("token", ["secret", "changeme-changeme-changeme-changeme", "a" * 64, "tok_prepared"])
def test_a_weak_api_token_is_refused_naming_the_setting(token: str) -> None:
    with pytest.raises(ConfigError, match="HOOKLINE_API_TOKEN"):
        Settings.from_env({"HOOKLINE_API_TOKEN": token})


def test_a_generated_api_token_is_strong_enough() -> None:
    from hookline.services.api_tokens import new_api_token

    token = new_api_token()
    assert Settings.from_env({"HOOKLINE_API_TOKEN": token}).api_token == token


def test_sensitive_endpoint_headers_are_listed_not_shown(hookline_server: HooklineServer) -> None:
    client = Svix(hookline_server.token, SvixOptions(server_url=hookline_server.url))
    app = client.application.create(ApplicationIn(name="Shop"))
    ep = client.endpoint.create(app.id, EndpointIn(url="https://example.com/hook"))
    client.endpoint.set_headers(
        app.id, ep.id, EndpointHeadersIn(headers={"Authorization": "Bearer s3cr3t", "X-Tenant": "acme"})
    )
    out = client.endpoint.get_headers(app.id, ep.id)
    client._httpx_client.close()
    assert out.headers == {"X-Tenant": "acme"}
    assert out.sensitive == ["Authorization"]


def test_the_dashboard_hides_sensitive_headers_and_keeps_them_on_save(
    hookline_server: HooklineServer,
) -> None:
    api = httpx.Client(
        base_url=hookline_server.url, headers={"authorization": f"Bearer {hookline_server.token}"}
    )
    app = api.post("/api/v1/app", json={"name": "Shop"}).json()["id"]
    ep = api.post(
        f"/api/v1/app/{app}/endpoint",
        json={"url": "https://example.com/hook", "headers": {"Authorization": "Bearer s3cr3t"}},
    ).json()["id"]
    with httpx.Client(base_url=hookline_server.url, follow_redirects=False) as browser:
        browser.post("/dashboard/sign-in", data={"token": hookline_server.token})
        page = browser.get(f"/dashboard/app/{app}/endpoint/{ep}")
        assert "s3cr3t" not in page.text and "Authorization: (hidden)" in page.text
        csrf = page.text.split('data-csrf="', 1)[1].split('"', 1)[0]
        saved = browser.post(
            f"/dashboard/app/{app}/endpoint/{ep}",
            data={
                "csrf": csrf,
                "url": "https://example.com/hook2",
                "headers": "Authorization: (hidden)\nX-A: 1",
            },
        )
        assert saved.status_code == 303
    stored = hookline_server.app.state.runtime.store
    endpoint = hookline_server.run(stored.get_endpoint(app, ep))
    api.close()
    assert endpoint.headers == {"Authorization": "Bearer s3cr3t", "X-A": "1"}
