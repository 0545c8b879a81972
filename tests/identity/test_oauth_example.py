"""The example app (examples/oidc_sign_in) on a free port: it signs a user in with hookline and then
receives hookline's webhooks about that user."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
import uvicorn
from clerk_backend_api import Clerk
from svix.api import EndpointIn, Svix, SvixOptions

from tests.identity.conftest import PASSWORD, create_user
from tests.identity.oauth_support import csrf
from tests.support.servers import HooklineServer, free_port

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "oidc_sign_in" / "app.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("oidc_sign_in_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def server(sqlite_url: str) -> Iterator[HooklineServer]:
    """The example runs against hookline on SQLite; the provider's HTTP tests cover both backends."""
    s = HooklineServer(database_url=sqlite_url).start()
    yield s
    s.stop()


@pytest.fixture
def example(server: HooklineServer) -> Iterator[str]:
    """The example served by uvicorn, registered as an OAuth application and a webhook endpoint."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with Clerk(bearer_auth=server.secret_key, server_url=server.url + "/v1") as clerk:
        app = clerk.oauth_applications.create(request={"name": "Example", "redirect_uris": [url + "/callback"],
                                                       "scopes": "openid profile email"})  # fmt: skip
        clerk.webhooks.create_svix_app()
    svix = Svix(server.token, SvixOptions(server_url=server.url))
    endpoint = svix.endpoint.create("identity", EndpointIn(url=url + "/webhooks/clerk"))
    secret = svix.endpoint.get_secret("identity", endpoint.id).key
    svix._httpx_client.close()
    module = load_example()
    config = module.Config(server.url, app.client_id, app.client_secret, url, secret)
    rp = module.create_app(config)
    uv = uvicorn.Server(uvicorn.Config(rp, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not uv.started:
        assert time.time() < deadline, "the example did not start"
        time.sleep(0.02)
    yield url
    uv.should_exit = True
    thread.join(10)


def test_the_example_signs_in_with_hookline_and_hears_its_webhooks(
    server: HooklineServer, example: str
) -> None:
    url = example
    with Clerk(bearer_auth=server.secret_key, server_url=server.url + "/v1") as clerk:
        user = create_user(clerk)
        with httpx.Client() as browser:
            assert "Sign in with hookline" in browser.get(url + "/").text
            to_hookline = browser.get(url + "/login")
            assert to_hookline.status_code == 303
            to_sign_in = browser.get(to_hookline.headers["location"])
            assert to_sign_in.status_code == 303
            form = browser.get(server.url + to_sign_in.headers["location"])
            redirect_url = httpx.URL(form.url).params["redirect_url"]
            back = browser.post(server.url + "/sign-in", data={"csrf": csrf(form), "email_address": "ada@example.org",
                                                               "password": PASSWORD, "redirect_url": redirect_url})  # fmt: skip
            consent = browser.get(server.url + back.headers["location"])
            assert consent.status_code == 200 and "Example wants to access your account" in consent.text
            to_client = browser.post(str(consent.url), data={"csrf": csrf(consent), "decision": "allow"})
            assert to_client.status_code == 303 and to_client.headers["location"].startswith(
                url + "/callback?"
            )
            home = browser.get(to_client.headers["location"], follow_redirects=True)
            assert home.status_code == 200, home.text
            assert "Signed in as ada@example.org (Ada)" in home.text
            # a profile change reaches the example as a webhook, and the page follows it
            clerk.users.update(user_id=user.id, first_name="Augusta")
            deadline = time.time() + 15
            while "Augusta" not in browser.get(url + "/").text:
                assert time.time() < deadline, browser.get(url + "/events").json()
                time.sleep(0.05)
    types = {e["type"] for e in browser_events(url)}
    assert {"user.created", "session.created", "user.updated"} <= types


def browser_events(url: str) -> list[dict[str, str]]:
    return httpx.get(url + "/events").json()
