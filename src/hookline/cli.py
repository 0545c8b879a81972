"""The ``hookline`` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="hookline",
    help="Authentication events delivered as signed webhooks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """hookline: identity, Svix-compatible webhook delivery, and the receiving toolkit."""


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


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


@app.command()
def verify(
    headers: Annotated[
        Path, typer.Option("--headers", help="File with the request headers (JSON or 'Name: value' lines).")
    ],
    body: Annotated[Path, typer.Option("--body", help="File with the raw request body, byte for byte.")],
    secret: Annotated[
        list[str],
        typer.Option(
            "--secret",
            envvar="HOOKLINE_WEBHOOK_SECRET",
            help="Endpoint secret (whsec_…); repeat for several.",
        ),
    ],
    tolerance: Annotated[int, typer.Option(help="Timestamp tolerance in seconds.")] = 300,
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
        _fail(str(exc), 2)
        return
    result = diagnose(header_map, raw, secret, tolerance=tolerance)
    if as_json:
        typer.echo(json.dumps({"ok": result.ok, "findings": [f.__dict__ for f in result.findings]}))
    else:
        typer.echo(str(result))
    raise typer.Exit(0 if result.ok else 1)


def main() -> None:
    """Entry point of the ``hookline`` script."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
