"""`hookline serve` as a newcomer meets it: settings checked first, the port taken before anything is
written, what it says on start, `--dev`, Ctrl-C during a slow delivery. Real processes, free ports."""

from __future__ import annotations

import asyncio
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.delivery.helpers import wait_until
from tests.delivery.processes import ServeProcess, hookline_env, run_cli
from tests.support.servers import HooklineServer, RecordingReceiver

TOKEN = "tok_first_hour_0123456789abcdefghijklmnopqrstuv"
BAD_URLS = {
    "misspelt scheme": "sqllite:///x.db",
    "path under a file": "sqlite:///{tmp}/a-file/x.db",
    "a directory": "sqlite:///{tmp}",
}
DATABASE_COMMANDS = [
    ["serve"], ["worker"], ["migrate"], ["token", "list"], ["token", "create", "--name", "ci"],
    ["token", "revoke", "tok_x"],
]  # fmt: skip


@pytest.fixture
def servers() -> Iterator[list[ServeProcess]]:
    """Every `hookline serve` a test starts, stopped at its end."""
    started: list[ServeProcess] = []
    yield started
    for server in started:
        server.stop()


def _serve(servers: list[ServeProcess], cwd: Path, *args: str, **settings: str) -> ServeProcess:
    server = ServeProcess(cwd, **settings)
    servers.append(server)
    return server.start(args=args)


# every command that opens the database with one bad URL, and serve with every kind
CASES = [(c, "path under a file") for c in DATABASE_COMMANDS] + [
    (["serve"], bad) for bad in BAD_URLS if bad != "path under a file"
]


