"""Log output: plain text by default, one JSON object per line with HOOKLINE_LOG_FORMAT=json, with the
message, endpoint and attempt outcome as fields; and no secret in the output of a real server run."""

from __future__ import annotations

import io
import json
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

from hookline import logs
from tests.delivery.processes import ServeProcess, run_cli
from tests.security.test_secrets_in_logs import _exercise
from tests.support.servers import TEST_ENCRYPTION_KEY, RecordingReceiver


def _record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord(
        "hookline.delivery", logging.INFO, __file__, 1, "attempt of %s", ("msg_1",), None
    )
    record.__dict__.update(extra)
    return record


def test_json_lines_carry_the_extras_and_redact_credentials() -> None:
    fmt = logs.JsonFormatter(logs.Redactor(["configured-credential-value"]))
    line = fmt.format(_record(message_id="msg_1", endpoint_id="ep_1", outcome="http_5xx", status_code=503))
    data = json.loads(line)
    assert data["level"] == "info" and data["logger"] == "hookline.delivery" and data["time"].endswith("Z")
    assert data["message"] == "attempt of msg_1"
    assert (data["message_id"], data["endpoint_id"], data["outcome"], data["status_code"]) == (
        "msg_1", "ep_1", "http_5xx", 503
    )  # fmt: skip
    leaky = _record(detail="configured-credential-value and whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=")
    leaky.msg, leaky.args = "token %s", ("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.c2lnbmF0dXJl",)
    out = fmt.format(leaky)
    assert "eyJ" not in out and "whsec_" not in out and "configured-credential" not in out
    assert json.loads(out)["message"] == "token [redacted]"
    # plain text keeps the fields too, as key=value after the sentence
    text = logs.TextFormatter().format(_record(message_id="msg_1", outcome="no_response"))
    assert text.endswith("INFO hookline.delivery: attempt of msg_1 message_id=msg_1 outcome=no_response")


def test_configure_replaces_its_handler_and_filters_by_level() -> None:
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    stream = io.StringIO()
    try:
        logs.configure("text", "info", stream=io.StringIO())
        logs.configure("json", "warning", stream=stream)
        assert sum(1 for h in root.handlers if h.get_name() == "hookline") == 1
        logging.getLogger("hookline.test").info("not written")
        logging.getLogger("hookline.test").warning("written", extra={"endpoint_id": "ep_2"})
    finally:
        for h in [h for h in root.handlers if h.get_name() == "hookline"]:
            root.removeHandler(h)
        root.setLevel(saved[0])
    lines = stream.getvalue().splitlines()
    assert [json.loads(x)["message"] for x in lines] == ["written"]
    assert json.loads(lines[0])["endpoint_id"] == "ep_2"


def test_a_bad_format_or_level_is_refused(tmp_path: Path) -> None:
    assert (logs.parse_format(None), logs.parse_level("")) == ("text", "info")
    bad = run_cli("serve", "--port", "0", cwd=tmp_path, HOOKLINE_LOG_FORMAT="xml")
    assert bad.returncode == 2 and "HOOKLINE_LOG_FORMAT" in bad.stderr
    bad = run_cli("worker", cwd=tmp_path, HOOKLINE_LOG_LEVEL="loud")
    assert bad.returncode == 2 and "HOOKLINE_LOG_LEVEL" in bad.stderr


@dataclass
class _Server:  # what _exercise needs of a server
    url: str
    token: str
    secret_key: str


def test_a_real_server_logs_json_lines_without_secrets(tmp_path: Path) -> None:
    token = "hl_" + secrets.token_urlsafe(32)
    secret_key = "sk_test_" + secrets.token_urlsafe(24)
    receiver = RecordingReceiver().start()
    receiver.handler = lambda rec: 500 if rec.path == "/fail" else 200
    proc = ServeProcess(
        tmp_path,
        HOOKLINE_DATABASE_URL=f"sqlite:///{tmp_path / 'logs.db'}",
        HOOKLINE_API_TOKEN=token,
        HOOKLINE_SECRET_KEY=secret_key,
        HOOKLINE_ENCRYPTION_KEY=TEST_ENCRYPTION_KEY,
        HOOKLINE_ALLOWED_TARGETS="127.0.0.0/8",
        HOOKLINE_RETRY_SCHEDULE="0.1,0.2",
        HOOKLINE_LOG_FORMAT="json",
        HOOKLINE_LOG_LEVEL="debug",
    ).start()
    try:
        used = {"api token": token, "identity secret key": secret_key, "encryption key": TEST_ENCRYPTION_KEY}
        used.update(_exercise(_Server(proc.url, token, secret_key), receiver))  # type: ignore[arg-type]
    finally:
        proc.stop()
        receiver.stop()
    # the lines `serve` prints on start are its output, not log records: everything else is JSON
    records = [json.loads(line) for line in proc.lines if line.startswith("{")]
    others = [line for line in proc.lines if not line.startswith("{")]
    assert all(line.startswith(("hookline ", "dashboard ", "created a new database")) for line in others), (
        others
    )
    assert len(records) > 10 and all({"time", "level", "logger", "message"} <= set(r) for r in records)
    failed = [r for r in records if r.get("outcome") == "http_5xx"]
    assert failed and all(
        r["message_id"].startswith("msg_") and r["endpoint_id"].startswith("ep_") for r in failed
    )
    assert any(r.get("outcome") == "success" and r["level"] == "debug" for r in records)
    assert any(r["level"] == "warning" and "failed for good" in r["message"] for r in failed)
    found = {what for what, value in used.items() if value and value in proc.output}
    assert found == set(), found
