"""`hookline verify` on saved requests (headers file + body file): exit 0 ok, 1 fails, 2 bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner, Result

from hookline.cli import app
from hookline.signing import generate_secret, sign, signature_headers
from tests.signing.vectors import BODY, MSG_ID, SECRET

runner = CliRunner()


def save(tmp_path: Path, headers: dict[str, str] | str, body: bytes) -> tuple[Path, Path]:
    headers_file, body_file = tmp_path / "request.headers", tmp_path / "request.body"
    text = headers if isinstance(headers, str) else json.dumps(headers)
    headers_file.write_text(text)
    body_file.write_bytes(body)
    return headers_file, body_file


def fresh_headers(body: bytes = BODY, secret: str = SECRET) -> dict[str, str]:
    # the command checks the timestamp against the real clock, so the request is signed just now
    ts = int(time.time())
    return signature_headers(MSG_ID, ts, sign(secret, MSG_ID, ts, body))


def run(*args: str | Path) -> Result:
    return runner.invoke(app, ["verify", *map(str, args)])


def test_valid_saved_request_exits_0(tmp_path: Path) -> None:
    headers, body = save(tmp_path, fresh_headers(), BODY)
    result = run("--headers", headers, "--body", body, "--secret", SECRET)
    assert result.exit_code == 0, result.output
    assert "signature OK" in result.output


def test_headers_saved_as_name_value_lines_from_curl_are_read(tmp_path: Path) -> None:
    lines = "POST /webhooks/clerk HTTP/1.1\nHost: localhost:8000\nContent-Type: application/json\n"
    lines += "".join(f"{k.title()}: {v}\n" for k, v in fresh_headers().items() if k.startswith("svix-"))
    headers, body = save(tmp_path, lines, BODY)
    result = run("--headers", headers, "--body", body, "--secret", SECRET)
    assert result.exit_code == 0, result.output


def test_wrong_secret_exits_1_and_says_why(tmp_path: Path) -> None:
    headers, body = save(tmp_path, fresh_headers(), BODY)
    result = run("--headers", headers, "--body", body, "--secret", generate_secret())
    assert result.exit_code == 1
    assert "[wrong_secret]" in result.output


def test_one_of_several_secrets_matching_exits_0(tmp_path: Path) -> None:
    headers, body = save(tmp_path, fresh_headers(), BODY)
    result = run("--headers", headers, "--body", body, "--secret", generate_secret(), "--secret", SECRET)
    assert result.exit_code == 0, result.output


def test_body_saved_with_a_trailing_newline_is_explained(tmp_path: Path) -> None:
    headers, body = save(tmp_path, fresh_headers(), BODY + b"\n")
    result = run("--headers", headers, "--body", body, "--secret", SECRET)
    assert result.exit_code == 1
    assert "[whitespace_changed]" in result.output


def test_old_saved_request_reports_its_age_and_passes_with_a_wider_tolerance(tmp_path: Path) -> None:
    ts = int(time.time()) - 7200
    headers, body = save(tmp_path, signature_headers(MSG_ID, ts, sign(SECRET, MSG_ID, ts, BODY)), BODY)
    result = run("--headers", headers, "--body", body, "--secret", SECRET)
    assert result.exit_code == 1
    assert "[timestamp_too_old] timestamp is 72" in result.output
    wide = run("--headers", headers, "--body", body, "--secret", SECRET, "--tolerance", "86400")
    assert wide.exit_code == 0, wide.output


def test_json_output_lists_codes_and_messages(tmp_path: Path) -> None:
    headers, body = save(tmp_path, fresh_headers(), b'{"test":2432232314}')
    result = run("--headers", headers, "--body", body, "--secret", SECRET, "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False
    assert [f["code"] for f in report["findings"]] == ["body_reserialized"]
    assert report["findings"][0]["message"]


def test_secret_from_the_environment_is_used(tmp_path: Path) -> None:
    headers, body = save(tmp_path, fresh_headers(), BODY)
    result = runner.invoke(
        app,
        ["verify", "--headers", str(headers), "--body", str(body)],
        env={"HOOKLINE_WEBHOOK_SECRET": SECRET},
    )
    assert result.exit_code == 0, result.output


def test_missing_file_exits_2(tmp_path: Path) -> None:
    _, body = save(tmp_path, fresh_headers(), BODY)
    result = run("--headers", tmp_path / "nope", "--body", body, "--secret", SECRET)
    assert result.exit_code == 2


def test_headers_file_that_is_not_json_exits_2(tmp_path: Path) -> None:
    headers, body = save(tmp_path, '{"webhook-id": ', BODY)
    result = run("--headers", headers, "--body", body, "--secret", SECRET)
    assert result.exit_code == 2


def test_headers_file_that_is_not_text_exits_2(tmp_path: Path) -> None:
    headers, body = save(tmp_path, "", BODY)
    headers.write_bytes(b"\xff\xfe\x00binary")
    result = run("--headers", headers, "--body", body, "--secret", SECRET)
    assert result.exit_code == 2


def test_headers_file_without_webhook_headers_exits_1_naming_them(tmp_path: Path) -> None:
    headers, body = save(tmp_path, "Content-Type: application/json\n", BODY)
    result = run("--headers", headers, "--body", body, "--secret", SECRET)
    assert result.exit_code == 1
    assert result.output.count("[missing_header]") == 3


def test_missing_secret_exits_2(tmp_path: Path) -> None:
    headers, body = save(tmp_path, fresh_headers(), BODY)
    result = runner.invoke(app, ["verify", "--headers", str(headers), "--body", str(body)], env={})
    assert result.exit_code == 2


def test_installed_command_runs_as_a_subprocess(tmp_path: Path) -> None:
    headers, body = save(tmp_path, fresh_headers(), BODY)
    args = ["--headers", str(headers), "--body", str(body)]
    ok = subprocess.run(
        [sys.executable, "-m", "hookline.cli", "verify", *args, "--secret", SECRET],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "hookline.cli", "verify", *args, "--secret", generate_secret()],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 1
    assert "wrong_secret" in bad.stdout
    assert "Traceback" not in bad.stderr
