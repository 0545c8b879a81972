"""The command line as users run it: ``hookline migrate`` and the API token ``hookline serve`` generates."""

from __future__ import annotations

import re
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.delivery.helpers import wait_until
from tests.delivery.processes import ServeProcess, run_cli


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_migrate_creates_the_schema_and_is_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    first = run_cli("migrate", cwd=tmp_path, HOOKLINE_DATABASE_URL=f"sqlite:///{db}")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("applied: ")
    assert "0001" in first.stdout
    created = tables(db)
    assert {"applications", "endpoints", "messages", "dispatches", "attempts", "schema_version"} <= created
    second = run_cli("migrate", "--database", f"sqlite:///{db}", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "schema is up to date"
    assert tables(db) == created


def test_serve_runs_on_a_database_migrate_prepared(tmp_path: Path) -> None:
    db = tmp_path / "prepared.db"
    assert run_cli("migrate", cwd=tmp_path, HOOKLINE_DATABASE_URL=f"sqlite:///{db}").returncode == 0
    server = ServeProcess(
        tmp_path,
        HOOKLINE_DATABASE_URL=f"sqlite:///{db}",
        HOOKLINE_API_TOKEN="tok_prepared_0123456789abcdefghijKLMN",
    )
    try:
        server.start()
        response = httpx.get(
            f"{server.url}/api/v1/app",
            headers={"authorization": "Bearer tok_prepared_0123456789abcdefghijKLMN"},
        )
        assert response.status_code == 200
    finally:
        server.stop()


def test_serve_listens_on_hookline_port_when_no_port_is_given(tmp_path: Path) -> None:
    server = ServeProcess(tmp_path, HOOKLINE_DATABASE_URL=f"sqlite:///{tmp_path / 'h.db'}")
    try:
        server.start(port_from_env=True)
        assert f"hookline http://127.0.0.1:{server.port} " in server.output
    finally:
        server.stop()


def test_serve_keeps_an_idle_connection_longer_than_client_pools_do(tmp_path: Path) -> None:
    # httpx (the svix SDK) reuses a connection idle for up to 5 s: the server must not close it first
    server = ServeProcess(tmp_path, HOOKLINE_DATABASE_URL=f"sqlite:///{tmp_path / 'h.db'}")
    request = b"GET /api/v1/health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n"
    try:
        server.start()
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as conn:
            for pause in (0, 6):
                time.sleep(pause)
                conn.sendall(request)
                assert conn.recv(4096).startswith(b"HTTP/1.1 204 "), f"no answer after {pause} s idle"
    finally:
        server.stop()


TOKEN_LINE = re.compile(r"generated API token.*?: (\S+)")


@pytest.fixture
def serve_without_token(tmp_path: Path) -> Iterator[ServeProcess]:
    server = ServeProcess(tmp_path, HOOKLINE_DATABASE_URL=f"sqlite:///{tmp_path / 'tokens.db'}")
    yield server
    server.stop()


def test_serve_generates_an_api_token_once_and_keeps_it(
    serve_without_token: ServeProcess, tmp_path: Path
) -> None:
    server = serve_without_token
    server.start()
    tokens = wait_until(lambda: TOKEN_LINE.findall(server.output), what="the generated token to be printed")
    assert len(tokens) == 1, server.output
    token = tokens[0]
    app = httpx.post(
        f"{server.url}/api/v1/app", json={"name": "Acme"}, headers={"authorization": f"Bearer {token}"}
    )
    assert app.status_code == 201
    assert (
        httpx.get(f"{server.url}/api/v1/app", headers={"authorization": "Bearer hl_guess"}).status_code == 401
    )
    server.stop()
    # only a digest is kept: the token itself is nowhere in the database files
    for path in tmp_path.glob("tokens.db*"):
        if path.is_file():  # not the directory of the wake-up sockets beside it
            assert token.encode() not in path.read_bytes()

    server.start()
    listed = httpx.get(f"{server.url}/api/v1/app", headers={"authorization": f"Bearer {token}"})
    assert listed.status_code == 200
    assert [a["id"] for a in listed.json()["data"]] == [app.json()["id"]]
    server.stop()  # all of its output is read
    assert "hookline http://" in server.output
    assert TOKEN_LINE.findall(server.output) == [], "a token is printed only on the start that created it"
    assert token not in server.output


def test_a_configured_api_token_is_used_and_none_is_generated(tmp_path: Path) -> None:
    server = ServeProcess(
        tmp_path,
        HOOKLINE_DATABASE_URL=f"sqlite:///{tmp_path / 'set.db'}",
        HOOKLINE_API_TOKEN="tok_from_env_0123456789abcdefghijKLMN",
    )
    try:
        server.start()
        assert "generated API token" not in server.output
        auth = {"authorization": "Bearer tok_from_env_0123456789abcdefghijKLMN"}
        assert httpx.get(f"{server.url}/api/v1/app", headers=auth).status_code == 200
    finally:
        server.stop()
