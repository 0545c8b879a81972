"""Endpoint URLs: spaces and control characters are refused with a 422 naming the field; an
internationalized host is IDNA-encoded when saved, so it can be sent."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from hookline.delivery.target_url import normalize_url
from tests.support.servers import HooklineServer


@pytest.fixture
def api(hookline_server: HooklineServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=hookline_server.url, headers={"authorization": f"Bearer {hookline_server.token}"}, timeout=20
    ) as client:
        assert client.post("/api/v1/app", json={"name": "a", "uid": "a"}).status_code == 201
        yield client


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a b",
        "https://example.com/\x01x",
        "https://exa mple.com/",
        "https://example.com/\t",
    ],
)
def test_spaces_and_control_characters_are_refused_naming_the_field(api: httpx.Client, url: str) -> None:
    resp = api.post("/api/v1/app/a/endpoint", json={"url": url})
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["body", "url"]
    ep = api.post("/api/v1/app/a/endpoint", json={"url": "https://example.com/ok"}).json()
    patched = api.patch(f"/api/v1/app/a/endpoint/{ep['id']}", json={"url": url})
    assert patched.status_code == 422 and patched.json()["detail"][0]["loc"] == ["body", "url"]


def test_an_internationalized_host_is_idna_encoded(api: httpx.Client) -> None:
    resp = api.post("/api/v1/app/a/endpoint", json={"url": "https://bücher.example/wëbhook?x=ü"})
    assert resp.status_code == 201, resp.text
    assert resp.json()["url"] == "https://xn--bcher-kva.example/w%C3%ABbhook?x=%C3%BC"
    assert resp.json()["url"].isascii()


def test_normalized_urls_keep_what_was_already_ascii() -> None:
    assert normalize_url("https://example.com/a%20b?x=1&y=2") == "https://example.com/a%20b?x=1&y=2"
    assert normalize_url("https://ÉXAMPLE.com:8443/") == "https://xn--xample-9ua.com:8443/"
