"""``hookline listen``: forward webhooks from a relay channel to an app on this machine."""

from __future__ import annotations

import asyncio
import contextlib
import urllib.parse
from typing import Annotated

import typer
from rich.console import Console

from hookline.cli.client import ApiClient
from hookline.cli.common import CliError, JsonOpt, ServerOpt, TokenOpt, client_target


def listen(
    target: Annotated[
        str,
        typer.Argument(
            metavar="URL", help="The local URL to forward to, e.g. http://localhost:3000/webhooks."
        ),
    ],
    server: ServerOpt = None,
    token: TokenOpt = None,
    channel: Annotated[
        str | None,
        typer.Option(
            "--channel", metavar="TOKEN", help="Reuse a channel (its listen token) instead of creating one."
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option(metavar="SECONDS", help="Seconds to wait for the local app.", min=0.1)
    ] = 25.0,
    as_json: JsonOpt = False,
) -> None:
    """Forward webhooks from a public relay URL to an app on this machine, no tunnel needed.

    Creates a channel on the server (unless --channel is given), prints its URL (give it to the
    webhook sender), and replays every request on URL with the same method, headers and body
    bytes, so signatures still verify. The sender gets the local app's answer; 502 when it is down.

    Examples:

      hookline listen http://localhost:3000/api/webhooks --server https://hooks.example.com

      hookline listen http://localhost:3000/api/webhooks --channel Xy3… --json
    """
    from hookline.relay.display import JsonLines, LiveDisplay
    from hookline.relay.listen import Listen, ListenOptions, RelayError

    parts = urllib.parse.urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise typer.BadParameter(f"{target!r} is not an http(s) URL", param_hint="TARGET")
    # soft wrap: a line piped to a file or a program stays one line, whatever the width
    console = Console(highlight=False, soft_wrap=True)
    events = JsonLines(console) if as_json else LiveDisplay(console, target)
    where = client_target(server, token)
    options = ListenOptions(where.server, target, where.token, channel, forward_timeout=timeout)
    runner = Listen(options, events)

    async def run() -> None:
        if isinstance(events, LiveDisplay) and console.is_terminal:
            with events.live:
                await runner.run()
        else:
            await runner.run()

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run())
    except RelayError as exc:
        raise CliError(str(exc) + _hint(str(exc), ApiClient.to(where))) from None


def _hint(message: str, client: ApiClient) -> str:
    """The setting to change for a relay error: the server's address, or the API token."""
    if message.startswith("cannot reach"):
        return client.unreachable_hint()
    if "HTTP 401" in message:
        return client.refusal_hint(401)
    return ""
