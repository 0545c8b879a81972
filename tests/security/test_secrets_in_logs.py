"""Secrets never reach the logs: a server with every logger at DEBUG (access log included) goes through
endpoint secrets, rotation, custom headers, deliveries that succeed and fail, the identity service's
passwords and session tokens, portal links and dashboard sign-in; then its log records, stdout and
stderr are searched for every secret, token and password used."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.portal import open_portal
from tests.support.servers import HooklineServer, RecordingReceiver

LOGGERS = ["", "hookline", "uvicorn", "uvicorn.error", "uvicorn.access", "aiohttp", "aiosqlite", "fastapi"]


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(("httpx", "httpcore")):
            return  # the test's own HTTP client, which sends the secrets on purpose
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name} {record.levelname} {text}")


@pytest.fixture
def debug_logs() -> Iterator[Capture]:
    capture = Capture()
    saved = {name: logging.getLogger(name).level for name in LOGGERS}
    logging.getLogger().addHandler(capture)
    yield capture
    for name in ("", "uvicorn", "uvicorn.access"):
        logging.getLogger(name).removeHandler(capture)
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def _all_debug(capture: Capture) -> None:
    # uvicorn configures its loggers when the server is made (dropping handlers added before), and
    # they do not propagate to the root logger: listen on them too, from now on
    for name in ("uvicorn", "uvicorn.access"):
        logging.getLogger(name).addHandler(capture)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
        logging.getLogger(name).disabled = False


def test_no_secret_reaches_the_logs(
    tmp_path: Path, debug_logs: Capture, capfd: pytest.CaptureFixture[str]
) -> None:
    receiver = RecordingReceiver().start()
    receiver.handler = lambda rec: 500 if rec.path == "/fail" else 200
    server = HooklineServer(database_url=f"sqlite:///{tmp_path / 'logs.db'}").start()
    _all_debug(debug_logs)  # after uvicorn configured its loggers
    secrets: dict[str, str] = {"api token": server.token, "identity secret key": server.secret_key}
    try:
        secrets.update(_exercise(server, receiver))
    finally:
        server.stop()
        receiver.stop()
    out, err = capfd.readouterr()
    text = "\n".join([*debug_logs.lines, out, err])
    assert len(debug_logs.lines) > 10, "the logs were not captured"
    assert any(line.startswith("uvicorn.access") for line in debug_logs.lines), "no access log captured"
    assert any("portal" in what for what in secrets) and any("password" in what for what in secrets)
    print(f"searched {len(text):,} characters of logs for {len(secrets)} secrets: {sorted(secrets)}")
    found = {what: value for what, value in secrets.items() if value and value in text}
    assert found == {}, "\n".join(
        line for line in text.splitlines() if any(v in line for v in found.values())
    )


def _exercise(server: HooklineServer, receiver: RecordingReceiver) -> dict[str, str]:
    """Use every secret-bearing feature once; return the secrets that went by."""
    used: dict[str, str] = {}
    endpoint_secret = "whsec_" + base64.b64encode(b"log-test-endpoint-secret-32bytes").decode()
    rotated = "whsec_" + base64.b64encode(b"log-test-rotated-secret-32-bytes").decode()
    used["endpoint secret"] = endpoint_secret
    used["endpoint key bytes (base64)"] = endpoint_secret.removeprefix("whsec_")
    used["rotated secret"] = rotated
    used["custom header value"] = "Bearer hdr-log-test-9b1f0c"
    used["wrong api token"] = "testsk_wrong_token_for_log_scan_4d2a"
    admin = httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {server.token}"})
    ident = httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {server.secret_key}"})
    with admin, ident:
        app = admin.post("/api/v1/app", json={"name": "logs"}).json()["id"]
        ep = admin.post(
            f"/api/v1/app/{app}/endpoint",
            json={"url": f"{receiver.url}/ok", "secret": endpoint_secret,
                  "headers": {"authorization": used["custom header value"]}},
        ).json()  # fmt: skip
        bad = admin.post(f"/api/v1/app/{app}/endpoint", json={"url": f"{receiver.url}/fail"}).json()
        used["generated endpoint secret"] = admin.get(
            f"/api/v1/app/{app}/endpoint/{bad['id']}/secret"
        ).json()["key"]
        for i in range(3):
            admin.post(f"/api/v1/app/{app}/msg", json={"eventType": "user.created", "payload": {"i": i}})
        receiver.wait_for(3, path="/ok")
        receiver.wait_for(6, path="/fail")
        admin.post(f"/api/v1/app/{app}/endpoint/{ep['id']}/secret/rotate", json={"key": rotated})
        admin.post(
            f"/api/v1/app/{app}/msg", json={"eventType": "user.created", "payload": {"after": "rotate"}}
        )
        receiver.wait_for(4, path="/ok")
        httpx.get(f"{server.url}/api/v1/app", headers={"authorization": f"Bearer {used['wrong api token']}"})

        portal = admin.post(f"/api/v1/auth/app-portal-access/{app}", json={}).json()
        used["portal token"] = portal["token"]
        with httpx.Client(base_url=server.url) as browser:
            page = open_portal(browser, portal["url"]).headers["location"]  # /dashboard/p/{page key}/{app}
            used["portal page key"] = page.split("/")[3]
            browser.get(page)  # the access log writes the path of every request
            browser.get(page + "/messages")
            r = browser.post("/dashboard/sign-in", data={"token": server.token, "next": "/dashboard/"})
            used.update(_cookies("dashboard cookie", browser.cookies))
            browser.post("/dashboard/sign-in", data={"token": used["wrong api token"]})

        used.update(_identity(server, ident))
        assert r.status_code in (200, 303)
    return used


def _cookies(label: str, jar: Any) -> dict[str, str]:
    return {f"{label} {name}": value for name, value in jar.items() if len(value) >= 16}


def _identity(server: HooklineServer, ident: httpx.Client) -> dict[str, str]:
    used = {"user password": "Log-scan-Pa55word-1", "end-user password": "Log-scan-Pa55word-2",
            "wrong password": "Log-scan-wrong-Pa55-3"}  # fmt: skip
    user = ident.post(
        "/v1/users", json={"email_address": ["admin-logs@example.com"], "password": used["user password"]}
    )
    if user.status_code >= 300:  # identity not installed in this build
        return {}
    user_id = user.json()["id"]
    ident.post(f"/v1/users/{user_id}/verify_password", json={"password": used["user password"]})
    ident.post(f"/v1/users/{user_id}/verify_password", json={"password": used["wrong password"]})
    with httpx.Client(base_url=server.url, headers={"origin": server.url}) as browser:
        up = browser.post("/identity/sign_up", json={"email_address": "enduser-logs@example.com",
                                                       "password": used["end-user password"]})  # fmt: skip
        if up.status_code < 300:
            used.update(_cookies("identity cookie", browser.cookies))
            browser.post("/identity/token")
            browser.post("/identity/sign_out")
        browser.post("/identity/sign_in", json={"identifier": "enduser-logs@example.com",
                                                 "password": used["wrong password"]})  # fmt: skip
        browser.post("/identity/sign_in", json={"identifier": "enduser-logs@example.com",
                                                 "password": used["end-user password"]})  # fmt: skip
        used.update(_cookies("identity cookie (2nd)", browser.cookies))
    session = ident.post("/v1/sessions", json={"user_id": user_id})
    if session.status_code < 300:
        tok = ident.post(f"/v1/sessions/{session.json()['id']}/tokens")
        if tok.status_code < 300:
            used["session token"] = tok.json().get("jwt", "")
    return used
