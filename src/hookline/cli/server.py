"""Running hookline: the API server, a delivery worker, and schema migrations."""

from __future__ import annotations

import ipaddress
import secrets
from typing import TYPE_CHECKING, Annotated

import typer

from hookline.cli.common import DatabaseOpt, fail, settings_from_env

if TYPE_CHECKING:
    from hookline.config import Settings
    from hookline.server import Prepared

# what `serve --dev` lets webhooks reach when HOOKLINE_ALLOWED_TARGETS says nothing
DEV_TARGETS = "127.0.0.0/8, ::1/128"


def serve(
    host: Annotated[
        str | None,
        typer.Option(metavar="HOST", help="Interface to listen on (HOOKLINE_HOST, else 127.0.0.1)."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            metavar="PORT", help="Port to listen on (HOOKLINE_PORT, else 8071); 0 takes a free one."
        ),
    ] = None,
    database: DatabaseOpt = None,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Serve the API only; run `hookline worker` elsewhere.")
    ] = False,
    dev: Annotated[
        bool,
        typer.Option(
            "--dev",
            help="Development preset: loopback only, webhooks may reach this machine, and a fresh API "
            "token and secret key are printed on every start (unless HOOKLINE_API_TOKEN / "
            "HOOKLINE_SECRET_KEY are set).",
        ),
    ] = False,
) -> None:
    """Run the API, the dashboard and the delivery worker (SQLite ./hookline.db unless --database says otherwise).

    The port is taken first: if it is in use, nothing is opened or generated. A second serve on the
    same SQLite file joins the first as another process (both take requests and deliver).

    Examples:

      hookline serve --dev

      hookline serve --port 8071 --database sqlite:///./hookline.db
    """
    import asyncio

    from hookline.errors import HooklineError
    from hookline.server import bind, configure_logs, prepare, redact
    from hookline.server import serve as run

    settings = settings_from_env(host=host, port=port, database_url=database, run_worker=not no_worker)
    if dev:
        settings = _dev_settings(settings)
    configure_logs(settings)
    _traces()
    try:
        sock = bind(settings.host, settings.port)
    except HooklineError as exc:
        fail(str(exc))
    settings = settings.with_(port=sock.getsockname()[1])  # the real one when --port 0 asked for any
    try:
        prepared = asyncio.run(prepare(settings))
    except (HooklineError, OSError) as exc:
        sock.close()
        fail(str(exc))
    typer.echo(
        f"hookline {settings.base_url} (database {redact(settings.database_url)}"
        f"{', API only' if no_worker else ''}{', development mode' if dev else ''})"
    )
    for line in _start_notes(settings, prepared, no_worker):
        typer.echo(line)
    if dev:
        for line in _dev_notes(settings):
            typer.echo(line)
    else:
        typer.echo(f"dashboard {settings.base_url}/dashboard (sign in with the API token)")
    run(settings, sock)


def _traces() -> None:
    """Turn OpenTelemetry traces on if the OTEL_* variables ask for them; a usage error if they cannot be."""
    from hookline import tracing
    from hookline.errors import HooklineError

    try:
        tracing.setup()
    except HooklineError as exc:
        fail(str(exc), 2)


def _dev_settings(settings: Settings) -> Settings:
    """``serve --dev``: refuse a non-loopback interface; allow loopback targets; fresh credentials."""
    import dataclasses
    import os

    from hookline.config import parse_networks

    if not _is_loopback(settings.host):
        fail(f"--dev serves on this machine only: {settings.host!r} is not a loopback interface", 2)
    delivery = settings.delivery
    if not os.environ.get("HOOKLINE_ALLOWED_TARGETS"):
        delivery = dataclasses.replace(delivery, allowed_targets=parse_networks(DEV_TARGETS))
    return settings.with_(
        delivery=delivery,
        api_token=settings.api_token or "hl_dev_" + secrets.token_urlsafe(24),
        secret_key=settings.secret_key or "sk_test_dev_" + secrets.token_urlsafe(24),
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _start_notes(settings: Settings, prepared: Prepared, no_worker: bool) -> list[str]:
    """What this start did to the database, and who else uses it."""
    notes = []
    if prepared.created and prepared.sqlite_path:
        notes.append(f"created a new database: {prepared.sqlite_path}")
    if prepared.other_pids:
        pids = ", ".join(str(p) for p in prepared.other_pids)
        role = "takes API requests only" if no_worker else "takes API requests and delivers too"
        notes.append(
            f"joining hookline process {pids} on the same database file: this one {role}; "
            "deliveries are shared, each is sent by one process"
        )
    return notes


def _dev_notes(settings: Settings) -> list[str]:
    """The dashboard and the credentials, and one line that sets them in another terminal."""
    targets = ", ".join(str(n) for n in settings.delivery.allowed_targets) or "none"
    return [
        f"webhooks may reach: {targets} (HOOKLINE_ALLOWED_TARGETS)",
        f"dashboard:  {settings.base_url}/dashboard (sign in with the API token)",
        f"API token:  {settings.api_token}",
        f"secret key: {settings.secret_key} (identity /v1, Clerk's SDK)",
        "in another terminal, for the hookline commands and the SDKs:",
        f"  export HOOKLINE_SERVER={settings.base_url} HOOKLINE_API_TOKEN={settings.api_token} "
        f"HOOKLINE_SECRET_KEY={settings.secret_key}",
    ]


def worker(
    database: DatabaseOpt = None,
    health_port: Annotated[
        int | None,
        typer.Option(
            metavar="PORT",
            help="Answer GET /health on this port (HOOKLINE_WORKER_HEALTH_PORT): 200, or 503 while a "
            "background loop is down or the database does not answer.",
        ),
    ] = None,
) -> None:
    """Run a delivery worker only, sharing the database with `hookline serve --no-worker` processes.

    Example: HOOKLINE_DATABASE_URL=postgresql://localhost/hookline hookline worker --health-port 9072
    """
    import asyncio
    import dataclasses

    from hookline.errors import HooklineError
    from hookline.server import configure_logs, prepare, run_on_fast_loop, run_worker

    settings = settings_from_env(database_url=database)
    if health_port is not None:
        if not 0 <= health_port <= 65535:
            fail(f"--health-port: {health_port} is not a port number (0 to 65535)", 2)
        settings = dataclasses.replace(
            settings, ops=dataclasses.replace(settings.ops, worker_health_port=health_port)
        )
    ops = settings.ops
    if ops.worker_health_port and ops.worker_health_port == ops.metrics.worker_port:
        fail("HOOKLINE_WORKER_HEALTH_PORT (or --health-port) must differ from HOOKLINE_METRICS_PORT", 2)
    configure_logs(settings)
    _traces()
    try:
        prepared = asyncio.run(prepare(settings))
    except (HooklineError, OSError) as exc:
        fail(str(exc))
    if prepared.created and prepared.sqlite_path:
        typer.echo(f"created a new database: {prepared.sqlite_path}")
    run_on_fast_loop(run_worker(settings))


def migrate(database: DatabaseOpt = None) -> None:
    """Apply pending schema migrations (serve applies them on start too).

    Example: hookline migrate --database postgresql://localhost/hookline
    """
    import asyncio

    from hookline.errors import HooklineError
    from hookline.server import run_migrations

    settings = settings_from_env(database_url=database)
    try:
        applied = asyncio.run(run_migrations(settings.database_url))
    except HooklineError as exc:
        fail(str(exc))
    typer.echo("applied: " + ", ".join(applied) if applied else "schema is up to date")
