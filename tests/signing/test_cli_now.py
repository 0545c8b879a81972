"""``hookline verify --now`` checks a request saved earlier as of the time it was received."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hookline.cli import app
from hookline.signing import Webhook, generate_secret, signature_headers


def test_saved_request_verifies_as_of_its_receipt_time(tmp_path: Path) -> None:
    secret = generate_secret()
    body = b'{"type":"user.created"}'
    sent_at = 1_700_000_000
    headers = signature_headers("msg_saved", sent_at, Webhook(secret).sign("msg_saved", sent_at, body))
    (tmp_path / "h.json").write_text(json.dumps(headers))
    (tmp_path / "b.bin").write_bytes(body)
    args = [
        "verify",
        "--headers",
        str(tmp_path / "h.json"),
        "--body",
        str(tmp_path / "b.bin"),
        "--secret",
        secret,
    ]
    assert CliRunner().invoke(app, args).exit_code == 1  # too old by today's clock
    result = CliRunner().invoke(app, [*args, "--now", str(sent_at + 10)])
    assert result.exit_code == 0, result.output
    assert "signature OK" in result.output
