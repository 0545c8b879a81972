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


DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database",
        envvar="HOOKLINE_DATABASE_URL",
        help="sqlite:///path.db or postgresql://…",
        show_default=False,
    ),
]


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8071,
    database: DatabaseOpt = None,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Serve the API only; run `hookline worker` elsewhere.")
    ] = False,
) -> None:
    """Run the API and the delivery worker (SQLite ./hookline.db unless --database says otherwise).

    Example: hookline serve --port 8071 --database sqlite:///./hookline.db
    """
    from hookline.config import ConfigError, Settings
    from hookline.server import redact
    from hookline.server import serve as run

    try:
        settings = Settings.from_env(host=host, port=port, database_url=database, run_worker=not no_worker)
    except ConfigError as exc:
        _fail(str(exc), 2)
        return
    typer.echo(
        f"hookline {settings.base_url} (database {redact(settings.database_url)}"
        f"{', API only' if no_worker else ''})"
    )
    run(settings)


@app.command()
def worker(database: DatabaseOpt = None) -> None:
    """Run a delivery worker only, sharing the database with `hookline serve --no-worker` processes.

    Example: HOOKLINE_DATABASE_URL=postgresql://localhost/hookline hookline worker
    """
    import asyncio

    from hookline.config import ConfigError, Settings
    from hookline.server import run_worker

    try:
        settings = Settings.from_env(database_url=database)
    except ConfigError as exc:
        _fail(str(exc), 2)
        return
    asyncio.run(run_worker(settings))


@app.command()
def migrate(database: DatabaseOpt = None) -> None:
    """Apply pending schema migrations (serve applies them on start too).

    Example: hookline migrate --database postgresql://localhost/hookline
    """
    import asyncio

    from hookline.config import Settings
    from hookline.errors import HooklineError
    from hookline.server import run_migrations

    settings = Settings.from_env(database_url=database)
    try:
        applied = asyncio.run(run_migrations(settings.database_url))
    except HooklineError as exc:
        _fail(str(exc))
        return
    typer.echo("applied: " + ", ".join(applied) if applied else "schema is up to date")


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
    now: Annotated[
        float | None,
        typer.Option(help="Check the timestamp as of this unix time (for requests saved earlier)."),
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
        _fail(str(exc), 2)
        return
    result = diagnose(header_map, raw, secret, tolerance=tolerance, now=now)
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
