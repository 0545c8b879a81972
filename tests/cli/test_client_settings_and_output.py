"""Client commands as a newcomer meets them: where they find the server, errors that name the fix,
`--version`, help and output that piping does not wrap, `tail`'s reasons, `replay`'s waiting messages,
and token commands that do not create a database. Real `hookline` processes against a real server."""

from __future__ import annotations

import inspect
import json
import re
import time
from pathlib import Path

import httpx
import pytest
import typer
from aiohttp import web

import hookline
from hookline.cli import app
from hookline.cli.common import client_target, from_iso
from tests.relay.procs import cli_env, run_cli
from tests.support.servers import HooklineServer, RecordingReceiver, free_port


def piped_env(**extra: str) -> dict[str, str]:
    """A `hookline` child's environment as a pipe gives it: no COLUMNS to size its output by."""
    env = cli_env(**extra)
    env.pop("COLUMNS", None)
    return env


def _app_with_endpoint(server: HooklineServer, uid: str, url: str) -> str:
    auth = {"authorization": f"Bearer {server.token}"}
    httpx.post(f"{server.url}/api/v1/app", json={"name": uid, "uid": uid}, headers=auth).raise_for_status()
    endpoint = httpx.post(f"{server.url}/api/v1/app/{uid}/endpoint", json={"url": url}, headers=auth)
    return str(endpoint.raise_for_status().json()["id"])


def test_client_commands_find_the_server_from_hookline_host_and_port(
    hookline_server: HooklineServer, receiver: RecordingReceiver
) -> None:
    _app_with_endpoint(hookline_server, "hp", receiver.url + "/hp")
    for host in ("127.0.0.1", "0.0.0.0"):  # a server on every interface is reached on loopback
        env = cli_env(
            HOOKLINE_HOST=host,
            HOOKLINE_PORT=str(hookline_server.port),
            HOOKLINE_API_TOKEN=hookline_server.token,
        )
        result = run_cli("send", "--app", "hp", "-e", "a.b", "-d", "{}", env=env)
        assert result.returncode == 0, result.stderr
    receiver.wait_for(2)


def test_where_the_server_address_comes_from() -> None:
    assert client_target(None, None, {}).server == "http://127.0.0.1:8071"
    assert client_target(None, None, {}).server_from == "default"
    assert client_target(None, None, {"HOOKLINE_PORT": "9000"}).server == "http://127.0.0.1:9000"
    assert client_target(None, None, {"HOOKLINE_HOST": "::"}).server == "http://[::1]:8071"
    env = {"HOOKLINE_SERVER": "http://h:1/", "HOOKLINE_PORT": "9000", "HOOKLINE_API_TOKEN": "t"}
    target = client_target("http://h:1/", "t", env)
    assert (target.server, target.server_from, target.token_from) == (
        "http://h:1",
        "HOOKLINE_SERVER",
        "HOOKLINE_API_TOKEN",
    )
    assert client_target("http://other:2", "u", env).server_from == "--server"


@pytest.mark.parametrize(
    ("settings", "flags", "names"),
    [
        (
            {"HOOKLINE_PORT": "{port}"},
            [],
            "HOOKLINE_HOST/HOOKLINE_PORT: set HOOKLINE_SERVER or pass --server",
        ),
        ({"HOOKLINE_SERVER": "http://127.0.0.1:{port}"}, [], "The address comes from HOOKLINE_SERVER"),
        ({}, ["--server", "http://127.0.0.1:{port}"], "The address comes from --server"),
    ],
    ids=["host-port", "server-variable", "server-flag"],
)
@pytest.mark.parametrize(
    "command",
    [["send", "--app", "a", "-e", "x"], ["tail", "--count", "1"], ["listen", "http://127.0.0.1:9/x"]],
    ids=lambda c: c[0],
)
def test_an_unreachable_server_is_one_line_naming_the_setting_to_change(
    command: list[str], settings: dict[str, str], flags: list[str], names: str
) -> None:
    port = str(free_port())  # nothing listens there
    env = cli_env(**{k: v.format(port=port) for k, v in settings.items()})
    result = run_cli(*command, *(f.format(port=port) for f in flags), env=env)
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot reach http://127.0.0.1:{port}"), lines
    assert "is `hookline serve` running there?" in lines[0] and names in lines[0], lines[0]


