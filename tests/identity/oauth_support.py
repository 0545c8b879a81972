"""Helpers for the OAuth provider tests: an application, a browser-like sign-in, a code from authorize."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from clerk_backend_api import Clerk

from tests.identity.conftest import PASSWORD, create_user

CALLBACK = "https://rp.example.org/callback"


def make_app(clerk: Clerk, **fields: Any) -> Any:
    """An OAuth application through the SDK (confidential, consent screen off unless asked)."""
    body = {"name": "Relying Party", "redirect_uris": [CALLBACK], "scopes": "openid profile email",
            "consent_screen_enabled": False, **fields}  # fmt: skip
    return clerk.oauth_applications.create(request=body)


def signed_in_browser(server_url: str, clerk: Clerk, email: str = "ada@example.org") -> httpx.Client:
    """A cookie-keeping client signed in through the hosted sign-in form (a user is made first)."""
    create_user(clerk, email)
    http = httpx.Client(base_url=server_url)
    page = http.get("/sign-in")
    http.post("/sign-in", data={"csrf": csrf(page), "email_address": email, "password": PASSWORD})
    assert "__client" in http.cookies
    return http


def csrf(page: httpx.Response) -> str:
    """The CSRF field of a hosted form."""
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def query(url: str) -> dict[str, str]:
    """A URL's query parameters (first values)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def authorize(http: httpx.Client, **params: str) -> httpx.Response:
    """GET /oauth/authorize without following the redirect."""
    return http.get("/oauth/authorize", params=params)
