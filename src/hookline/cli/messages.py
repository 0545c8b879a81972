"""Messages through a running server: ``send`` one, ``tail`` the delivery log, ``replay`` failures."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.text import Text

from hookline.cli.client import ApiClient
from hookline.cli.common import (
    DEFAULT_SERVER,
    JsonOpt,
    ServerOpt,
    TokenOpt,
    echo_json,
    from_iso,
    parse_since,
    quote_segment,
    to_iso,
)


def send(
    app_id: Annotated[str, typer.Option("--app", help="Application id or uid.")],
    event_type: Annotated[str, typer.Option("--event-type", "-e", help="Event type, e.g. user.created.")],
    data: Annotated[
        str | None, typer.Option("--data", "-d", help="The payload as JSON (or @file to read it).")
    ] = None,
    event_id: Annotated[
        str | None, typer.Option("--event-id", help="Your id for the event (duplicates answer 409).")
    ] = None,
    channel: Annotated[list[str] | None, typer.Option("--channel", help="Channel; repeatable.")] = None,
    server: ServerOpt = DEFAULT_SERVER,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Post a message through /api/v1: every matching endpoint of the application gets it.

    Examples:

      hookline send --app my-app -e user.created -d '{"id": "user_1"}'

      hookline send --app my-app -e invoice.paid -d @payload.json --json
    """
    raw = data or "{}"
    try:
        if raw.startswith("@"):
            raw = Path(raw[1:]).read_text()
        payload = json.loads(raw)
    except OSError as exc:
        raise typer.BadParameter(str(exc), param_hint="--data") from None
    except ValueError as exc:
        raise typer.BadParameter(f"not JSON: {exc}", param_hint="--data") from None
    body: dict[str, Any] = {"eventType": event_type, "payload": payload}
    if event_id:
        body["eventId"] = event_id
    if channel:
        body["channels"] = channel
    msg = ApiClient(server, token).call("POST", f"/api/v1/app/{quote_segment(app_id)}/msg", body)
    if as_json:
        echo_json(msg)
    else:
        typer.echo(f"{msg['id']} accepted: {msg['eventType']} for {app_id}")


def _attempt_line(app_id: str, attempt: dict[str, Any]) -> Text:
    status = attempt.get("responseStatusCode") or 0
    ok = attempt.get("status") == 0
    line = Text(f"{attempt['timestamp'][11:19]}  ")
    line.append(f"{status or '---':>3} {attempt.get('statusText', ''):<8}", style="green" if ok else "red")
    line.append(f" {attempt.get('responseDurationMs', 0):>5} ms  {app_id}  {attempt['msgId']}  ")
    line.append(str(attempt.get("url", "")), style="dim")
    return line


