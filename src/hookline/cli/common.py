"""Options and helpers shared by the ``hookline`` commands."""

from __future__ import annotations

import datetime
import hmac
import json
import os
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from hookline.errors import HooklineError

if TYPE_CHECKING:
    from hookline.config import Settings

DEFAULT_SERVER = "http://127.0.0.1:8071"

DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database",
        envvar="HOOKLINE_DATABASE_URL",
        metavar="URL",
        help="sqlite:///path.db or postgresql://… (default sqlite:///./hookline.db).",
        show_default=False,
    ),
]
ServerOpt = Annotated[
    str | None,
    typer.Option(
        "--server",
        envvar="HOOKLINE_SERVER",
        metavar="URL",
        help="The hookline server to talk to (default: http://HOOKLINE_HOST:HOOKLINE_PORT, "
        f"else {DEFAULT_SERVER}).",
        show_default=False,
    ),
]
TokenOpt = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="HOOKLINE_API_TOKEN",
        metavar="TOKEN",
        help="Bearer token for /api/v1.",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


@dataclass(frozen=True)
class Target:
    """The server a client command talks to, its API token, and the setting each came from.

    The sources go into error messages, so that they name what to change.
    """

    server: str
    server_from: str
    token: str | None
    token_from: str


def client_target(server: str | None, token: str | None, env: Mapping[str, str] | None = None) -> Target:
    """Where a client command's ``--server`` and ``--token`` came from; the server defaults to
    ``HOOKLINE_HOST``/``HOOKLINE_PORT``, the address ``hookline serve`` listens on."""
    e = os.environ if env is None else env
    if server:
        server_from = "HOOKLINE_SERVER" if e.get("HOOKLINE_SERVER") == server else "--server"
    else:
        server, server_from = default_server(e)
    # a flag with the same value as the variable is taken for the variable: either name fixes it
    from_env = bool(token) and hmac.compare_digest(
        e.get("HOOKLINE_API_TOKEN", "").encode(), (token or "").encode()
    )
    token_from = "HOOKLINE_API_TOKEN" if from_env else "--token"
    return Target(server.rstrip("/"), server_from, token or None, token_from)


def default_server(env: Mapping[str, str]) -> tuple[str, str]:
    """The URL of the server ``hookline serve`` would start with this environment, and what set it."""
    host = env.get("HOOKLINE_HOST") or "127.0.0.1"
    port = env.get("HOOKLINE_PORT") or "8071"
    source = (
        "HOOKLINE_HOST/HOOKLINE_PORT" if env.get("HOOKLINE_HOST") or env.get("HOOKLINE_PORT") else "default"
    )
    # a server listening on every interface is reached on this machine's loopback
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "[::]": "::1"}.get(host, host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}", source


class CliError(HooklineError):
    """A command failed; its message is printed as one line."""

    code = "cli_error"


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def settings_from_env(**flags: object) -> Settings:
    """This process's settings, flags over ``HOOKLINE_*``; a value hookline cannot use is a usage error."""
    from hookline.config import ConfigError, Settings
    from hookline.identity.mail import mailer_from_env

    try:
        mailer_from_env()  # HOOKLINE_SMTP_URL is read by identity; refused here, before anything starts
        return Settings.from_env(None, **flags)
    except ConfigError as exc:
        fail(str(exc), 2)


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON, non-ASCII characters as they are."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def parse_since(text: str, now: float | None = None) -> float:
    """A point in time: ``90s``, ``15m``, ``2h``, ``7d`` ago, or an ISO 8601 time; as unix seconds."""
    now = time.time() if now is None else now
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    value = text.strip()
    if value and value[-1] in units and value[:-1].replace(".", "", 1).isdigit():
        return now - float(value[:-1]) * units[value[-1]]
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{text!r}: use 90s, 15m, 2h, 7d or an ISO 8601 time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.timestamp()


def from_iso(iso: str) -> float:
    """Unix seconds of an ISO 8601 time as the API writes it (``…Z``)."""
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def to_iso(ts: float) -> str:
    """Unix seconds as an ISO 8601 UTC time ending in ``Z``, as the API writes them."""
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).isoformat().replace("+00:00", "Z")


def quote_segment(segment: str) -> str:
    """``segment`` escaped to be one path segment of a URL (``/`` included)."""
    return urllib.parse.quote(segment, safe="")
