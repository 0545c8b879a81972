"""The whole OpenID Connect flow in headless Chromium: sign in (or sign up), consent, back to the client;
the code is exchanged with Authlib's client and the ID token verified against the discovery JWKS.

The client's callback is a real server on another origin, so the browser really leaves hookline (and the
pages' CSP ``form-action``, which browsers check at every redirect after a form, is put to the test).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from clerk_backend_api import Clerk

from tests.conftest import in_ci
from tests.identity.conftest import PASSWORD, create_user
from tests.identity.oauth_support import make_app
from tests.support.servers import HooklineServer

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists() and not in_ci():
    pytest.skip(
        f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests", allow_module_level=True
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e .[dev])"
)


@pytest.fixture
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def server(sqlite_url: str) -> Iterator[HooklineServer]:
    """The browser flows run on SQLite; the HTTP tests cover both backends."""
    s = HooklineServer(database_url=sqlite_url).start()
    yield s
    s.stop()


class Callback:
    """The relying party's redirect URI: a real HTTP server on another origin that records what it gets."""

    def __init__(self) -> None:
        seen = self.seen = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.startswith("/callback"):
                    seen.append(self.path)
                body = b"<h1 id='rp'>Back at the client</h1>"
                self.send_response(200)
                self.send_header("content-type", "text/html")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/callback"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()


@pytest.fixture
def callback() -> Iterator[Callback]:
    c = Callback()
    yield c
    c.http.shutdown()
    c.http.server_close()


class Client:
    """A browser page, watching for Content-Security-Policy complaints."""

    def __init__(self, chromium: Any, callback: Callback) -> None:
        self.context = chromium.new_context()
        self.page = self.context.new_page()
        self.callback = callback
        self.console: list[str] = []
        self.page.on("console", lambda m: self.console.append(m.text))

    @property
    def callbacks(self) -> list[str]:
        return self.callback.seen

    def landed(self) -> str:
        self.page.wait_for_selector("#rp", timeout=15000)
        assert self.callbacks, "the browser never reached the client's callback"
        assert not [c for c in self.console if "Content Security Policy" in c], self.console
        return self.page.url


def _verify(server: HooklineServer, id_token: str, client_id: str, nonce: str) -> dict[str, Any]:
    meta = httpx.get(server.url + "/.well-known/openid-configuration").json()
    key = jwt.PyJWKClient(meta["jwks_uri"]).get_signing_key_from_jwt(id_token)
    claims = jwt.decode(id_token, key.key, algorithms=["RS256"], audience=client_id, issuer=meta["issuer"])
    assert claims["nonce"] == nonce
    return claims


def _clerk(server: HooklineServer) -> Clerk:
    return Clerk(bearer_auth=server.secret_key, server_url=server.url + "/v1")


def test_confidential_client_with_consent_in_a_browser(
    server: HooklineServer, chromium: Any, callback: Callback
) -> None:
    with _clerk(server) as clerk:
        app = make_app(clerk, consent_screen_enabled=True, redirect_uris=[callback.url])
        user = create_user(clerk)
    meta = httpx.get(server.url + "/.well-known/openid-configuration").json()
    nonce = secrets.token_urlsafe(12)
    browser = Client(chromium, callback)
    with OAuth2Client(
        app.client_id, app.client_secret, scope="openid profile email", redirect_uri=callback.url
    ) as rp:
        url, state = rp.create_authorization_url(meta["authorization_endpoint"], nonce=nonce)
        browser.page.goto(url)
        browser.page.fill("#email_address", "ada@example.org")
        browser.page.fill("#password", PASSWORD)
        browser.page.click("button[type=submit]")
        browser.page.wait_for_selector("#allow")
        assert "Relying Party" in browser.page.inner_text("h1")
        browser.page.click("#allow")
        callback = browser.landed()
        token = rp.fetch_token(meta["token_endpoint"], authorization_response=callback)
    claims = _verify(server, token["id_token"], app.client_id, nonce)
    assert claims["sub"] == user.id and claims["email"] == "ada@example.org"
    assert f"state={state}" in callback


def test_public_client_with_pkce_signs_a_new_user_up_in_a_browser(
    server: HooklineServer, chromium: Any, callback: Callback
) -> None:
    with _clerk(server) as clerk:
        app = make_app(clerk, public=True, redirect_uris=[callback.url])
    meta = httpx.get(server.url + "/.well-known/openid-configuration").json()
    nonce = secrets.token_urlsafe(12)
    verifier = secrets.token_urlsafe(48)
    browser = Client(chromium, callback)
    with OAuth2Client(app.client_id, scope="openid email", redirect_uri=callback.url, code_challenge_method="S256",
                      token_endpoint_auth_method="none") as rp:  # fmt: skip
        url, _ = rp.create_authorization_url(
            meta["authorization_endpoint"], nonce=nonce, code_verifier=verifier
        )
        assert "code_challenge=" in url
        browser.page.goto(url)
        browser.page.click("text=Sign up")
        browser.page.fill("#email_address", "grace@example.org")
        browser.page.fill("#password", PASSWORD)
        browser.page.fill("#first_name", "Grace")
        browser.page.click("button[type=submit]")
        callback = browser.landed()
        token = rp.fetch_token(
            meta["token_endpoint"], authorization_response=callback, code_verifier=verifier
        )
    claims = _verify(server, token["id_token"], app.client_id, nonce)
    assert claims["email"] == "grace@example.org"
    # signed in now: a second authorization (prompt=login aside) goes straight back to the client
    browser.page.goto(rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier)[0])
    browser.landed()
    assert len(browser.callbacks) == 2
    # prompt=login shows the sign-in form again, and after it the client gets its code
    browser.page.goto(
        rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, prompt="login")[0]
    )
    browser.page.fill("#email_address", "grace@example.org")
    browser.page.fill("#password", PASSWORD)
    browser.page.click("button[type=submit]")
    assert "code=" in browser.landed() and len(browser.callbacks) == 3
