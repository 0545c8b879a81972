"""The ``hookline listen`` client: take a channel's requests and replay them on a local URL.

Each request is forwarded with its exact method, headers and body bytes (so webhook signatures
still verify), and what the local app answered is posted back so the original sender gets it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from multidict import CIMultiDict

from hookline.errors import HooklineError
from hookline.relay.channels import ingress_token
from hookline.relay.messages import HOP_BY_HOP, Reply
from hookline.relay.sse import Parser

# what the sender is told of the local app's answer; the rest of a large body is cut
REPLY_BODY_LIMIT = 256 * 1024
_NOT_FORWARDED = HOP_BY_HOP | {"host", "content-length"}


class RelayError(HooklineError):
    """The relay server refused or could not be reached."""

    code = "relay_error"


@dataclass(frozen=True)
class ListenOptions:
    """Where to listen and where to forward.

    ``ListenOptions("http://127.0.0.1:8071", "http://localhost:3000/webhooks", api_token="hl_…")``
    """

    server: str
    target: str
    api_token: str | None = None
    channel: str | None = None  # an existing channel's listen token; a new channel is created when None
    forward_timeout: float = 25.0
    reconnect_max_seconds: float = 5.0


@dataclass(frozen=True)
class Forwarded:
    """One relayed request: what arrived and, once done, what the local app answered."""

    id: str
    method: str
    path: str
    started_at: float
    status: int | None = None
    error: str | None = None
    duration_ms: float | None = None
    reported: bool = True

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready view, for ``--json`` output."""
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "error": self.error,
            "durationMs": None if self.duration_ms is None else round(self.duration_ms, 1),
            "reported": self.reported,
        }


class Events:
    """Callbacks a display implements; the defaults do nothing."""

    def connected(self, ingress_url: str) -> None:
        """The stream is open."""

    def disconnected(self, reason: str, retry_in: float) -> None:
        """The stream dropped; reconnecting after ``retry_in`` seconds."""

    def started(self, item: Forwarded) -> None:
        """A request arrived and is being forwarded."""

    def finished(self, item: Forwarded) -> None:
        """The local app answered (or could not be reached)."""


def ingress_url(server: str, listen_token: str) -> str:
    """The public URL of the channel whose listen token is ``listen_token``."""
    return f"{server.rstrip('/')}/relay/in/{ingress_token(listen_token)}"


async def create_channel(session: aiohttp.ClientSession, server: str, api_token: str | None) -> str:
    """Create a channel on ``server``; return its listen token."""
    headers = {"authorization": f"Bearer {api_token}"} if api_token else {}
    try:
        async with session.post(f"{server.rstrip('/')}/relay/channels", headers=headers) as resp:
            text = await resp.text()
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise RelayError(f"cannot reach {server}: {exc or type(exc).__name__}") from None
    if resp.status != 201:
        raise RelayError(f"creating a relay channel failed: HTTP {resp.status} {_detail(text)}")
    return str(json.loads(text)["listenToken"])


def _detail(text: str) -> str:
    with contextlib.suppress(ValueError, TypeError, AttributeError):
        return str(json.loads(text).get("detail", text))
    return text[:200]


def _target_url(target: str, query: str) -> str:
    if not query:
        return target
    return f"{target}{'&' if '?' in target else '?'}{query}"


