"""The private-network guard against forms of internal addresses that ``tests/delivery`` does not try:
NAT64 and Teredo wrappers, IPv6 spellings, IPv4-mapped IPv6 in hex and in upper case, names that
resolve to such addresses (through an injected resolver), and the API refusing them on every way an
endpoint's URL can be set (create, update, patch), with no allowed targets configured."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hookline.config import DeliverySettings
from hookline.delivery.guard import TargetGuard, UnsafeTargetError
from hookline.delivery.sender import Sender
from hookline.signing import generate_secret
from tests.delivery.fakedns import FakeResolver
from tests.scale.cluster import wait_http
from tests.support.servers import RecordingReceiver, free_port

TOKEN = "security_guard_token_0123456789_abcdefghij"

INTERNAL_LITERALS = [
    "0:0:0:0:0:0:0:1",  # ::1 written out
    "0000:0000:0000:0000:0000:0000:0000:0001",
    "::FFFF:127.0.0.1",  # mapped, upper case
    "::ffff:7f00:0001",  # mapped, hex words
    "::ffff:a9fe:a9fe",  # mapped 169.254.169.254 in hex
    "0:0:0:0:0:ffff:a00:1",  # mapped 10.0.0.1 written out
    "::ffff:100.64.0.1",  # mapped carrier-grade NAT
    "::ffff:0:a00:1",  # SIIT-translated 10.0.0.1
    "::127.0.0.1",  # IPv4-compatible
    "64:ff9b::a00:1",  # NAT64 well-known prefix wrapping 10.0.0.1
    "64:ff9b::7f00:1",  # NAT64 wrapping 127.0.0.1
    "64:ff9b:1::a9fe:a9fe",  # local-use NAT64 wrapping the metadata address
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "2002:a9fe:a9fe::1",  # 6to4 wrapping 169.254.169.254
    "fd12:3456:789a::1",  # unique local
    "ff05::1",  # site-local multicast
]


@pytest.mark.parametrize("address", INTERNAL_LITERALS)
def test_internal_ipv6_forms_are_refused_in_urls(address: str) -> None:
    with pytest.raises(UnsafeTargetError, match="HOOKLINE_ALLOWED_TARGETS"):
        TargetGuard().check_url(f"http://[{address}]:8080/hook")


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> FakeResolver:
    """Every lookup the delivery client makes goes to a table the test fills."""
    fake = FakeResolver()
    monkeypatch.setattr("hookline.delivery.guard.ThreadedResolver", lambda: fake)
    return fake


@pytest.mark.parametrize(
    "addresses",
    [
        ["::ffff:127.0.0.1"],  # an AAAA record holding a mapped loopback
        ["::ffff:10.0.0.7"],
        ["64:ff9b::a9fe:a9fe"],
        ["fd00::5"],
        ["::1", "::ffff:127.0.0.1", "127.0.0.1"],
    ],
)
async def test_names_resolving_to_internal_ipv6_forms_are_refused_at_connect(
    fake_dns: FakeResolver, receiver: RecordingReceiver, addresses: list[str]
) -> None:
    fake_dns.table["rebind.example.test"] = addresses
    async with Sender(DeliverySettings(request_timeout=5)) as sender:
        result = await sender.send(
            f"http://rebind.example.test:{receiver.port}/hook", "msg_guard", (generate_secret(),), "{}", {}
        )
    assert result.status_code == 0 and "refused" in result.body
    assert receiver.requests == []


async def test_a_name_that_changes_its_answer_is_checked_on_every_connection(
    fake_dns: FakeResolver, receiver: RecordingReceiver
) -> None:
    """DNS rebinding: the first answer is allowed, the next points inside; the second send is refused."""
    fake_dns.table["rebind.example.test"] = ["127.0.0.1"]
    settings = DeliverySettings(request_timeout=5, allowed_targets=(ipaddress.ip_network("127.0.0.1/32"),))
    url = f"http://rebind.example.test:{receiver.port}/hook"
    async with Sender(settings) as sender:
        first = await sender.send(url, "msg_1", (generate_secret(),), "{}", {})
    fake_dns.table["rebind.example.test"] = ["127.0.0.2"]
    async with Sender(settings) as sender:
        second = await sender.send(url, "msg_2", (generate_secret(),), "{}", {})
    assert first.status_code == 200
    assert second.status_code == 0 and "refused" in second.body
    assert len(receiver.requests) == 1


@pytest.fixture(scope="module")
def guarded_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``hookline serve`` with no allowed targets at all (the production default)."""
    tmp: Path = tmp_path_factory.mktemp("guard")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "HOOKLINE_ALLOWED_TARGETS"}
    env.update(HOOKLINE_DATABASE_URL=f"sqlite:///{tmp / 'guard.db'}", HOOKLINE_API_TOKEN=TOKEN)
    with open(tmp / "serve.out", "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "hookline.cli", "serve", "--port", str(port)],
                                env=env, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        asyncio.run(wait_http(f"http://127.0.0.1:{port}/api/v1/health"))
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(15)


INTERNAL_URLS = [
    "http://127.0.0.1/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:a9fe:a9fe]/latest/meta-data/",
    "http://[64:ff9b::a00:1]/",
    "http://0x7f.1/",
    "http://localhost./",
    "http://[fd00::1]/",
]


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_the_api_refuses_internal_urls_on_create_update_and_patch(guarded_api: str, url: str) -> None:
    with httpx.Client(base_url=guarded_api, headers={"authorization": f"Bearer {TOKEN}"}) as http:
        app = http.post("/api/v1/app", json={"name": "guard"}).json()["id"]
        base = f"/api/v1/app/{app}/endpoint"
        assert http.post(base, json={"url": url}).status_code == 422
        ep = http.post(base, json={"url": "https://example.com/hook"})
        assert ep.status_code == 201, ep.text
        ep_url = f"{base}/{ep.json()['id']}"
        assert http.put(ep_url, json={"url": url}).status_code == 422
        assert http.patch(ep_url, json={"url": url}).status_code == 422
        assert http.get(ep_url).json()["url"] == "https://example.com/hook"
