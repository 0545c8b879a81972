"""The ``hookline`` command line: the Typer application, its commands, and the script's entry point.

The commands live in modules named for what they do; they are registered here, in the order
``hookline --help`` lists them.
"""

from __future__ import annotations

import sys

import typer

from hookline.cli import bench, demo, listen, messages, server, tokens, verify
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
    help="Authentication events delivered as signed webhooks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """hookline: identity, Svix-compatible webhook delivery, and the receiving toolkit."""


app.command()(server.serve)
app.command()(server.worker)
app.command()(server.migrate)
app.command()(verify.verify)
app.command()(messages.send)
app.command()(messages.tail)
app.command()(messages.replay)
app.command()(listen.listen)

token_app = typer.Typer(
    help="Create, list and revoke API tokens for /api/v1 (stored as SHA-256 hashes).",
    no_args_is_help=True,
)
app.add_typer(token_app, name="token")
token_app.command("create")(tokens.token_create)
token_app.command("list")(tokens.token_list)
token_app.command("revoke")(tokens.token_revoke)

app.command()(demo.demo)
# bench hands every option it does not know to bench/delivery.py
app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(bench.bench)


def main() -> None:
    """Entry point of the ``hookline`` script: one line and exit code 1 for any failure."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except HooklineError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