class Listen:
    """A running listener: connect, forward, answer back, reconnect when the stream drops."""

    def __init__(self, options: ListenOptions, events: Events | None = None) -> None:
        self.options = options
        self.events = events or Events()
        self.token: str | None = options.channel
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        """The channel's ingress URL (after ``open``)."""
        assert self.token is not None
        return ingress_url(self.options.server, self.token)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Listen until ``stop`` is set; raise RelayError when the channel is unknown."""
        stop = stop or asyncio.Event()
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=None)
        # auto_decompress off: the local app's answer is relayed byte for byte, encoding header and all
        async with aiohttp.ClientSession(timeout=timeout, auto_decompress=False) as session:
            if self.token is None:
                self.token = await create_channel(session, self.options.server, self.options.api_token)
            streaming = asyncio.create_task(self._stream_forever(session))
            stopping = asyncio.create_task(stop.wait())
            try:
                await asyncio.wait({streaming, stopping}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (streaming, stopping, *self._tasks):
                    task.cancel()
                for task in (streaming, stopping, *self._tasks):
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            if streaming.done() and not streaming.cancelled() and streaming.exception():
                raise streaming.exception()  # type: ignore[misc]

    async def _stream_forever(self, session: aiohttp.ClientSession) -> None:
        delay = 0.25
        while True:
            try:
                await self._stream(session)
                reason = "the server closed the stream"
            except RelayError:
                raise
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                reason = str(exc) or type(exc).__name__
            self.events.disconnected(reason, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.options.reconnect_max_seconds)

    async def _stream(self, session: aiohttp.ClientSession) -> None:
        assert self.token is not None
        url = f"{self.options.server.rstrip('/')}/relay/listen/{self.token}?format=hookline"
        # the server pings every 30 s; a minute and more of silence means the connection is gone
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=75)
        async with session.get(url, headers={"accept": "text/event-stream"}, timeout=timeout) as resp:
            if resp.status == 404:
                raise RelayError(f"unknown or expired relay channel: {self.url}")
            if resp.status == 429:
                raise RelayError(f"the relay channel has as many listeners as it takes: {self.url}")
            if resp.status != 200:
                raise aiohttp.ClientError(f"stream answered HTTP {resp.status}")
            parser = Parser()
            while True:
                raw = await resp.content.readline()
                if not raw:
                    return
                event = parser.feed(raw.decode("utf-8").rstrip("\r\n"))
                if event is None:
                    continue
                if event.event == "ready":
                    self.events.connected(self.url)
                elif event.event == "request":
                    task = asyncio.create_task(self._forward(session, json.loads(event.data)))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)

    async def _forward(self, session: aiohttp.ClientSession, event: dict[str, Any]) -> None:
        target = urlsplit(_target_url(self.options.target, str(event.get("query") or "")))
        path = (target.path or "/") + (f"?{target.query}" if target.query else "")
        item = Forwarded(str(event["id"]), str(event["method"]), path, time.time())
        self.events.started(item)
        reply = await self.forward(session, event)
        reported = await self._report(session, str(event.get("reply_path") or ""), reply)
        done = replace(item, status=reply.status, error=reply.error, duration_ms=reply.duration_ms)
        self.events.finished(replace(done, reported=reported))

    async def forward(self, session: aiohttp.ClientSession, event: dict[str, Any]) -> Reply:
        """Send one relayed request to the local URL; return what it answered."""
        headers: CIMultiDict[str] = CIMultiDict()
        for name, value in event.get("headers", []):
            if name.lower() not in _NOT_FORWARDED:
                headers.add(name, value)
        body = base64.b64decode(event.get("body") or "")
        started = time.perf_counter()
        try:
            async with session.request(
                str(event["method"]),
                _target_url(self.options.target, str(event.get("query") or "")),
                headers=headers,
                data=body,
                allow_redirects=False,
                # send exactly what the sender sent: no client defaults added
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
                timeout=aiohttp.ClientTimeout(total=self.options.forward_timeout),
            ) as resp:
                answer = await resp.content.read(REPLY_BODY_LIMIT)
                duration = (time.perf_counter() - started) * 1000
                return Reply(
                    resp.status,
                    tuple((k, v) for k, v in resp.headers.items() if k.lower() not in _NOT_FORWARDED),
                    answer,
                    None,
                    duration,
                )
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            duration = (time.perf_counter() - started) * 1000
            reason = str(exc) or type(exc).__name__
            if isinstance(exc, TimeoutError):
                reason = f"no answer in {self.options.forward_timeout:g} s"
            return Reply(None, error=f"{self.options.target}: {reason}", duration_ms=duration)

    async def _report(self, session: aiohttp.ClientSession, reply_path: str, reply: Reply) -> bool:
        if not reply_path:
            return False
        url = f"{self.options.server.rstrip('/')}{reply_path}"
        # the reason names this machine's app: it is shown here, never sent on to the sender
        sent = replace(reply, error="unreachable") if reply.error else reply
        try:
            async with session.post(
                url, json=sent.to_json(), timeout=aiohttp.ClientTimeout(total=10)
            ) as resp:
                return resp.status == 204
        except (aiohttp.ClientError, OSError, TimeoutError):
            return False