@pytest.mark.parametrize(
    ("token_env", "token_flag", "names"),
    [
        (None, None, "no API token was given: set HOOKLINE_API_TOKEN or pass --token"),
        (
            "wrong",
            None,
            "the server refused the token from HOOKLINE_API_TOKEN: set HOOKLINE_API_TOKEN or pass --token",
        ),
        (None, "wrong", "the server refused the token from --token: set HOOKLINE_API_TOKEN or pass --token"),
    ],
    ids=["none", "variable", "flag"],
)
def test_a_refused_token_is_one_line_naming_the_setting_to_change(
    hookline_server: HooklineServer, token_env: str | None, token_flag: str | None, names: str
) -> None:
    env = cli_env(
        HOOKLINE_SERVER=hookline_server.url, **({"HOOKLINE_API_TOKEN": token_env} if token_env else {})
    )
    flags = ["--token", token_flag] if token_flag else []
    result = run_cli("send", "--app", "a", "-e", "x", *flags, env=env)
    assert result.returncode == 1
    line = result.stderr.strip()
    assert line.startswith("error: POST /api/v1/app/a/msg: HTTP 401 ") and names in line, line
    assert "\n" not in line


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout == f"hookline {hookline.__version__}\n"


def _commands() -> list[object]:
    """Every command's words and its help text, as test parameters."""
    group = typer.main.get_command(app)
    found: list[tuple[list[str], str]] = [([], group.help or "")]
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        found.append(([name], command.help or ""))
        for sub, subcommand in (getattr(command, "commands", None) or {}).items():
            found.append(([name, sub], subcommand.help or ""))
    return [pytest.param(words, text, id=" ".join(words) or "hookline") for words, text in found]


@pytest.mark.parametrize(("words", "text"), _commands())
def test_help_piped_keeps_each_paragraph_on_one_line_and_shows_no_type_placeholders(
    words: list[str], text: str
) -> None:
    result = run_cli(*words, "--help", env=piped_env())
    assert result.returncode == 0, result.stderr
    assert not re.search(r"<[a-z][a-z\[\] ]*>", result.stdout), result.stdout
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    for paragraph in inspect.cleandoc(text).split("\n\n"):
        if paragraph.startswith(" "):
            continue  # an example, kept as written
        assert " ".join(paragraph.split()) in lines, f"{paragraph!r} is not one line of:\n{result.stdout}"
    for line in result.stdout.splitlines():
        if line.startswith("  --"):  # an option and its whole help on one line
            assert not line.rstrip().endswith((",", " and", " or", " the")), line


def test_tail_piped_is_not_wrapped_and_says_why_each_try_failed(
    hookline_server: HooklineServer, receiver: RecordingReceiver
) -> None:
    async def refuse(_: object) -> web.Response:
        return web.Response(status=500, text="database is down,\n  try later")

    receiver.handler = refuse
    long_path = "/" + "a-long-path-segment" * 8
    _app_with_endpoint(hookline_server, "failing", receiver.url + long_path)
    closed = f"http://127.0.0.1:{free_port()}/nobody-listens"
    _app_with_endpoint(hookline_server, "unreachable", closed)
    auth = {"authorization": f"Bearer {hookline_server.token}"}
    for uid in ("failing", "unreachable"):
        httpx.post(
            f"{hookline_server.url}/api/v1/app/{uid}/msg",
            json={"eventType": "a", "payload": {}},
            headers=auth,
        )
    env = piped_env(HOOKLINE_SERVER=hookline_server.url, HOOKLINE_API_TOKEN=hookline_server.token)
    failing = run_cli("tail", "--app", "failing", "--since", "1h", "--count", "1", env=env)
    assert failing.returncode == 0, failing.stderr
    [line] = failing.stdout.splitlines()
    assert receiver.url + long_path in line, "one line, however long"
    assert line.endswith("HTTP 500: database is down, try later"), line
    unreachable = run_cli("tail", "--app", "unreachable", "--since", "1h", "--count", "1", env=env)
    [line] = unreachable.stdout.splitlines()
    assert "--- fail" in line and closed in line and "connection failed" in line, line


