"""``hookline demo``: the whole chain once, on a throw-away server and a sample receiver."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import typer

from hookline.cli.common import CliError, JsonOpt, echo_json


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

    from hookline.config import DeliverySettings, Settings, parse_networks
    from hookline.server import create_app
    from hookline.signing import Webhook
    from hookline.store.secret_box import new_key

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
            encryption_key=new_key(),  # a throwaway database: no key to print or keep
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
