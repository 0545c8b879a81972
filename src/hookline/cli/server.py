"""Running hookline: the API server, a delivery worker, and schema migrations."""

from __future__ import annotations

from typing import Annotated

import typer

from hookline.cli.common import DatabaseOpt, fail, settings_from_env


def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on (HOOKLINE_HOST, else 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (HOOKLINE_PORT, else 8071).")] = None,
    database: DatabaseOpt = None,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Serve the API only; run `hookline worker` elsewhere.")
    ] = False,
) -> None:
    """Run the API and the delivery worker (SQLite ./hookline.db unless --database says otherwise).

    Example: hookline serve --port 8071 --database sqlite:///./hookline.db
    """
    from hookline.server import redact
    from hookline.server import serve as run

    settings = settings_from_env(host=host, port=port, database_url=database, run_worker=not no_worker)
    typer.echo(
        f"hookline {settings.base_url} (database {redact(settings.database_url)}"
        f"{', API only' if no_worker else ''})"
    )
    run(settings)


def worker(database: DatabaseOpt = None) -> None:
    """Run a delivery worker only, sharing the database with `hookline serve --no-worker` processes.

    Example: HOOKLINE_DATABASE_URL=postgresql://localhost/hookline hookline worker
    """
    from hookline.server import run_on_fast_loop, run_worker

    settings = settings_from_env(database_url=database)
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
