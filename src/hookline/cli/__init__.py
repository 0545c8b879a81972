"""The ``hookline`` command line."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.text import Text

from hookline.cli import server, verify
from hookline.cli.client import ApiClient
from hookline.cli.common import (
    DEFAULT_SERVER,
    CliError,
    DatabaseOpt,
    JsonOpt,
    ServerOpt,
    TokenOpt,
    echo_json,
    from_iso,
    parse_since,
    quote_segment,
    to_iso,
)
from hookline.errors import HooklineError

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


# -- client commands: talk to a running server over HTTP ------------------------------------------


@app.command()
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


@app.command()
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


@app.command()
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


@app.command()
def listen(
    target: Annotated[
        str, typer.Argument(help="The local URL to forward to, e.g. http://localhost:3000/webhooks.")
    ],
    server: ServerOpt = DEFAULT_SERVER,
    token: TokenOpt = None,
    channel: Annotated[
        str | None,
        typer.Option("--channel", help="Reuse a channel (its token) instead of creating one."),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the local app.", min=0.1)] = 25.0,
    as_json: JsonOpt = False,
) -> None:
    """Forward webhooks from a public relay URL to an app on this machine, no tunnel needed.

    Creates a channel on the server (unless --channel is given), prints its URL (give it to the
    webhook sender), and replays every request on TARGET with the same method, headers and body
    bytes, so signatures still verify. The sender gets the local app's answer; 502 when it is down.

    Examples:

      hookline listen http://localhost:3000/api/webhooks --server https://hooks.example.com

      hookline listen http://localhost:3000/api/webhooks --channel Xy3… --json
    """
    from hookline.relay.display import JsonLines, LiveDisplay
    from hookline.relay.listen import Listen, ListenOptions

    parts = urllib.parse.urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise typer.BadParameter(f"{target!r} is not an http(s) URL", param_hint="TARGET")
    console = Console(highlight=False)
    events = JsonLines(console) if as_json else LiveDisplay(console, target)
    options = ListenOptions(server, target, token, channel, forward_timeout=timeout)
    runner = Listen(options, events)

    async def run() -> None:
        if isinstance(events, LiveDisplay) and console.is_terminal:
            with events.live:
                await runner.run()
        else:
            await runner.run()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


# -- token: API tokens in the database -------------------------------------------------------------

token_app = typer.Typer(
    help="Create, list and revoke API tokens for /api/v1 (stored as SHA-256 hashes).",
    no_args_is_help=True,
)
app.add_typer(token_app, name="token")


async def _with_store(database: str | None, work: Any) -> Any:
    from hookline.config import Settings
    from hookline.store.store import Store

    store = await Store.connect(Settings.from_env(database_url=database).database_url)
    try:
        return await work(store)
    finally:
        await store.close()


def _run_db(database: str | None, work: Any) -> Any:
    try:
        return asyncio.run(_with_store(database, work))
    except (OSError, HooklineError) as exc:
        raise CliError(str(exc)) from None


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option("--name", help="What the token is for, e.g. ci or billing-service.")],
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Issue a token; it is printed once (running servers accept it within two seconds).

    Example: hookline token create --name ci
    """
    from hookline.api.runtime import new_api_token, token_digest
    from hookline.ids import new_id

    secret = new_api_token()
    now = time.time()
    token_id = new_id("tok", now)

    async def work(store: Any) -> None:
        async with store.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO api_tokens (id, name, token_sha256, hint, created_at) VALUES (?, ?, ?, ?, ?)",
                (token_id, name, token_digest(secret), secret[:7] + "…", now),
            )

    _run_db(database, work)
    if as_json:
        echo_json({"id": token_id, "name": name, "token": secret, "createdAt": to_iso(now)})
    else:
        typer.echo(f"{token_id} ({name}): {secret}")
        typer.echo("Shown once: only its hash is stored.", err=True)


@token_app.command("list")
def token_list(
    revoked: Annotated[bool, typer.Option("--revoked", help="Include revoked tokens.")] = False,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List issued tokens (their start only; tokens themselves are not stored).

    Example: hookline token list --json
    """

    async def work(store: Any) -> list[Any]:
        async with store.db.reader() as c:
            rows: list[Any] = await c.fetchall(
                "SELECT id, name, hint, created_at, revoked_at FROM api_tokens ORDER BY created_at, id"
            )
        return rows

    rows = [
        {
            "id": r[0],
            "name": r[1],
            "hint": r[2],
            "createdAt": to_iso(float(r[3])),
            "revokedAt": None if r[4] is None else to_iso(float(r[4])),
        }
        for r in _run_db(database, work)
        if revoked or r[4] is None
    ]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo("no tokens (create one with `hookline token create --name NAME`)")
    for row in rows:
        state = f"revoked {row['revokedAt']}" if row["revokedAt"] else "active"
        typer.echo(f"{row['id']}  {row['name']:<20} {row['hint']:<10} created {row['createdAt']}  {state}")


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (tok_…), from `hookline token list`.")],
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke a token; running servers refuse it within two seconds.

    Example: hookline token revoke tok_2abc…
    """
    now = time.time()

    async def work(store: Any) -> int:
        async with store.db.transaction() as tx:
            changed: int = await tx.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (now, token_id)
            )
            return changed

    if not _run_db(database, work):
        raise CliError(f"no active token {token_id}")
    if as_json:
        echo_json({"id": token_id, "revokedAt": to_iso(now)})
    else:
        typer.echo(f"{token_id} revoked")


