"""OAuth benchmark: authorization code flows per second, and whether the API stays responsive meanwhile.

Starts `hookline serve` (API and worker, SQLite) in its own process, signs a user in, registers a
confidential OAuth application (no consent screen), then runs clients that each repeat the whole flow
as fast as they are answered: `GET /oauth/authorize` (with the user's cookie) -> `POST /oauth/token`
(client_secret_basic, PKCE) -> `GET /oauth/userinfo`, while one probe times `GET /api/v1/health`
every 10 ms. Authlib runs synchronously on in-memory objects between async loads and commits, so the
probe shows whether that blocks the loop. It prints a table; nothing here is asserted.

    python bench/oauth_flow.py                  # 10 s, 8 clients
    python bench/oauth_flow.py --seconds 5 --clients 16
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import os
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
from sign_in_load import PASSWORD, SECRET_KEY, free_port, pct, probe, start_server, wait_up

CALLBACK = "https://rp.example.org/callback"


async def setup(base: str) -> tuple[str, str, str]:
    """A user signed in (their client cookie) and an OAuth application (client id and secret)."""
    async with aiohttp.ClientSession(headers={"authorization": f"Bearer {SECRET_KEY}"}) as http:
        user = {"email_address": ["ada@example.org"], "password": PASSWORD}
        async with http.post(f"{base}/v1/users", json=user) as resp:
            assert resp.status == 200, await resp.text()
        app = {"name": "bench", "redirect_uris": [CALLBACK], "scopes": "openid profile email",
               "consent_screen_enabled": False}  # fmt: skip
        async with http.post(f"{base}/v1/oauth_applications", json=app) as resp:
            made = await resp.json()
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{base}/identity/sign_in", json={"email_address": "ada@example.org", "password": PASSWORD}
        ) as resp,
    ):
        signed = await resp.json()
    return signed["client_token"], made["client_id"], made["client_secret"]


async def flows(base: str, cookie: str, client_id: str, secret: str, stop: asyncio.Event,
                steps: dict[str, list[float]]) -> None:  # fmt: skip
    """Repeat the whole flow until ``stop``, recording milliseconds per step."""
    basic = {"authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}
    async with aiohttp.ClientSession(cookies={"__client": cookie}) as http:
        while not stop.is_set():
            verifier = secrets.token_urlsafe(48)
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            )
            params = {"client_id": client_id, "response_type": "code", "redirect_uri": CALLBACK, "state": "s",
                      "scope": "openid profile email", "nonce": secrets.token_urlsafe(12),
                      "code_challenge": challenge, "code_challenge_method": "S256"}  # fmt: skip
            t0 = time.perf_counter()
            async with http.get(f"{base}/oauth/authorize", params=params, allow_redirects=False) as resp:
                assert resp.status == 302, await resp.text()
                code = parse_qs(urlsplit(resp.headers["location"]).query)["code"][0]
            t1 = time.perf_counter()
            form = {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": CALLBACK,
                "code_verifier": verifier,
            }
            async with http.post(f"{base}/oauth/token", data=form, headers=basic) as resp:
                token = await resp.json()
                assert resp.status == 200, token
            t2 = time.perf_counter()
            bearer = {"authorization": f"Bearer {token['access_token']}"}
            async with http.get(f"{base}/oauth/userinfo", headers=bearer) as resp:
                assert resp.status == 200, await resp.text()
            t3 = time.perf_counter()
            for name, took in (
                ("authorize", t1 - t0),
                ("token", t2 - t1),
                ("userinfo", t3 - t2),
                ("flow", t3 - t0),
            ):
                steps[name].append(took * 1000)


async def run(clients: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(Path(tmp) / "bench.db", port, 1_000_000)
        try:
            await wait_up(base)
            cookie, client_id, secret = await setup(base)
            stop = asyncio.Event()
            steps: dict[str, list[float]] = {"authorize": [], "token": [], "userinfo": [], "flow": []}
            probing = asyncio.create_task(probe(base, stop))
            load = [
                asyncio.create_task(flows(base, cookie, client_id, secret, stop, steps))
                for _ in range(clients)
            ]
            await asyncio.sleep(seconds)
            stop.set()
            health = await probing
            await asyncio.gather(*load)
        finally:
            server.terminate()
            server.wait(20)
    print(f"OAuth code flows with {clients} clients for {seconds:g} s, SQLite, {os.cpu_count()} CPUs: "
          f"{len(steps['flow']) / seconds:.0f} flows/s")  # fmt: skip
    head = ("step", "count", "p50 ms", "p95 ms", "p99 ms", "max ms")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name, times in [*steps.items(), ("health probe (concurrent)", health)]:
        row = (name, len(times), f"{statistics.median(times):.1f}", f"{pct(times, 0.95):.1f}",
               f"{pct(times, 0.99):.1f}", f"{max(times):.1f}")  # fmt: skip
        print("| " + " | ".join(str(c) for c in row) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    asyncio.run(run(args.clients, args.seconds))


if __name__ == "__main__":
    main()
