"""Relay channels over real HTTP: creation, unguessable tokens, 404/401/413/502, smee format, expiry, restarts."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import pytest

from hookline.relay.channels import CHANNEL_TTL_SECONDS, Channels, ingress_token
from hookline.store.store import Store
from tests.relay.conftest import new_channel
from tests.support.servers import HooklineServer

MIB = 1024 * 1024


def test_creating_a_channel_needs_the_api_token(hookline_server: HooklineServer) -> None:
    assert httpx.post(f"{hookline_server.url}/relay/channels").status_code == 401
    bad = httpx.post(f"{hookline_server.url}/relay/channels", headers={"authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json()["code"] == "authentication_failed"


def test_channel_tokens_are_long_random_and_distinct(
    hookline_server: HooklineServer, api: httpx.Client
) -> None:
    channels = [new_channel(api) for _ in range(20)]
    tokens = {c["token"] for c in channels} | {c["listenToken"] for c in channels}
    assert len(tokens) == 40
    assert all(len(t) >= 32 for t in tokens)  # 32 random bytes, URL-safe base64
    channel = new_channel(api)
    assert channel["url"] == f"{hookline_server.url}/relay/in/{channel['token']}"
    assert channel["listenUrl"] == f"{hookline_server.url}/relay/listen/{channel['listenToken']}"


def test_unknown_token_is_404_for_ingress_stream_and_replies(hookline_server: HooklineServer) -> None:
    base = f"{hookline_server.url}/relay/in/{'x' * 43}"
    assert httpx.post(base, content=b"{}").status_code == 404
    listen = f"{hookline_server.url}/relay/listen/{'x' * 43}"
    assert httpx.get(listen).status_code == 404
    reply = httpx.post(f"{listen}/replies/rreq_x.1", json={"status": 200})
    assert reply.status_code == 404 and reply.json()["code"] == "not_found"


def test_no_listener_answers_502_so_the_sender_retries(api: httpx.Client) -> None:
    resp = httpx.post(new_channel(api)["url"], content=b'{"a":1}')
    assert resp.status_code == 502 and resp.json()["code"] == "no_listener"


def test_body_over_one_mebibyte_is_413_and_one_mebibyte_is_taken(api: httpx.Client) -> None:
    url = new_channel(api)["url"]
    over = httpx.post(url, content=b"x" * (MIB + 1), timeout=30)
    assert over.status_code == 413 and over.json()["code"] == "payload_too_large"

    def chunks():  # no content-length: the limit holds while streaming too
        for _ in range(17):
            yield b"y" * (64 * 1024)

    assert httpx.post(url, content=chunks(), timeout=30).status_code == 413
    assert httpx.post(url, content=b"x" * MIB, timeout=30).status_code == 502  # accepted, nobody listening


def test_reply_for_nothing_waiting_is_404_and_malformed_reply_is_422(api: httpx.Client) -> None:
    url = new_channel(api)["listenUrl"]
    assert httpx.post(f"{url}/replies/rreq_unknown.1", json={"status": 200}).status_code == 404
    assert httpx.post(f"{url}/replies/rreq_unknown.1", json={"status": 99}).status_code == 422
    assert httpx.post(f"{url}/replies/rreq_unknown.1", content=b"not json").status_code == 422


def _read_events(url: str, ready: threading.Event, out: list[tuple[str, str]], stop_after: int) -> None:
    with httpx.stream("GET", url, timeout=30) as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        name = "message"
        for line in resp.iter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                if name == "ready":
                    ready.set()
                else:
                    out.append((name, line[5:].strip()))
                    if len(out) >= stop_after:
                        return
            elif line == "":
                name = "message"


def test_smee_event_format_matches_smee_io(api: httpx.Client) -> None:
    """What smee.io sends: headers flattened as keys, plus body (parsed), query and timestamp."""
    channel = new_channel(api)
    url = channel["url"]
    events: list[tuple[str, str]] = []
    ready = threading.Event()
    reader = threading.Thread(target=_read_events, args=(channel["listenUrl"], ready, events, 1), daemon=True)
    reader.start()
    assert ready.wait(20)
    before = int(time.time() * 1000)
    resp = httpx.post(
        url + "?x=1&y=z",
        content=b'{"a":[1,2],"b":"c"}',
        headers={"content-type": "application/json", "x-github-event": "push"},
        timeout=30,
    )
    assert resp.status_code == 202  # only smee-style listeners: broadcast, nobody answers
    reader.join(20)
    ((name, data),) = events
    event = json.loads(data)
    assert name == "message"  # unnamed events are what smee-client's onmessage takes
    assert event["body"] == {"a": [1, 2], "b": "c"}
    assert event["query"] == {"x": "1", "y": "z"}
    assert event["x-github-event"] == "push"
    assert event["content-type"] == "application/json"
    assert before <= event["timestamp"] <= int(time.time() * 1000)
    assert "transfer-encoding" not in event and "connection" not in event


def test_a_listener_that_goes_away_unanswered_gives_the_sender_502(api: httpx.Client) -> None:
    channel = new_channel(api)
    url = channel["url"]
    events: list[tuple[str, str]] = []
    ready = threading.Event()
    # a hookline-format listener that takes one request and disconnects without answering
    reader = threading.Thread(
        target=_read_events, args=(f"{channel['listenUrl']}?format=hookline", ready, events, 1), daemon=True
    )
    reader.start()
    assert ready.wait(20)
    resp = httpx.post(url, content=b"{}", timeout=30)
    assert resp.status_code == 502
    assert resp.json()["code"] == "local_app_unreachable"
    assert events[0][0] == "request"
    assert json.loads(events[0][1])["reply_path"].startswith("/relay/listen/")


def test_channel_survives_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'relay.db'}"
    first = HooklineServer(database_url=url).start()
    try:
        token = httpx.post(
            f"{first.url}/relay/channels", headers={"authorization": f"Bearer {first.token}"}
        ).json()["token"]
    finally:
        first.stop()
    second = HooklineServer(database_url=url).start()
    try:
        resp = httpx.post(f"{second.url}/relay/in/{token}", content=b"{}")
        assert resp.status_code == 502 and resp.json()["code"] == "no_listener"  # known, nobody listening
    finally:
        second.stop()


@pytest.mark.parametrize("idle_hours, alive", [(23.5, True), (24.5, False)])
async def test_channel_expires_after_24_hours_unused(
    database_url: str, idle_hours: float, alive: bool
) -> None:
    store = await Store.connect(database_url)
    try:
        channels = Channels(store.db)
        now = time.time()
        listen, _ = await channels.create(now - idle_hours * 3600)
        token = ingress_token(listen)
        assert (await channels.find(token, now) is not None) is alive
        assert (await channels.find_listening(listen, now) is not None) is alive
        assert await channels.find("unknown-" + token, now) is None
        # a use moves the expiry: found, touched, then alive a day after the touch
        if alive:
            found = await channels.find(token, now)
            assert found is not None
            await channels.touch(found, now)
            assert await channels.find(token, now + CHANNEL_TTL_SECONDS - 60) is not None
        # creating a channel forgets expired ones
        await channels.create(now + 2 * CHANNEL_TTL_SECONDS)
        async with store.db.reader() as c:
            rows = await c.fetchall("SELECT id FROM relay_channels")
        assert len(rows) == 1
    finally:
        await store.close()
