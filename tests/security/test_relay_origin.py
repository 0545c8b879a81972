"""The relay answers on hookline's own origin: a listener's reply can neither set cookies nor run script
there, the server's own credentials never reach a listener, and an ingress URL cannot attach one."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from hookline.relay.hub import Hub, HubFull, ListenerKind, Outcome
from hookline.relay.messages import RelayedRequest, Reply
from tests.relay.conftest import new_channel
from tests.relay.procs import ListenProcess
from tests.support.servers import HooklineServer

HOSTILE_REPLY = {
    "status": 200,
    "headers": [
        ["Content-Type", "text/html; charset=utf-8"],
        ["Set-Cookie", "hookline_dashboard=attacker; Path=/"],
        ["Location", "https://evil.example/"],
        ["Access-Control-Allow-Origin", "*"],
        ["Webhook-Delivery", "abort-message"],
        ["X-Accel-Redirect", "/internal/secrets"],
        ["X-Request-Id", "req_1"],
    ],
    "body": base64.b64encode(b"<script>fetch('/dashboard/').then(r=>r.text())</script>").decode(),
    "error": None,
    "duration_ms": 1.0,
}


class RawListener:
    """A hookline-format listener in a thread: records each request and posts ``reply(event)`` back."""

    def __init__(self, base: str, listen_url: str, reply: Callable[[dict[str, Any]], Any]) -> None:
        self.base = base
        self.url = f"{listen_url}?format=hookline"
        self.reply = reply
        self.events: list[dict[str, Any]] = []
        self.reply_status: list[int] = []
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> RawListener:
        self.thread.start()
        assert self.ready.wait(20), "the listener did not connect"
        return self

    def _run(self) -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server stops while the stream is open
            self._listen()

    def _listen(self) -> None:
        name = "message"
        with httpx.stream("GET", self.url, timeout=30) as resp:
            for line in resp.iter_lines():
                if line.startswith("event:"):
                    name = line.split(":", 1)[1].strip()
                elif line.startswith("data:"):
                    if name == "ready":
                        self.ready.set()
                    elif name == "request":
                        event = json.loads(line[5:])
                        self.events.append(event)
                        posted = httpx.post(
                            self.base + event["reply_path"], json=self.reply(event), timeout=30
                        )
                        self.reply_status.append(posted.status_code)
                        return
                elif line == "":
                    name = "message"


@pytest.fixture
def api(hookline_server: HooklineServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=hookline_server.url, headers={"authorization": f"Bearer {hookline_server.token}"}, timeout=30
    ) as client:
        yield client


def test_a_listener_reply_cannot_set_cookies_or_run_script_on_the_server_origin(
    hookline_server: HooklineServer, api: httpx.Client
) -> None:
    channel = new_channel(api)
    listener = RawListener(hookline_server.url, channel["listenUrl"], lambda _: HOSTILE_REPLY).start()
    resp = httpx.post(channel["url"], content=b"csrf=1", headers={"content-type": "text/plain"}, timeout=30)
    assert resp.status_code == 200
    assert "set-cookie" not in resp.headers and "location" not in resp.headers
    assert "access-control-allow-origin" not in resp.headers and "x-accel-redirect" not in resp.headers
    assert resp.headers["x-request-id"] == "req_1"  # a local app's own diagnostics pass
    assert resp.headers["content-type"].startswith("text/plain")
    assert "sandbox" in resp.headers["content-security-policy"]
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["webhook-delivery"] == "abort-message"  # what senders act on still passes
    assert resp.content.startswith(b"<script>")  # the body is relayed as it was, as inert text
    listener.thread.join(10)


def test_a_json_reply_keeps_its_content_type(hookline_server: HooklineServer, api: httpx.Client) -> None:
    channel = new_channel(api)
    reply = {"status": 201, "headers": [["Content-Type", "application/json"]], "body": "e30="}
    RawListener(hookline_server.url, channel["listenUrl"], lambda _: reply).start()
    resp = httpx.post(channel["url"], content=b"{}", timeout=30)
    assert resp.status_code == 201 and resp.headers["content-type"] == "application/json"
    assert resp.json() == {}


def test_server_cookies_and_credentials_are_not_forwarded_to_listeners(
    hookline_server: HooklineServer, api: httpx.Client
) -> None:
    channel = new_channel(api)
    listener = RawListener(hookline_server.url, channel["listenUrl"], lambda _: {"status": 204}).start()
    httpx.post(
        channel["url"],
        content=b"{}",
        headers={
            "cookie": "hookline_dashboard=session-value; __client=sess_1.secret; theme=dark",
            "authorization": f"Bearer {hookline_server.token}",
        },
        timeout=30,
    )
    headers = {k.lower(): v for k, v in listener.events[0]["headers"]}
    assert headers["cookie"] == "theme=dark"
    assert "authorization" not in headers
    # a sender's own credential for its webhooks is part of the request and passes
    second = RawListener(hookline_server.url, channel["listenUrl"], lambda _: {"status": 204}).start()
    httpx.post(channel["url"], content=b"{}", headers={"authorization": "Basic dXNlcjpwYXNz"}, timeout=30)
    assert ["authorization", "Basic dXNlcjpwYXNz"] in [[k.lower(), v] for k, v in second.events[0]["headers"]]


def test_the_ingress_url_cannot_attach_a_listener(hookline_server: HooklineServer, api: httpx.Client) -> None:
    channel = new_channel(api)
    assert channel["listenToken"] != channel["token"]
    assert httpx.get(channel["url"], timeout=10).status_code == 405
    assert httpx.get(f"{hookline_server.url}/relay/listen/{channel['token']}", timeout=10).status_code == 404


def test_a_reply_header_with_cr_lf_is_refused(hookline_server: HooklineServer, api: httpx.Client) -> None:
    channel = new_channel(api)
    bad = {"status": 200, "headers": [["X-Ok", "a\r\nSet-Cookie: x=1"]], "body": ""}
    listener = RawListener(hookline_server.url, channel["listenUrl"], lambda _: bad).start()
    resp = httpx.post(channel["url"], content=b"{}", timeout=40)
    listener.thread.join(10)
    assert listener.reply_status == [422]
    assert resp.status_code in (502, 504) and "set-cookie" not in resp.headers


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_sender_of_a_failed_relay_sees_no_local_details(hookline_server: HooklineServer) -> None:
    port = _dead_port()
    target = f"http://127.0.0.1:{port}/private/hook"
    listener = ListenProcess(hookline_server.url, hookline_server.token, target).start()
    try:
        resp = httpx.post(listener.url, content=b"{}", timeout=40)
        assert resp.status_code == 502 and resp.json()["code"] == "local_app_unreachable"
        assert str(port) not in resp.text and "private/hook" not in resp.text and "127.0.0.1" not in resp.text
        shown = listener.next_forwarded()
        assert str(port) in (shown["error"] or "")  # the developer sees the reason on their machine
    finally:
        listener.stop()


def test_a_channel_takes_a_bounded_number_of_listeners(
    hookline_server: HooklineServer, api: httpx.Client
) -> None:
    channel = new_channel(api)
    RawListener(hookline_server.url, channel["listenUrl"], lambda _: {"status": 204}).start()
    hookline_server.app.state.relay.hub.max_listeners = 1
    resp = httpx.get(channel["listenUrl"], timeout=10)
    assert resp.status_code == 429 and resp.json()["code"] == "too_many_listeners"


async def test_queued_bytes_are_capped_per_listener_and_per_channel() -> None:
    hub = Hub(listener_bytes=3000, channel_bytes=5000)
    slow = hub.subscribe("chn_1", ListenerKind.SMEE)
    request = RelayedRequest("POST", "", (), b"x" * 1000)
    for _ in range(3):
        assert await hub.relay("chn_1", request, 1) is Outcome.BROADCAST
    assert slow.queued_bytes <= 3000  # the fourth is not queued for a listener that does not read
    await hub.relay("chn_1", request, 1)
    assert slow.queue.qsize() == 3
    hub.subscribe("chn_1", ListenerKind.SMEE)
    with pytest.raises(HubFull):
        for _ in range(5):
            await hub.relay("chn_1", request, 1)
    assert hub.queued_bytes("chn_1") <= 5000
    got = await asyncio.wait_for(slow.next(), 1)
    assert got is not None and slow.queued_bytes < 3000


def test_a_reply_is_checked_when_read() -> None:
    with pytest.raises(ValueError, match="control character"):
        Reply.from_json({"status": 200, "headers": [["X", "a\nb"]], "body": ""})
    with pytest.raises(ValueError, match="header name"):
        Reply.from_json({"status": 200, "headers": [["Bad Name", "v"]], "body": ""})