# -- demo and bench --------------------------------------------------------------------------------


@app.command()
def demo(as_json: JsonOpt = False) -> None:
    """Run the whole chain once on a throw-away server: sign a user up, receive `user.created`, verify it.

    Starts hookline on a free port over a temporary SQLite file, subscribes a sample receiver to
    the identity application, signs a user up, and prints the event the receiver got and verified.

    Example: hookline demo
    """
    result = asyncio.run(_demo())
    if as_json:
        echo_json(result)
        return
    typer.echo(f"server        {result['server']}")
    typer.echo(f"signed up     {result['email']} → {result['userId']}")
    typer.echo(f"received      {result['headers']['webhook-id']} ({result['event']['type']})")
    typer.echo(f"signature     verified with {result['secret'][:12]}…")
    typer.echo(json.dumps(result["event"], indent=2, ensure_ascii=False))


async def _demo() -> dict[str, Any]:
    """Start a throw-away server and receiver, sign a user up, return the verified event."""
    import secrets
    import tempfile

    import aiohttp
    import uvicorn
    from aiohttp import web

    from hookline.api import create_app
    from hookline.config import DeliverySettings, Settings, parse_networks
    from hookline.signing import Webhook

    got: asyncio.Future[tuple[dict[str, str], bytes]] = asyncio.get_running_loop().create_future()

    async def receive(request: web.Request) -> web.Response:
        if not got.done():
            got.set_result((dict(request.headers), await request.read()))
        return web.Response(text="ok")

    receiver = web.Application()
    receiver.router.add_post("/webhooks", receive)
    runner = web.AppRunner(receiver, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    receiver_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    with tempfile.TemporaryDirectory(prefix="hookline-demo-") as tmp:
        token = "hl_demo_" + secrets.token_urlsafe(16)
        settings = Settings(
            database_url=f"sqlite:///{tmp}/demo.db",
            port=_free_port(),
            api_token=token,
            secret_key="sk_demo_" + secrets.token_urlsafe(16),
            delivery=DeliverySettings(allowed_targets=parse_networks("127.0.0.0/8")),
        )
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings), host="127.0.0.1", port=settings.port, log_level="error")
        )
        serving = asyncio.create_task(server.serve())
        try:
            while not server.started:
                if serving.done():
                    raise CliError(f"the demo server did not start: {serving.exception()}")
                await asyncio.sleep(0.02)
            auth = {"authorization": f"Bearer {token}"}
            async with aiohttp.ClientSession(settings.base_url, headers=auth) as http:
                app_body = {"name": "Identity", "uid": "identity"}
                await _ok(http.post("/api/v1/app", params={"get_if_exists": "true"}, json=app_body))
                ep = await _ok(
                    http.post(
                        "/api/v1/app/identity/endpoint",
                        json={
                            "url": f"http://127.0.0.1:{receiver_port}/webhooks",
                            "eventTypes": ["user.created"],
                        },
                    )
                )
                secret = (await _ok(http.get(f"/api/v1/app/identity/endpoint/{ep['id']}/secret")))["key"]
                email = f"ada+{secrets.token_hex(3)}@example.com"
                signed = await _ok(
                    http.post(
                        "/identity/sign_up",
                        json={
                            "email_address": email,
                            "password": "correct horse battery 42",
                            "first_name": "Ada",
                        },
                    )
                )
            try:
                headers, body = await asyncio.wait_for(got, 20)
            except TimeoutError:
                raise CliError("the sample receiver got no user.created event in 20 s") from None
            event = Webhook(secret).verify(body, headers)
        finally:
            server.should_exit = True
            await serving
            await runner.cleanup()
    return {
        "server": settings.base_url,
        "email": email,
        "userId": signed["user"]["id"],
        "secret": secret,
        "headers": {k.lower(): v for k, v in headers.items() if k.lower().startswith(("webhook-", "svix-"))},
        "event": event,
    }


async def _ok(call: Any) -> Any:
    async with call as resp:
        data = await resp.json(content_type=None)
        if resp.status >= 300:
            raise CliError(f"{resp.method} {resp.url.path}: HTTP {resp.status} {data}")
        return data


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench(ctx: typer.Context) -> None:
    """Run the delivery benchmark (bench/delivery.py of a source checkout); options pass through.

    Examples:

      hookline bench --quick

      hookline bench --database postgresql://postgres@127.0.0.1:5432/test
    """
    import importlib.util

    candidates = [
        Path.cwd() / "bench" / "delivery.py",
        # the checkout root, three levels above src/hookline/cli/
        Path(__file__).resolve().parents[3] / "bench" / "delivery.py",
    ]
    script = next((p for p in candidates if p.is_file()), None)
    if script is None:
        raise CliError(
            "bench/delivery.py is not here: the benchmark ships with the source checkout "
            "(git clone the project and run `hookline bench` in it)"
        )
    spec = importlib.util.spec_from_file_location("hookline_bench_delivery", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(script.parent))
    spec.loader.exec_module(module)
    raise typer.Exit(int(module.main(list(ctx.args)) or 0))


def main() -> None:
    """Entry point of the ``hookline`` script: one line and exit code 1 for any failure."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except HooklineError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
