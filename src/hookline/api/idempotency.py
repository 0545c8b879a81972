"""``idempotency-key`` on POSTs: the same key within 24 h gets the first answer again, and changes nothing."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hookline.api import wire

STORED_FLAG = "hookline.idempotency_stored"
# set by a route whose answer holds a secret (a new endpoint secret, a portal token): it is never
# stored, so a retry with the same key runs again instead of reading a secret back from the database
NO_STORE_FLAG = "hookline.idempotency_no_store"


def idempotency_scope_key(path: str, authorization: bytes, key: bytes) -> str:
    """The stored key: the route, the caller (a hash of its token) and the key it sent."""
    return f"{path}:{hashlib.sha256(authorization).hexdigest()[:16]}:{key.decode('latin-1')}"


class IdempotencyMiddleware:
    """Replays the stored answer for a repeated key; concurrent requests with one key wait for the first."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._in_flight: dict[str, asyncio.Future[None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith("/api/v1/"):
            await self.app(scope, receive, send)
            return
        raw_key = next((v for k, v in scope["headers"] if k == b"idempotency-key"), None)
        if not raw_key:
            await self.app(scope, receive, send)
            return
        auth = next((v for k, v in scope["headers"] if k == b"authorization"), b"")

        key = idempotency_scope_key(scope["path"], auth, raw_key)
        scope["hookline.idempotency_key"] = key
        rt = scope["app"].state.runtime
        while key in self._in_flight:
            await asyncio.shield(self._in_flight[key])
        stored = await rt.store.get_idempotent(key, time.time() - rt.settings.idempotency_seconds)
        if stored is not None:
            await _replay(send, stored[0], stored[1])
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = done
        captured: dict[str, Any] = {"status": 0, "body": bytearray()}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
            elif message["type"] == "http.response.body":
                captured["body"].extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
            status = captured["status"]
            if 200 <= status < 300 and not scope.get(STORED_FLAG) and not scope.get(NO_STORE_FLAG):
                await rt.store.put_idempotent(key, status, captured["body"].decode() or "{}")
        finally:
            self._in_flight.pop(key, None)
            done.set_result(None)


async def _replay(send: Send, status: int, body: str) -> None:
    await wire.send_json(send, status, body.encode() or b"{}")


class BodyLimitMiddleware:
    """Answers 413 for request bodies over the limit, before anything is read into memory or stored."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if length is not None and length.isdigit() and int(length) > self.limit:
            await _too_large(send, self.limit)
            return
        seen = 0
        over = False
        started = False

        async def limited() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    over = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # a route may turn the exception into an answer of its own (FastAPI makes it a 400 "error
            # parsing the body"): once the limit is passed, the answer is the 413 and nothing else
            nonlocal started
            if over:
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await _too_large(send, self.limit)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(_TooLarge):
            await self.app(scope, limited, guarded_send)
        if over and not started:
            await _too_large(send, self.limit)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    status, data = wire.too_large(limit)
    await wire.send_json(send, status, wire.json_bytes(data))
