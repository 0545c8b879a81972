"""The ``hookline`` command line: the Typer application, its commands, and the script's entry point.

The commands live in modules named for what they do; they are registered here, in the order
``hookline --help`` lists them.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from hookline.cli import bench, demo, helptext, listen, messages, server, status, tokens, verify
from hookline.cli.client import ApiClient
from hookline.cli.common import DEFAULT_SERVER, CliError, parse_since
from hookline.cli.verify import parse_headers_file
from hookline.errors import HooklineError

# the names the single-module cli.py offered keep their import path
__all__ = [
    "DEFAULT_SERVER",
    "ApiClient",
    "CliError",
    "app",
    "main",
    "parse_headers_file",
    "parse_since",
    "token_app",
]

app = typer.Typer(
    name="hookline",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
    context_settings=helptext.SETTINGS,
)


def _print_version(value: bool) -> None:
    if value:
        from hookline import __version__

        typer.echo(f"hookline {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=_print_version, help="Print the version and exit."),
    ] = False,
) -> None:
    """Authentication events delivered as signed webhooks.

    Client commands (send, tail, replay, listen) talk to the server in HOOKLINE_SERVER (default:
    http://HOOKLINE_HOST:HOOKLINE_PORT, else http://127.0.0.1:8071) with the token in
    HOOKLINE_API_TOKEN; server commands (serve, worker, migrate, token) use HOOKLINE_DATABASE_URL.
    """


app.command(cls=helptext.Command)(server.serve)
app.command(cls=helptext.Command)(server.worker)
app.command(cls=helptext.Command)(server.migrate)
app.command(cls=helptext.Command)(status.status)
app.command(cls=helptext.Command)(verify.verify)
app.command(cls=helptext.Command)(messages.send)
app.command(cls=helptext.Command)(messages.tail)
app.command(cls=helptext.Command)(messages.replay)
app.command(cls=helptext.Command)(listen.listen)

token_app = typer.Typer(
    help="Create, list and revoke API tokens for /api/v1 (stored as SHA-256 hashes).",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings=helptext.SETTINGS,
)
app.add_typer(token_app, name="token")
token_app.command("create", cls=helptext.Command)(tokens.token_create)
token_app.command("list", cls=helptext.Command)(tokens.token_list)
token_app.command("revoke", cls=helptext.Command)(tokens.token_revoke)

app.command(cls=helptext.Command)(demo.demo)
# bench hands every option it does not know to bench/delivery.py
app.command(
    cls=helptext.Command, context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
)(bench.bench)


def main() -> None:
    """Entry point of the ``hookline`` script: one line and exit code 1 for any failure."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except HooklineError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
