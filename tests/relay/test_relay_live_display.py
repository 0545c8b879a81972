"""`hookline listen` on a terminal (pexpect): the URL first, then a live line per request with status and duration."""

from __future__ import annotations

import re
import sys

import httpx
import pexpect

from tests.relay.procs import ROOT, LocalApp, cli_env
from tests.support.servers import HooklineServer, free_port


def _spawn(*args: str, token: str) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable,
        ["-m", "hookline.cli", *args],
        cwd=str(ROOT),
        env=cli_env(HOOKLINE_API_TOKEN=token, TERM="xterm-256color"),
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 160),
    )


def test_listen_shows_each_request_live_with_status_and_duration(
    hookline_server: HooklineServer, local_app: LocalApp
) -> None:
    child = _spawn(
        "listen", f"{local_app.url}/echo", "--server", hookline_server.url, token=hookline_server.token
    )
    try:
        child.expect(r"Forwarding (http://127\.0\.0\.1:\d+/relay/in/[A-Za-z0-9_-]+) → ")
        url = child.match.group(1)
        child.expect("connected")  # the live status line
        assert httpx.post(f"{url}?n=1", content=b"{}", timeout=30).status_code == 201
        child.expect(re.compile(r"POST\s+/echo\?n=1\s+201\s+\d+ ms"))
        assert httpx.delete(url, timeout=30).status_code == 201
        child.expect(re.compile(r"DELETE\s+/echo\s+201\s+\d+ ms"))
        child.expect("2 relayed")
    finally:
        child.sendintr()
        child.expect(pexpect.EOF)
        child.close()
    assert child.exitstatus == 0


def test_listen_shows_a_down_local_app_as_502_to_the_sender(hookline_server: HooklineServer) -> None:
    target = f"http://127.0.0.1:{free_port()}/api/webhooks"
    child = _spawn("listen", target, "--server", hookline_server.url, token=hookline_server.token)
    try:
        child.expect(r"Forwarding (http://\S+) → ")
        url = child.match.group(1)
        assert httpx.post(url, content=b"{}", timeout=30).status_code == 502
        child.expect(re.compile(r"POST\s+/api/webhooks\s+"))
        child.expect("ERR")  # bold, so escape codes may sit around it
        child.expect(re.compile(r"\d+ ms\s+http://127\.0\.0\.1:\d+/api/webhooks: .*sender got 502"))
    finally:
        child.sendintr()
        child.expect(pexpect.EOF)
        child.close()
