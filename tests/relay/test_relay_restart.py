"""`hookline serve` as a real process: exiting with a listener connected, restarting, the listener coming back."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.relay.procs import ROOT, ListenProcess, LocalApp, cli_env, wait_http
from tests.support.servers import free_port

TOKEN = "hl_relay_restart_test_token_0123456789"


def _serve(db: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "hookline.cli", "serve", "--port", str(port), "--database", f"sqlite:///{db}"],
        env=cli_env(HOOKLINE_API_TOKEN=TOKEN, HOOKLINE_SECRET_KEY="sk_test_relay_restart"),
        cwd=ROOT,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    wait_http(f"http://127.0.0.1:{port}/api/v1/health")
    return proc


def test_server_exits_cleanly_with_a_listener_connected_and_the_listener_returns_after_a_restart(
    tmp_path: Path, local_app: LocalApp
) -> None:
    port = free_port()
    db, log = tmp_path / "relay.db", tmp_path / "serve.log"
    server = _serve(db, port, log)
    listener = ListenProcess(f"http://127.0.0.1:{port}", TOKEN, f"{local_app.url}/echo").start()
    try:
        assert httpx.post(listener.url, content=b"{}", timeout=30).status_code == 201
        server.send_signal(signal.SIGINT)
        assert server.wait(60) in (0, 130)  # 130: interrupted, as a shell reports Ctrl-C
        # the open event stream was ended, not cancelled after the graceful-shutdown timeout
        text = log.read_text()
        assert "graceful shutdown exceeded" not in text and "Traceback" not in text, text
        server = _serve(db, port, log)
        # the channel is in the database and the listener reconnects on its own: senders get 502
        # (no listener yet) until it is back, then the local app's answer
        deadline = time.time() + 30
        while (status := httpx.post(listener.url, content=b"{}", timeout=30).status_code) == 502:
            assert time.time() < deadline, "the listener did not come back"
            time.sleep(0.1)
        assert status == 201
    finally:
        listener.stop()
        server.terminate()
        server.wait(30)