def test_replay_says_which_messages_wait_for_a_retry_and_can_send_them_now(
    tmp_path: Path, receiver: RecordingReceiver
) -> None:
    # the second try is an hour away: failed once, these messages wait for it
    server = HooklineServer(database_url=f"sqlite:///{tmp_path / 'h.db'}", retry_schedule=(3600.0,)).start()
    try:
        receiver.status = 500
        ep_id = _app_with_endpoint(server, "waits", receiver.url + "/w")
        auth = {"authorization": f"Bearer {server.token}"}
        sent = [
            httpx.post(f"{server.url}/api/v1/app/waits/msg", json={"eventType": "a", "payload": {"n": n}}, headers=auth).json()["id"]
            for n in range(2)
        ]  # fmt: skip
        receiver.wait_for(2)
        attempts = f"{server.url}/api/v1/app/waits/attempt/endpoint/{ep_id}"
        deadline = time.monotonic() + 15
        while len(httpx.get(attempts, headers=auth).json()["data"]) < 2:
            assert time.monotonic() < deadline, "the failed tries were not recorded"
            time.sleep(0.05)
        receiver.status = 200
        env = cli_env(HOOKLINE_SERVER=server.url, HOOKLINE_API_TOKEN=server.token)

        told = run_cli("replay", "--app", "waits", "--since", "1h", env=env)
        assert told.returncode == 0, told.stderr
        assert "0 failed message(s) since" in told.stdout
        assert "2 more message(s) failed and wait for a retry, due between " in told.stdout
        assert "add --include-waiting to send them now" in told.stdout
        as_json = json.loads(run_cli("replay", "--app", "waits", "--since", "1h", "--json", env=env).stdout)
        assert as_json["waiting"] == 2 and as_json["recovered"] == 0 and as_json["sentNow"] == 0
        assert 3000 < from_iso(as_json["nextAttempt"]) - time.time() < 3700
        time.sleep(0.3)
        assert len(receiver.requests) == 2, "telling sends nothing"

        included = run_cli("replay", "--app", "waits", "--since", "1h", "--include-waiting", env=env)
        assert included.returncode == 0, included.stderr
        assert "2 message(s) that were waiting for a retry sent now as well" in included.stdout
        again = receiver.wait_for(4)
        assert sorted(r.headers["webhook-id"] for r in again[2:]) == sorted(sent)
    finally:
        server.stop()


@pytest.mark.parametrize("command", [["token", "list"], ["token", "revoke", "tok_x"]], ids=" ".join)
def test_token_commands_that_read_refuse_to_create_a_database(command: list[str], tmp_path: Path) -> None:
    result = run_cli(*command, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: no hookline database at {tmp_path / 'hookline.db'}: set HOOKLINE_DATABASE_URL or pass "
        "--database to name the one `hookline serve` uses"
    )
    assert list(tmp_path.iterdir()) == []


def test_token_create_says_it_created_the_database(tmp_path: Path) -> None:
    result = run_cli("token", "create", "--name", "ci", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"created a new database: {tmp_path / 'hookline.db'}" in result.stderr
    listed = run_cli("token", "list", cwd=tmp_path)
    assert listed.returncode == 0 and " ci " in listed.stdout
