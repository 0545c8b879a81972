"""The guard at connect time: names resolving to internal addresses are refused, redirects never followed."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest
from aiohttp import web

from hookline.config import DeliverySettings, parse_networks
from hookline.delivery.sender import Sender
from hookline.signing import generate_secret
from tests.delivery.conftest import Running
from tests.delivery.fakedns import FakeResolver
from tests.delivery.helpers import operational_events, wait_until
from tests.support.servers import RecordingReceiver


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> FakeResolver:
    """Make every DNS lookup the delivery client does go to a table the test fills."""
    fake = FakeResolver()
    monkeypatch.setattr("hookline.delivery.guard.ThreadedResolver", lambda: fake)
    return fake


async def send_once(allowed: str, url: str) -> tuple[int, str]:
    async with Sender(DeliverySettings(allowed_targets=parse_networks(allowed), request_timeout=5)) as sender:
        result = await sender.send(url, "msg_guardtest", (generate_secret(),), '{"n":1}', {})
    return result.status_code, result.body


@pytest.mark.parametrize(("address", "kind"), [("127.0.0.1", "loopback"), ("10.0.0.1", "private")])
async def test_sender_refuses_a_name_resolving_to_an_internal_address(
    fake_dns: FakeResolver, receiver: RecordingReceiver, address: str, kind: str
) -> None:
    fake_dns.table["hooks.example.test"] = [address]
    status, body = await send_once("", f"http://hooks.example.test:{receiver.port}/hook")
    assert status == 0
    assert "refused" in body and kind in body
    assert fake_dns.asked == ["hooks.example.test"], "the name was resolved when connecting"
    assert receiver.requests == []


async def test_sender_reaches_the_same_name_once_its_address_is_allowed(
    fake_dns: FakeResolver, receiver: RecordingReceiver
) -> None:
    fake_dns.table["hooks.example.test"] = ["127.0.0.1"]
    status, _ = await send_once("127.0.0.0/8", f"http://hooks.example.test:{receiver.port}/hook")
    assert status == 200
    assert [r.path for r in receiver.requests] == ["/hook"]


async def test_sender_refuses_literal_internal_addresses_without_connecting(
    receiver: RecordingReceiver,
) -> None:
    for host in ("127.0.0.1", "2130706433", "127.1", "0x7f.1"):
        status, body = await send_once("", f"http://{host}:{receiver.port}/hook")
        assert status == 0 and "loopback" in body, host
    assert receiver.requests == []


def test_delivery_to_a_name_resolving_to_loopback_is_refused(
    start_server: Callable[..., Running], fake_dns: FakeResolver, receiver: RecordingReceiver
) -> None:
    fake_dns.table["hooks.example.test"] = ["127.0.0.1"]
    hl = start_server(allowed_targets="", retry_schedule=(0.05,))
    app_id = hl.api.create_app()
    # the name passes validation: only its resolved address is internal
    ep = hl.api.create_endpoint(app_id, f"http://hooks.example.test:{receiver.port}/hook")
    msg = hl.api.send(app_id)
    attempts = hl.api.wait_attempts(app_id, msg["id"], 2)
    for attempt in attempts:
        assert attempt["status"] == 2
        assert attempt["responseStatusCode"] == 0
        assert "loopback" in attempt["response"]
        assert attempt["endpointId"] == ep["id"]
    wait_until(
        lambda: operational_events(hl.database_url, "message.attempt.exhausted"), what="exhausted event"
    )
    assert receiver.requests == []


def test_delivery_to_a_name_resolving_to_a_private_address_is_refused(
    start_server: Callable[..., Running], fake_dns: FakeResolver
) -> None:
    fake_dns.table["intranet.example.test"] = ["10.20.30.40"]
    hl = start_server(allowed_targets="", retry_schedule=())
    app_id = hl.api.create_app()
    hl.api.create_endpoint(app_id, "http://intranet.example.test/hook")
    msg = hl.api.send(app_id)
    [attempt] = hl.api.wait_attempts(app_id, msg["id"], 1)
    assert attempt["responseStatusCode"] == 0
    assert "private" in attempt["response"] and "10.20.30.40" in attempt["response"]


def test_delivery_uses_only_the_allowed_addresses_of_a_name(
    start_server: Callable[..., Running], fake_dns: FakeResolver, receiver: RecordingReceiver
) -> None:
    # 10.x would swallow the connection; only 127.0.0.1 is allowed, so only it is tried
    fake_dns.table["hooks.example.test"] = ["10.255.255.1", "127.0.0.1"]
    hl = start_server(allowed_targets="127.0.0.0/8", retry_schedule=())
    app_id = hl.api.create_app()
    hl.api.create_endpoint(app_id, f"http://hooks.example.test:{receiver.port}/hook")
    msg = hl.api.send(app_id)
    [got] = receiver.wait_for(1)
    assert got.headers["webhook-id"] == msg["id"]
    [attempt] = hl.api.wait_attempts(app_id, msg["id"], 1)
    assert attempt["responseStatusCode"] == 200


def loopback_hostname() -> str | None:
    """This machine's name if the system resolver maps it to loopback (as /etc/hosts often does)."""
    name = socket.gethostname()
    try:
        infos = socket.getaddrinfo(name, 80, proto=socket.IPPROTO_TCP)
    except OSError:
        return None
    if infos and all(info[4][0].startswith("127.") or info[4][0] == "::1" for info in infos):
        return name
    return None


def test_delivery_to_a_real_name_of_this_machine_is_refused(
    start_server: Callable[..., Running], receiver: RecordingReceiver
) -> None:
    name = loopback_hostname()
    if name is None:
        pytest.skip("this machine's hostname does not resolve to loopback")
    hl = start_server(allowed_targets="", retry_schedule=())
    app_id = hl.api.create_app()
    hl.api.create_endpoint(app_id, f"http://{name}:{receiver.port}/hook")
    msg = hl.api.send(app_id)
    [attempt] = hl.api.wait_attempts(app_id, msg["id"], 1)
    assert attempt["responseStatusCode"] == 0
    assert "loopback" in attempt["response"]
    assert receiver.requests == []


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_are_not_followed(
    start_server: Callable[..., Running],
    receiver: RecordingReceiver,
    other_receiver: RecordingReceiver,
    status: int,
) -> None:
    receiver.handler = lambda rec: web.Response(
        status=status, headers={"Location": f"{other_receiver.url}/stolen"}
    )
    hl = start_server(retry_schedule=(0.05,))
    app_id = hl.api.create_app()
    hl.api.create_endpoint(app_id, f"{receiver.url}/hook")
    msg = hl.api.send(app_id)
    attempts = hl.api.wait_attempts(app_id, msg["id"], 2)
    assert [a["responseStatusCode"] for a in attempts] == [status, status]
    assert all(a["status"] == 2 for a in attempts), "a redirect is a failed attempt"
    wait_until(
        lambda: operational_events(hl.database_url, "message.attempt.exhausted"), what="exhausted event"
    )
    assert len(receiver.requests) == 2
    assert other_receiver.requests == []
