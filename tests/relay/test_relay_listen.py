"""`hookline listen` as a real process: engine → relay → listen → local FastAPI app, and back."""

from __future__ import annotations

import base64
import time

import httpx

from tests.relay.conftest import SECRET, endpoint_to
from tests.relay.procs import ListenProcess, LocalApp
from tests.support.servers import HooklineServer, free_port


def _attempts(api: httpx.Client, app_uid: str, ep_id: str, count: int) -> list[dict]:
    deadline = time.time() + 20
    while True:
        data = api.get(f"/api/v1/app/{app_uid}/attempt/endpoint/{ep_id}").json()["data"]
        if len(data) >= count:
            return data
        assert time.time() < deadline, data
        time.sleep(0.05)


def test_signed_delivery_reaches_the_local_app_through_listen_and_verifies(
    hookline_server: HooklineServer, api: httpx.Client, local_app: LocalApp
) -> None:
    listener = ListenProcess(
        hookline_server.url, hookline_server.token, f"{local_app.url}/api/webhooks"
    ).start()
    try:
        assert listener.url.startswith(f"{hookline_server.url}/relay/in/")
        ep_id = endpoint_to(api, "relay-app", listener.url)
        sent = api.post(
            "/api/v1/app/relay-app/msg", json={"eventType": "user.created", "payload": {"id": "u1"}}
        )
        assert sent.status_code == 202
        got = local_app.wait_received(1)
        assert got[0]["event"] == {"id": "u1"}
        assert got[0]["id"] == sent.json()["id"]
        forwarded = listener.next_forwarded()
        assert forwarded["status"] == 204 and forwarded["method"] == "POST"
        assert forwarded["path"] == "/api/webhooks" and forwarded["reported"] is True
        # the engine recorded what the local app answered, relayed back through the ingress
        attempt = _attempts(api, "relay-app", ep_id, 1)[0]
        assert attempt["responseStatusCode"] == 204 and attempt["status"] == 0
    finally:
        listener.stop()


def test_method_headers_query_and_body_bytes_arrive_exactly(
    hookline_server: HooklineServer, local_app: LocalApp
) -> None:
    listener = ListenProcess(hookline_server.url, hookline_server.token, f"{local_app.url}/echo").start()
    try:
        body = bytes(range(256)) * 3
        resp = httpx.put(
            f"{listener.url}?a=1&b=two",
            content=body,
            headers={"content-type": "application/octet-stream", "x-custom": "Value  with  spaces"},
            timeout=30,
        )
        assert resp.status_code == 201
        assert resp.headers["x-echo"] == "1"
        echoed = resp.json()
        assert echoed["method"] == "PUT"
        assert echoed["query"] == "a=1&b=two"
        assert base64.b64decode(echoed["body"]) == body
        headers = dict(echoed["headers"])
        assert headers["x-custom"] == "Value  with  spaces"
        assert headers["content-type"] == "application/octet-stream"
        assert "user-agent" in headers and "python-httpx" in headers["user-agent"]
    finally:
        listener.stop()


def test_local_app_down_answers_502_and_the_retry_succeeds_once_it_is_up(
    hookline_server: HooklineServer,
) -> None:
    app = LocalApp(SECRET, port=free_port())
    listener = ListenProcess(hookline_server.url, hookline_server.token, f"{app.url}/api/webhooks").start()
    try:
        from hookline.signing import Webhook

        body = b'{"type":"user.created","data":{"id":"user_1"}}'
        ts = int(time.time())
        sig = Webhook(SECRET).sign("msg_relay1", ts, body)
        headers = {"webhook-id": "msg_relay1", "webhook-timestamp": str(ts), "webhook-signature": sig}
        down = httpx.post(listener.url, content=body, headers=headers, timeout=30)
        assert down.status_code == 502
        assert down.json()["code"] == "local_app_unreachable"
        failed = listener.next_forwarded()
        assert failed["status"] is None and failed["error"]
        app.start()
        up = httpx.post(listener.url, content=body, headers=headers, timeout=30)
        assert up.status_code == 204
        assert up.headers["x-local-app"] == "yes"
        assert app.wait_received(1)[0]["event"] == {"type": "user.created", "data": {"id": "user_1"}}
    finally:
        listener.stop()
        app.stop()


def test_listen_reuses_a_channel_given_with_channel(
    hookline_server: HooklineServer, api: httpx.Client, local_app: LocalApp
) -> None:
    channel = api.post("/relay/channels").json()
    listener = ListenProcess(
        hookline_server.url,
        hookline_server.token,
        f"{local_app.url}/echo",
        extra=("--channel", channel["listenToken"]),
    ).start()
    try:
        assert listener.url == channel["url"]
        assert httpx.post(listener.url, content=b"{}", timeout=30).status_code == 201
    finally:
        listener.stop()


def test_concurrent_requests_each_get_their_own_answer(
    hookline_server: HooklineServer, local_app: LocalApp
) -> None:
    import concurrent.futures

    listener = ListenProcess(hookline_server.url, hookline_server.token, f"{local_app.url}/echo").start()
    try:

        def one(n: int) -> tuple[int, bytes]:
            resp = httpx.post(f"{listener.url}?n={n}", content=f"body-{n}".encode(), timeout=30)
            return resp.status_code, base64.b64decode(resp.json()["body"])

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            results = list(pool.map(one, range(40)))
        assert results == [(201, f"body-{n}".encode()) for n in range(40)]
    finally:
        listener.stop()


def test_relay_round_trip_on_each_backend(any_server: HooklineServer, local_app: LocalApp) -> None:
    listener = ListenProcess(any_server.url, any_server.token, f"{local_app.url}/echo").start()
    try:
        assert httpx.post(listener.url, content=b"{}", timeout=30).status_code == 201
    finally:
        listener.stop()
