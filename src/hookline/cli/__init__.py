"""The ``hookline`` command line."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from hookline.cli import listen, messages, server, verify
from hookline.cli.client import ApiClient
from hookline.cli.common import DEFAULT_SERVER, CliError, DatabaseOpt, JsonOpt, echo_json, parse_since, to_iso
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