def tail(
    app_id: Annotated[
        str | None, typer.Option("--app", help="Application id or uid (default: every application).")
    ] = None,
    endpoint: Annotated[str | None, typer.Option("--endpoint", help="Only this endpoint.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Also show attempts since then (15m, 2h, ISO time).")
    ] = None,
    interval: Annotated[float, typer.Option(help="Seconds between polls.", min=0.1)] = 1.0,
    count: Annotated[
        int | None, typer.Option(help="Stop after this many attempts (default: run until Ctrl-C).", min=1)
    ] = None,
    server: ServerOpt = DEFAULT_SERVER,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Follow the delivery log: print every new delivery attempt as it happens.

    Examples:

      hookline tail                      # every application, new attempts only

      hookline tail --app my-app --since 1h --json
    """
    if endpoint and not app_id:
        raise typer.BadParameter("--endpoint needs --app", param_hint="--endpoint")
    client = ApiClient(server, token)
    start = parse_since(since) if since else time.time()
    seen: set[str] = set()
    cursors: dict[tuple[str, str], float] = {}
    shown = 0
    console = Console(highlight=False)
    status = {"text": "starting"}
    live = Live(console=console, transient=True, refresh_per_second=4,
                get_renderable=lambda: Text(status["text"], style="dim"))  # fmt: skip
    with contextlib.ExitStack() as stack:
        if not as_json and console.is_terminal:
            stack.enter_context(live)
        try:
            while count is None or shown < count:
                targets = _tail_targets(client, app_id, endpoint)
                fresh: list[tuple[str, dict[str, Any]]] = []
                for key in targets:
                    # only what is newer than the newest shown (less a second: timestamps are coarse)
                    after = cursors.get(key, start) - 1
                    attempts = client.call(
                        "GET", f"/api/v1/app/{quote_segment(key[0])}/attempt/endpoint/{quote_segment(key[1])}",
                        query={"limit": 250, "after": to_iso(after)},
                    )["data"]  # fmt: skip
                    fresh.extend((key[0], a) for a in attempts if a["id"] not in seen)
                    for a in attempts:
                        cursors[key] = max(cursors.get(key, start), from_iso(a["timestamp"]))
                for app_key, attempt in sorted(fresh, key=lambda pair: (pair[1]["timestamp"], pair[1]["id"])):
                    seen.add(attempt["id"])
                    if count is not None and shown >= count:
                        break
                    shown += 1
                    if as_json:
                        typer.echo(json.dumps({"app": app_key, **attempt}, separators=(",", ":")))
                    else:
                        console.print(_attempt_line(app_key, attempt))
                stamp = time.strftime("%H:%M:%S")
                status["text"] = f"watching {len(targets)} endpoint(s) · {shown} attempt(s) · polled {stamp}"
                if count is not None and shown >= count:
                    break
                time.sleep(interval)
        except KeyboardInterrupt:
            pass


def _tail_targets(client: ApiClient, app_id: str | None, endpoint: str | None) -> list[tuple[str, str]]:
    if app_id and endpoint:
        return [(app_id, endpoint)]
    # an application's uid, where it has one, names it in the log and works as its key
    apps = [app_id] if app_id else [a.get("uid") or a["id"] for a in client.pages("/api/v1/app")]
    return [(a, ep["id"]) for a in apps for ep in client.pages(f"/api/v1/app/{quote_segment(a)}/endpoint")]


def replay(
    app_id: Annotated[str, typer.Option("--app", help="Application id or uid.")],
    since: Annotated[str, typer.Option(help="Recover failures since then: 15m, 2h, 7d or an ISO time.")],
    until: Annotated[str | None, typer.Option(help="…and before this time (default: now).")] = None,
    endpoint: Annotated[
        list[str] | None, typer.Option("--endpoint", help="Only this endpoint; repeatable (default: all).")
    ] = None,
    server: ServerOpt = DEFAULT_SERVER,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Resend every failed message since a time, for one, several or all endpoints of an application.

    Examples:

      hookline replay --app my-app --since 2h

      hookline replay --app my-app --endpoint ep_2abc... --since 2026-01-31T08:00:00Z --json
    """
    body: dict[str, Any] = {"since": to_iso(parse_since(since))}
    if until:
        body["until"] = to_iso(parse_since(until))
    client = ApiClient(server, token)
    endpoints = endpoint or [ep["id"] for ep in client.pages(f"/api/v1/app/{quote_segment(app_id)}/endpoint")]
    results: list[dict[str, Any]] = []
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[recovered]} message(s) queued"),
        console=Console(stderr=True),
        disable=as_json,
    )
    with progress:
        task = progress.add_task("recovering", total=len(endpoints), recovered=0)
        total = 0
        for ep_id in endpoints:
            answer = client.call(
                "POST", f"/api/v1/app/{quote_segment(app_id)}/endpoint/{quote_segment(ep_id)}/recover", body
            )
            recovered = int((answer or {}).get("data", {}).get("messagesRecovered", 0))
            total += recovered
            results.append({"endpoint": ep_id, "recovered": recovered, "task": (answer or {}).get("id")})
            progress.update(task, advance=1, recovered=total)
    if as_json:
        echo_json({"app": app_id, "since": body["since"], "recovered": total, "endpoints": results})
        return
    for row in results:
        typer.echo(f"{row['endpoint']}: {row['recovered']} message(s) queued again")
    typer.echo(
        f"{total} failed message(s) since {body['since']} queued for delivery on {len(results)} endpoint(s)"
    )
