"""``hookline verify``: check a saved webhook request offline and explain a failed signature."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hookline.cli.common import fail


def parse_headers_file(text: str) -> dict[str, str]:
    """Read headers saved as a JSON object or as ``Name: value`` lines (a request line is skipped)."""
    stripped = text.strip()
    if stripped.startswith("{"):
        data = json.loads(stripped)
        if not isinstance(data, dict):
            raise ValueError("headers JSON must be an object")
        return {str(k): str(v) for k, v in data.items()}
    headers: dict[str, str] = {}
    for line in stripped.splitlines():
        name, sep, value = line.partition(":")
        if not sep or " " in name.strip():
            continue
        headers[name.strip()] = value.strip()
    return headers


def verify(
    headers: Annotated[
        Path,
        typer.Option(
            "--headers", metavar="FILE", help="File with the request headers (JSON or 'Name: value' lines)."
        ),
    ],
    body: Annotated[
        Path, typer.Option("--body", metavar="FILE", help="File with the raw request body, byte for byte.")
    ],
    secret: Annotated[
        list[str],
        typer.Option(
            "--secret",
            envvar="HOOKLINE_WEBHOOK_SECRET",
            metavar="SECRET",
            help="Endpoint secret (whsec_…); repeat for several.",
        ),
    ],
    tolerance: Annotated[int, typer.Option(metavar="SECONDS", help="Timestamp tolerance in seconds.")] = 300,
    now: Annotated[
        float | None,
        typer.Option(
            metavar="UNIX_TIME", help="Check the timestamp as of this unix time (for requests saved earlier)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Check a saved webhook request and explain why its signature fails.

    Example: hookline verify --headers req.headers --body req.body --secret whsec_...
    """
    from hookline.signing import diagnose

    try:
        header_map = parse_headers_file(headers.read_text())
        raw = body.read_bytes()
    except (OSError, ValueError) as exc:
        fail(str(exc), 2)
    result = diagnose(header_map, raw, secret, tolerance=tolerance, now=now)
    if as_json:
        typer.echo(json.dumps({"ok": result.ok, "findings": [f.__dict__ for f in result.findings]}))
    else:
        typer.echo(str(result))
    raise typer.Exit(0 if result.ok else 1)