@pytest.mark.parametrize(("command", "bad"), CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_a_database_url_hookline_cannot_open_is_one_line_and_exit_2(
    command: list[str], bad: str, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    url = BAD_URLS[bad].format(tmp=tmp_path)
    before = sorted(tmp_path.iterdir())
    result = run_cli(*command, cwd=tmp_path, HOOKLINE_DATABASE_URL=url)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: HOOKLINE_DATABASE_URL (or --database): "), lines
    assert result.stdout == ""
    assert sorted(tmp_path.iterdir()) == before, "nothing is created"


def test_a_port_in_use_is_one_line_naming_it_and_nothing_is_written(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", str(port), cwd=tmp_path)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stderr.strip() == (
        f"error: port {port} on 127.0.0.1 is already in use (by another hookline serve?): "
        "choose another with --port or HOOKLINE_PORT"
    )
    assert result.stdout == "", "no banner, no generated token"
    assert list(tmp_path.iterdir()) == [], "no database was created"


def test_port_0_listens_on_a_free_port_and_prints_it(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "hookline.cli", "serve", "--port", "0"],
        cwd=tmp_path,
        env=hookline_env(HOOKLINE_DATABASE_URL=f"sqlite:///{tmp_path / 'h.db'}"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        match = re.match(r"hookline http://127\.0\.0\.1:(\d+) ", line)
        assert match and int(match.group(1)) != 0, line
        url = f"http://127.0.0.1:{match.group(1)}/api/v1/health"
        wait_until(lambda: _answers(url), timeout=30, what=f"{url} to answer")
    finally:
        child.send_signal(signal.SIGTERM)
        child.wait(30)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 204
    except httpx.TransportError:
        return False


def test_the_first_start_says_it_created_the_database_and_later_ones_do_not(
    servers: list[ServeProcess], tmp_path: Path
) -> None:
    db = tmp_path / "fresh.db"
    first = _serve(servers, tmp_path, HOOKLINE_DATABASE_URL=f"sqlite:///{db}", HOOKLINE_API_TOKEN=TOKEN)
    assert f"created a new database: {db}" in first.output
    assert f"dashboard {first.url}/dashboard" in first.output
    first.stop()
    again = _serve(servers, tmp_path, HOOKLINE_DATABASE_URL=f"sqlite:///{db}", HOOKLINE_API_TOKEN=TOKEN)
    assert "created a new database" not in again.output


def test_a_second_serve_on_the_same_sqlite_file_says_it_joins_the_first(
    servers: list[ServeProcess], tmp_path: Path, receiver: RecordingReceiver
) -> None:
    settings = {
        "HOOKLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'shared.db'}",
        "HOOKLINE_API_TOKEN": TOKEN,
        "HOOKLINE_ALLOWED_TARGETS": "127.0.0.0/8",
    }
    first = _serve(servers, tmp_path, **settings)
    assert "joining" not in first.output
    second = _serve(servers, tmp_path, **settings)
    assert first.proc is not None
    assert f"joining hookline process {first.proc.pid} on the same database file" in second.output
    # both serve the same data: what one accepted, the other lists and delivers
    auth = {"authorization": f"Bearer {TOKEN}"}
    httpx.post(f"{first.url}/api/v1/app", json={"name": "a", "uid": "a"}, headers=auth).raise_for_status()
    httpx.post(
        f"{first.url}/api/v1/app/a/endpoint", json={"url": receiver.url + "/in"}, headers=auth
    ).raise_for_status()
    httpx.post(f"{second.url}/api/v1/app/a/msg", json={"eventType": "x", "payload": {}}, headers=auth)
    receiver.wait_for(1)
    assert len(httpx.get(f"{first.url}/api/v1/app/a/msg", headers=auth).json()["data"]) == 1


def test_serve_dev_prints_working_credentials_and_lets_webhooks_reach_this_machine(
    servers: list[ServeProcess], tmp_path: Path, receiver: RecordingReceiver
) -> None:
    # no HOOKLINE_ALLOWED_TARGETS, no token, no key: --dev provides them
    server = _serve(servers, tmp_path, "--dev", HOOKLINE_DATABASE_URL=f"sqlite:///{tmp_path / 'dev.db'}")
    out = server.output
    assert f"dashboard:  {server.url}/dashboard" in out
    assert "webhooks may reach: 127.0.0.0/8, ::1/128" in out
    export = next(line for line in out.splitlines() if line.strip().startswith("export "))
    values = dict(word.split("=", 1) for word in shlex.split(export)[1:])
    assert values["HOOKLINE_SERVER"] == server.url
    assert f"API token:  {values['HOOKLINE_API_TOKEN']}" in out
    api = {"authorization": f"Bearer {values['HOOKLINE_API_TOKEN']}"}
    httpx.post(f"{server.url}/api/v1/app", json={"name": "d", "uid": "d"}, headers=api).raise_for_status()
    httpx.post(
        f"{server.url}/api/v1/app/d/endpoint", json={"url": receiver.url + "/dev"}, headers=api
    ).raise_for_status()
    httpx.post(f"{server.url}/api/v1/app/d/msg", json={"eventType": "x", "payload": {"n": 1}}, headers=api)
    assert receiver.wait_for(1)[0].path == "/dev"
    identity = {"authorization": f"Bearer {values['HOOKLINE_SECRET_KEY']}"}
    assert httpx.get(f"{server.url}/v1/users", headers=identity).status_code == 200


def test_serve_dev_refuses_an_interface_other_than_loopback(tmp_path: Path) -> None:
    result = run_cli("serve", "--dev", "--host", "0.0.0.0", "--port", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "error: --dev serves on this machine only: '0.0.0.0' is not a loopback interface"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_browser_opening_the_servers_address_goes_to_the_dashboard(hookline_server: HooklineServer) -> None:
    page = httpx.get(hookline_server.url + "/", headers={"accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 303 and page.headers["location"] == "/dashboard/"
    followed = httpx.get(hookline_server.url + "/", headers={"accept": "text/html"}, follow_redirects=True)
    assert followed.status_code == 200 and followed.url.path == "/dashboard/sign-in"
    program = httpx.get(hookline_server.url + "/")
    assert program.status_code == 200
    assert program.json() == {
        "name": "hookline",
        "dashboard": "/dashboard/",
        "api": "/api/v1",
        "openapi": "/api/v1/openapi.json",
    }


def _stall_first_delivery(receiver: RecordingReceiver, release: threading.Event) -> threading.Event:
    """The receiver holds the first request until ``release`` is set and answers later ones at once;
    the event returned is set when the first request arrives (the receiver records it only once answered)."""
    seen: list[Any] = []
    arrived = threading.Event()

    async def handler(_: Any) -> int:
        seen.append(1)
        arrived.set()
        deadline = time.monotonic() + 60
        while len(seen) == 1 and not release.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return 200

    receiver.handler = handler
    return arrived


@pytest.mark.parametrize("process", ["serve", "worker"])
def test_ctrl_c_says_what_it_waits_for_and_a_second_one_quits_at_once(
    process: str, servers: list[ServeProcess], tmp_path: Path, receiver: RecordingReceiver
) -> None:
    settings = {
        "HOOKLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'slow.db'}",
        "HOOKLINE_API_TOKEN": TOKEN,
        "HOOKLINE_ALLOWED_TARGETS": "127.0.0.0/8",
        "HOOKLINE_REQUEST_TIMEOUT": "60",
        "HOOKLINE_LEASE_SECONDS": "2",
    }
    release = threading.Event()
    arrived = _stall_first_delivery(receiver, release)
    children: list[subprocess.Popen[str]] = []
    try:
        api = _serve(servers, tmp_path, *(["--no-worker"] if process == "worker" else []), **settings)
        lines = api.lines
        child = api.proc
        if process == "worker":
            child = _worker(tmp_path, settings)
            children.append(child)
            lines = []
            _read_lines(child, lines)
        assert child is not None
        auth = {"authorization": f"Bearer {TOKEN}"}
        httpx.post(f"{api.url}/api/v1/app", json={"name": "s", "uid": "s"}, headers=auth).raise_for_status()
        httpx.post(
            f"{api.url}/api/v1/app/s/endpoint", json={"url": receiver.url + "/slow"}, headers=auth
        ).raise_for_status()
        sent = httpx.post(f"{api.url}/api/v1/app/s/msg", json={"eventType": "x", "payload": {}}, headers=auth)
        msg_id = sent.json()["id"]
        assert arrived.wait(30), "the delivery did not start"

        child.send_signal(signal.SIGINT)
        wait_until(
            lambda: "waiting for 1 delivery in flight to finish" in "".join(lines),
            timeout=15,
            what="the notice",
        )
        assert "Press Ctrl-C again to quit now" in "".join(lines)
        started = time.monotonic()
        child.send_signal(signal.SIGINT)
        assert child.wait(10) == 130
        assert time.monotonic() - started < 5, "the second Ctrl-C does not wait for the delivery"
        wait_until(
            lambda: "will be sent again once their lease ends" in "".join(lines), what="the last words"
        )

        # the delivery cut off is sent again once its lease ends, by whichever process claims it next
        if process == "serve":
            _serve(servers, tmp_path, **settings)
        else:
            children.append(_worker(tmp_path, settings))
        # the stalled first request is answered once the second arrives: both are recorded then
        again = receiver.wait_for(2, timeout=30)
        assert [r.headers["webhook-id"] for r in again] == [msg_id, msg_id]
    finally:
        release.set()
        for proc in children:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)


def _worker(cwd: Path, settings: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "hookline.cli", "worker"],
        cwd=cwd, env=hookline_env(**settings), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _read_lines(proc: subprocess.Popen[str], into: list[str]) -> None:
    """Collect ``proc``'s output lines into ``into`` as they come, in a thread."""

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            into.append(line)

    threading.Thread(target=read, daemon=True).start()
