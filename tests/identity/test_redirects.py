"""``redirect_url`` on the hosted pages: an allow-list (this server, HOOKLINE_ALLOWED_REDIRECT_ORIGINS,
OAuth applications' redirect URIs), never an open redirect."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from clerk_backend_api import Clerk

from hookline.config import ConfigError, Settings
from hookline.identity.redirects import allowed_redirect, normalized_origin
from tests.identity.conftest import PASSWORD, create_user
from tests.identity.oauth_support import csrf
from tests.support import postgres
from tests.support.servers import HooklineServer

OWN = frozenset({"http://127.0.0.1:8071", "https://app.example.org"})
REGISTERED = {"https://rp.example.net/callback"}

# each of these would send a browser somewhere else than it looks, or run code
HOSTILE = [
    "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example", "/\t/evil.example", "/\n/evil.example",
    "https://evil.example", "https://app.example.org@evil.example", "https://app.example.org.evil.example/",
    "https://evil.example#@app.example.org", "https://evil.example\\@app.example.org", "https:evil.example",
    "http:/evil.example", "javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox", "ftp://app.example.org/", "https://user:pass@app.example.org/", "https://app.example.org:99999/",
    "http://app.example.org/", "https://rp.example.net/callback/other", "https://rp.example.net/callback?x=1",
    " https://app.example.org/", "https://app.example.org/\x00", "evil.example", "",
    "https://a;script-src*.example/", "https://ex\u0430mple.org/", "https://_evil.example/",
]  # fmt: skip
ALLOWED = [
    "/account", "/oauth/authorize?client_id=x&redirect_uri=https%3A%2F%2Frp.example.net%2Fcallback",
    "https://app.example.org/welcome?x=1#top", "HTTPS://APP.EXAMPLE.ORG/", "https://app.example.org:443/p",
    "http://127.0.0.1:8071/account", "https://rp.example.net/callback", "/%2F%2Fevil.example",
]  # fmt: skip


async def _registered(url: str) -> bool:
    return url in REGISTERED


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_redirects_are_refused(url: str) -> None:
    assert asyncio.run(allowed_redirect(url, OWN, _registered)) is None


@pytest.mark.parametrize("url", ALLOWED)
def test_allowed_redirects_are_followed_unchanged(url: str) -> None:
    assert asyncio.run(allowed_redirect(url, OWN, _registered)) == url


def test_origins_are_normalized() -> None:
    assert normalized_origin("HTTPS://Example.ORG:443/x") == "https://example.org"
    assert normalized_origin("http://[::1]:8080/") == "http://[::1]:8080"
    assert normalized_origin("https://a@b.example/") is None


def test_the_setting_takes_origins_only() -> None:
    env = {"HOOKLINE_ALLOWED_REDIRECT_ORIGINS": "https://app.example.org, http://localhost:3000/"}
    assert Settings.from_env(env).allowed_redirect_origins == (
        "https://app.example.org",
        "http://localhost:3000",
    )
    with pytest.raises(ConfigError, match="HOOKLINE_ALLOWED_REDIRECT_ORIGINS"):
        Settings.from_env({"HOOKLINE_ALLOWED_REDIRECT_ORIGINS": "https://app.example.org/path"})


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def redirect_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HooklineServer]:
    """hookline that may send browsers to https://app.example.org after signing in."""
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'hookline.db'}"
    else:
        schema, url = postgres.create_schema("hl_redirects")
    s = HooklineServer(
        database_url=url, extra_settings={"allowed_redirect_origins": ("https://app.example.org",)}
    ).start()
    yield s
    s.stop()
    if schema:
        postgres.drop_schema(schema)


def _sign_in(http: httpx.Client, redirect_url: str) -> httpx.Response:
    page = http.get("/sign-in", params={"redirect_url": redirect_url})
    assert page.status_code == 200, page.text
    return http.post("/sign-in", data={"csrf": csrf(page), "email_address": "ada@example.org", "password": PASSWORD,
                                       "redirect_url": redirect_url})  # fmt: skip


def test_sign_in_goes_on_to_an_allowed_redirect(redirect_server: HooklineServer) -> None:
    with Clerk(bearer_auth=redirect_server.secret_key, server_url=redirect_server.url + "/v1") as clerk:
        create_user(clerk)
        clerk.oauth_applications.create(
            request={"name": "RP", "redirect_uris": ["https://rp.example.net/cb"]}
        )
    with httpx.Client(base_url=redirect_server.url) as http:
        done = _sign_in(http, "https://app.example.org/welcome")
        assert done.status_code == 303 and done.headers["location"] == "https://app.example.org/welcome"
        # already signed in: straight on
        again = http.get("/sign-in", params={"redirect_url": "https://rp.example.net/cb"})
        assert again.status_code == 303 and again.headers["location"] == "https://rp.example.net/cb"
        assert http.get("/sign-up", params={"redirect_url": "/account"}).headers["location"] == "/account"


@pytest.mark.parametrize("url", ["//evil.example", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
                                 "https://app.example.org@evil.example/", "https://rp.example.net/other"])  # fmt: skip
def test_a_refused_redirect_is_a_400_page_and_never_followed(
    redirect_server: HooklineServer, url: str
) -> None:
    with Clerk(bearer_auth=redirect_server.secret_key, server_url=redirect_server.url + "/v1") as clerk:
        create_user(clerk)
    with httpx.Client(base_url=redirect_server.url) as http:
        for path in ("/sign-in", "/sign-up"):
            page = http.get(path, params={"redirect_url": url})
            assert page.status_code == 400 and "location" not in page.headers and "not allowed" in page.text
        form = http.get("/sign-in")
        done = http.post("/sign-in", data={"csrf": csrf(form), "email_address": "ada@example.org", "password": PASSWORD,
                                           "redirect_url": url})  # fmt: skip
        assert done.status_code == 400 and "location" not in done.headers
