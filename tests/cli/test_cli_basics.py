"""Every command's --help, exit codes (0, 1, 2) and one-line errors, run as a real `hookline` process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.relay.procs import cli_env, run_cli

COMMANDS = [
    ["serve"], ["worker"], ["migrate"], ["demo"], ["listen"], ["verify"], ["send"], ["tail"],
    ["replay"], ["token"], ["token", "create"], ["token", "list"], ["token", "revoke"], ["bench"],
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    if command != ["token"]:
        assert "Example" in result.stdout


def test_top_level_help_lists_every_command() -> None:
    out = run_cli("--help").stdout
    for name in (
        "serve",
        "worker",
        "migrate",
        "demo",
        "listen",
        "verify",
        "send",
        "tail",
        "replay",
        "token",
        "bench",
    ):
        assert name in out


@pytest.mark.parametrize(
    "args",
    [
        ["send", "--app", "a"],  # --event-type missing
        ["send", "--app", "a", "-e", "x", "--data", "{not json"],
        ["replay", "--app", "a", "--since", "yesterday-ish"],
        ["listen", "not-a-url"],
        ["tail", "--endpoint", "ep_1"],  # --endpoint without --app
        ["no-such-command"],
        ["send", "--no-such-flag"],
    ],
    ids=lambda a: " ".join(a),
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = run_cli(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["send", "--app", "a", "-e", "user.created", "-d", "{}"],
        ["tail", "--count", "1"],
        ["replay", "--app", "a", "--since", "1h"],
        ["listen", "http://127.0.0.1:9/hooks"],
    ],
    ids=lambda a: a[0],
)
def test_unreachable_server_is_one_error_line_and_exit_1(args: list[str]) -> None:
    result = run_cli(*args, "--server", "http://127.0.0.1:9")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr


@pytest.mark.parametrize("command", [["serve"], ["worker"], ["migrate"], ["token", "list"]], ids=" ".join)
def test_a_setting_hookline_cannot_use_is_a_usage_error_naming_it(command: list[str], tmp_path: Path) -> None:
    env = cli_env(HOOKLINE_LEASE_SECONDS="a minute", HOOKLINE_DATABASE_URL=f"sqlite:///{tmp_path / 'h.db'}")
    result = run_cli(*command, env=env)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.strip() == "error: HOOKLINE_LEASE_SECONDS: 'a minute' is not a number of seconds"


def test_server_refusal_is_one_error_line_with_the_servers_reason(tmp_path: Path) -> None:
    from tests.support.servers import HooklineServer

    server = HooklineServer(database_url=f"sqlite:///{tmp_path / 'h.db'}").start()
    try:
        result = run_cli("send", "--app", "a", "-e", "x", "--server", server.url, "--token", "wrong")
    finally:
        server.stop()
    assert result.returncode == 1
    line = result.stderr.strip()
    assert line.startswith("error: POST /api/v1/app/a/msg: HTTP 401 ") and "token" in line


def test_bench_outside_a_checkout_explains_and_exits_1(tmp_path: Path) -> None:
    # the installed package still finds the checkout it was installed from; a copy elsewhere does not
    import shutil

    import hookline

    pkg = tmp_path / "site" / "hookline"
    shutil.copytree(Path(hookline.__file__).parent, pkg)
    env = cli_env(PYTHONPATH=str(tmp_path / "site"))
    result = run_cli("bench", "--quick", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "bench/delivery.py" in result.stderr and "Traceback" not in result.stderr


def test_verify_json_still_works(tmp_path: Path) -> None:
    (tmp_path / "h.json").write_text(
        json.dumps(
            {
                "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
                "webhook-timestamp": "1614265330",
                "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            }
        )
    )
    (tmp_path / "b.bin").write_bytes(b'{"test": 2432232314}')
    args = ["verify", "--headers", str(tmp_path / "h.json"), "--body", str(tmp_path / "b.bin")]
    args += ["--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "--now", "1614265330", "--json"]
    result = run_cli(*args)
    assert result.returncode == 0 and json.loads(result.stdout)["ok"] is True
