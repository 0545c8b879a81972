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
    JsonOpt,
    ServerOpt,
    TokenOpt,
    client_target,
    echo_json,
    from_iso,
    parse_since,
    quote_segment,
    to_iso,
)

AppOpt = Annotated[str, typer.Option("--app", metavar="APP", help="Application id or uid.")]
# how many of an endpoint's latest failed attempts `replay` reads to find deliveries waiting for a retry
WAITING_SCAN = 10_000


def send(
    app_id: AppOpt,
    event_type: Annotated[
        str, typer.Option("--event-type", "-e", metavar="TYPE", help="Event type, e.g. user.created.")
    ],
    data: Annotated[
        str | None,
        typer.Option("--data", "-d", metavar="JSON", help="The payload as JSON (or @file to read it)."),
    ] = None,
    event_id: Annotated[
        str | None,
        typer.Option("--event-id", metavar="ID", help="Your id for the event (duplicates answer 409)."),
    ] = None,
    channel: Annotated[
        list[str] | None, typer.Option("--channel", metavar="CHANNEL", help="Channel; repeatable.")
    ] = None,
    server: ServerOpt = None,
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
    client = ApiClient.to(client_target(server, token))
    msg = client.call("POST", f"/api/v1/app/{quote_segment(app_id)}/msg", body)
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
    if not ok:
        line.append(f"  {failure_reason(attempt)}", style="red")
    return line


# how much of a receiver's answer a failed attempt's line shows
REASON_CHARS = 120


def failure_reason(attempt: dict[str, Any]) -> str:
    """Why a try failed, in a few words: the network error, or the status and the start of the answer."""
    status = attempt.get("responseStatusCode") or 0
    text = " ".join(str(attempt.get("response") or "").split())
    if len(text) > REASON_CHARS:
        text = text[: REASON_CHARS - 1] + "…"
    if not status:
        return text or "no response"
    label = f"HTTP {status}"
    return f"{label}: {text}" if text else f"{label}, empty answer"


def tail(
    app_id: Annotated[
        str | None,
        typer.Option("--app", metavar="APP", help="Application id or uid (default: every application)."),
    ] = None,
    endpoint: Annotated[
        str | None, typer.Option("--endpoint", metavar="ENDPOINT", help="Only this endpoint.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(metavar="TIME", help="Also show attempts since then (15m, 2h, ISO time)."),
    ] = None,
    interval: Annotated[float, typer.Option(metavar="SECONDS", help="Seconds between polls.", min=0.1)] = 1.0,
    count: Annotated[
        int | None,
        typer.Option(metavar="N", help="Stop after this many attempts (default: run until Ctrl-C).", min=1),
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Follow the delivery log: print every new delivery attempt as it happens.

    A failed attempt's line ends with why it failed: the network error, or the receiver's status
    and the start of its answer.

    Examples:

      hookline tail                      # every application, new attempts only

      hookline tail --app my-app --since 1h --json
    """
    if endpoint and not app_id:
        raise typer.BadParameter("--endpoint needs --app", param_hint="--endpoint")
    client = ApiClient.to(client_target(server, token))
    start = parse_since(since) if since else time.time()
    seen: set[str] = set()
    cursors: dict[tuple[str, str], float] = {}
    circuits: dict[tuple[str, str], str] = {}  # each endpoint's circuit breaker state, as last shown
    shown = 0
    # soft wrap: a line piped to a file or a program stays one line, whatever the width
    console = Console(highlight=False, soft_wrap=True)
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
                    _show_circuit(client, console, key, circuits, as_json)
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


def _show_circuit(
    client: ApiClient,
    console: Console,
    key: tuple[str, str],
    circuits: dict[tuple[str, str], str],
    as_json: bool,
) -> None:
    """Print a line when an endpoint's circuit breaker changes (or is open when first seen)."""
    stats = client.call("GET", f"/api/v1/app/{quote_segment(key[0])}/endpoint/{quote_segment(key[1])}/stats")
    circuit = stats.get("circuit") or {}
    state = circuit.get("state") or "closed"
    if circuits.get(key, "closed") == state:
        circuits[key] = state
        return
    circuits[key] = state
    if as_json:
        typer.echo(json.dumps({"app": key[0], "endpoint": key[1], "circuit": circuit}, separators=(",", ":")))
        return
    if state == "closed":
        text = "circuit closed: the endpoint answers again, deliveries resume"
    elif state == "open":
        text = f"circuit open: failing fast after {circuit.get('failures')} unreachable tries; next probe {circuit.get('nextProbeAt')}"
    else:
        text = "circuit probing: one delivery tests whether the endpoint recovered"
    console.print(Text(f"{key[0]} {key[1]} {text}", style="yellow" if state != "closed" else "green"))


def _tail_targets(client: ApiClient, app_id: str | None, endpoint: str | None) -> list[tuple[str, str]]:
    if app_id and endpoint:
        return [(app_id, endpoint)]
    # an application's uid, where it has one, names it in the log and works as its key
    apps = [app_id] if app_id else [a.get("uid") or a["id"] for a in client.pages("/api/v1/app")]
    return [(a, ep["id"]) for a in apps for ep in client.pages(f"/api/v1/app/{quote_segment(a)}/endpoint")]


def replay(
    app_id: AppOpt,
    since: Annotated[
        str, typer.Option(metavar="TIME", help="Recover failures since then: 15m, 2h, 7d or an ISO time.")
    ],
    until: Annotated[
        str | None, typer.Option(metavar="TIME", help="…and before this time (default: now).")
    ] = None,
    endpoint: Annotated[
        list[str] | None,
        typer.Option("--endpoint", metavar="ENDPOINT", help="Only this endpoint; repeatable (default: all)."),
    ] = None,
    include_waiting: Annotated[
        bool,
        typer.Option(
            "--include-waiting",
            help="Also send now the messages that failed and are still waiting for their next retry.",
        ),
    ] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Resend every failed message since a time, for one, several or all endpoints of an application.

    A message whose tries failed but whose retries are not used up is not failed yet: it waits for
    its next retry. replay says how many wait and when their next try is; --include-waiting sends
    them now as well.

    Examples:

      hookline replay --app my-app --since 2h

      hookline replay --app my-app --since 1h --include-waiting

      hookline replay --app my-app --endpoint ep_2abc... --since 2026-01-31T08:00:00Z --json
    """
    start = parse_since(since)
    end = parse_since(until) if until else None
    body: dict[str, Any] = {"since": to_iso(start)}
    if end is not None:
        body["until"] = to_iso(end)
    client = ApiClient.to(client_target(server, token))
    app_path = f"/api/v1/app/{quote_segment(app_id)}"
    endpoints = endpoint or [ep["id"] for ep in client.pages(f"{app_path}/endpoint")]
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
            ep_path = f"{app_path}/endpoint/{quote_segment(ep_id)}"
            # read before recovering: recovered messages wait for their (immediate) next try too
            waiting = _waiting_for_retry(client, app_path, ep_id, start, end)
            answer = client.call("POST", f"{ep_path}/recover", body)
            recovered = int((answer or {}).get("data", {}).get("messagesRecovered", 0))
            sent_now = 0
            if include_waiting:
                for msg_id, _ in waiting:
                    client.call(
                        "POST",
                        f"{app_path}/msg/{quote_segment(msg_id)}/endpoint/{quote_segment(ep_id)}/resend",
                    )
                    sent_now += 1
            total += recovered + sent_now
            results.append({
                "endpoint": ep_id, "recovered": recovered, "task": (answer or {}).get("id"),
                "waiting": len(waiting), "nextAttempts": [at for _, at in waiting], "sentNow": sent_now,
            })  # fmt: skip
            progress.update(task, advance=1, recovered=total)
    waiting_total = sum(row["waiting"] for row in results)
    due = sorted(at for row in results for at in row["nextAttempts"])
    if as_json:
        echo_json({
            "app": app_id, "since": body["since"], "recovered": sum(r["recovered"] for r in results),
            "waiting": waiting_total, "nextAttempt": due[0] if due else None,
            "sentNow": sum(r["sentNow"] for r in results), "endpoints": results,
        })  # fmt: skip
        return
    for row in results:
        extra = ""
        if row["waiting"]:
            verb = "sent now" if include_waiting else "waiting for a retry"
            extra = f"; {row['waiting']} more {verb}"
        typer.echo(f"{row['endpoint']}: {row['recovered']} message(s) queued again{extra}")
    recovered_total = sum(r["recovered"] for r in results)
    typer.echo(
        f"{recovered_total} failed message(s) since {body['since']} queued for delivery "
        f"on {len(results)} endpoint(s)"
    )
    if waiting_total and include_waiting:
        typer.echo(f"{waiting_total} message(s) that were waiting for a retry sent now as well")
    elif waiting_total:
        when = f"at {_clock(due[0])}" if len(due) == 1 else f"between {_clock(due[0])} and {_clock(due[-1])}"
        typer.echo(
            f"{waiting_total} more message(s) failed and wait for a retry, due {when}; "
            "add --include-waiting to send them now"
        )


def _clock(iso: str) -> str:
    """An API time as local date and time, to the second."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(from_iso(iso)))


def _waiting_for_retry(
    client: ApiClient, app_path: str, ep_id: str, since: float, until: float | None
) -> list[tuple[str, str]]:
    """The messages created in [since, until) whose delivery to the endpoint failed and waits for its
    next retry, with when that is due (the API's time), the soonest first."""
    # a delivery with a retry due is listed as sending (3), with its nextAttempt
    retrying = client.pages(
        f"{app_path}/endpoint/{quote_segment(ep_id)}/msg",
        query={"status": 3, "with_content": "false"},
        most=WAITING_SCAN,
    )
    waiting = {
        m["id"]: str(m["nextAttempt"])
        for m in retrying
        if m.get("nextAttempt")
        and since <= from_iso(m["timestamp"])
        and (until is None or from_iso(m["timestamp"]) < until)
    }
    return sorted(waiting.items(), key=lambda pair: pair[1])
