"""A small HTTP/1.1 client for webhook POSTs: keep-alive pools, a connect-time address guard, no redirects.

Delivery is one request shape (POST, bytes body, short response read) sent thousands of times a
second; a protocol-level client on httptools does that at a fraction of a general client's cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httptools

from hookline.bounded import BoundedDict

Resolver = Callable[[str, int], Awaitable[list[str]]]
MAX_DISCARD = 1024 * 1024  # read at most this much of a response before giving up on the connection
CACHE_ENTRIES = 10_000  # parsed URLs and resolved hosts kept per process


class HttpError(Exception):
    """The request could not be completed (connection, TLS, protocol or address refused)."""


class ProtocolError(HttpError):
    """The receiver answered, but not with HTTP/1.1 this client reads (it was reached all the same)."""


@dataclass(frozen=True)
class Response:
    """Status, lower-cased headers and the first bytes of the body."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class _Route:
    """A parsed webhook URL: its pool key (scheme, host, port) and the head's first lines."""

    key: tuple[str, str, int]
    head: str


class _Connection(asyncio.Protocol):
    def __init__(self, body_limit: int) -> None:
        self.body_limit = body_limit
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.waiter: asyncio.Future[None] | None = None
        self.received = False
        # one parser for the connection's life: it starts over after each complete response
        self.parser = httptools.HttpResponseParser(self)
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = bytearray()
        self.size = 0
        self.keep_alive = True
        self.received = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.received = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(ProtocolError("the receiver switched protocols"))
        except httptools.HttpParserError as exc:
            self._fail(ProtocolError(f"malformed HTTP response: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if exc is None and self._ends_at_close():
            # a body without Content-Length or chunking (HTTP/1.0 style) ends where the connection does
            self.keep_alive = False
            self._done()
        self._fail(HttpError("connection closed before the response was complete"))

    def _ends_at_close(self) -> bool:
        """The response's head is in and its body is delimited by the connection closing."""
        return (
            self.status != 0
            and "content-length" not in self.headers
            and "chunked" not in self.headers.get("transfer-encoding", "").lower()
        )

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()

    def on_body(self, chunk: bytes) -> None:
        self.size += len(chunk)
        room = self.body_limit - len(self.body)
        if room > 0:
            self.body.extend(chunk[:room])
        if self.size > MAX_DISCARD:
            self.keep_alive = False
            self._done()

    def on_message_complete(self) -> None:
        self.keep_alive = self.keep_alive and self.parser.should_keep_alive()
        self._done()

    def _done(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def _fail(self, exc: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)

    async def request(self, head: bytes, body: bytes, timeout: float) -> Response:
        """Send one request and wait at most ``timeout`` seconds for its whole response."""
        self._reset()
        loop = asyncio.get_running_loop()
        self.waiter = loop.create_future()
        assert self.transport is not None
        self.transport.write(head + body if len(body) < 65536 else head)
        if len(body) >= 65536:
            self.transport.write(body)
        # a plain timer rather than asyncio.timeout(): this runs for every delivery
        timer = loop.call_later(timeout, self._fail, TimeoutError())
        try:
            await self.waiter
        finally:
            timer.cancel()
        return Response(self.status, self.headers, bytes(self.body))

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.close()
        self.closed = True


class HttpClient:
    """POSTs over pooled keep-alive connections; ``resolve`` returns the addresses a host may be reached on."""

    def __init__(
        self,
        resolve: Resolver,
        *,
        body_limit: int = 4096,
        max_idle_per_host: int = 64,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.resolve = resolve
        self.body_limit = body_limit
        self.max_idle_per_host = max_idle_per_host
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._routes: BoundedDict[str, _Route] = BoundedDict(CACHE_ENTRIES)
        self._ssl = ssl_context

    async def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> Response:
        """POST ``body`` to ``url``; raise HttpError or TimeoutError when no complete response arrives."""
        route = self._routes.get(url) or self._route(url)
        head = "".join((route.head, f"content-length: {len(body)}\r\n", *(f"{k}: {v}\r\n" for k, v in headers.items()), "\r\n"))  # fmt: skip
        data = head.encode("latin-1")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        conn = self._pooled(route.key)
        if conn is not None:
            try:
                return self._finish(route.key, conn, await conn.request(data, body, timeout))
            except HttpError:
                conn.close()
                if conn.received:
                    raise
                # the receiver closed an idle keep-alive connection: try once on a fresh one
            except (Exception, asyncio.CancelledError):
                # not on GeneratorExit: a coroutine destroyed with its loop must not touch the loop
                conn.close()
                raise
        async with asyncio.timeout_at(deadline):
            conn = await self._connect(*route.key)
        try:
            return self._finish(
                route.key, conn, await conn.request(data, body, max(0.0, deadline - loop.time()))
            )
        except (Exception, asyncio.CancelledError):
            conn.close()
            raise

    def _route(self, url: str) -> _Route:
        """Parse a URL once: its pool key and the request line with the host header."""
        parts = urlsplit(url)
        scheme = parts.scheme
        host = parts.hostname or ""
        if scheme not in ("http", "https") or not host:
            raise HttpError(f"cannot send to {url!r}")
        port = parts.port or (443 if scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host_header = parts.netloc.rpartition("@")[2]
        route = _Route((scheme, host, port), f"POST {target} HTTP/1.1\r\nhost: {host_header}\r\n")
        return self._routes.put(url, route)

    def _pooled(self, key: tuple[str, str, int]) -> _Connection | None:
        pool = self._idle.get(key)
        while pool:
            conn = pool.pop()
            if not conn.closed:
                return conn
        return None

    def _finish(self, key: tuple[str, str, int], conn: _Connection, response: Response) -> Response:
        pool = self._idle.setdefault(key, [])
        if conn.keep_alive and not conn.closed and len(pool) < self.max_idle_per_host:
            pool.append(conn)
        else:
            conn.close()
        return response

    async def _connect(self, scheme: str, host: str, port: int) -> _Connection:
        addresses = await self.resolve(host, port)
        loop = asyncio.get_running_loop()
        last: Exception | None = None
        for address in addresses:
            try:
                _, conn = await loop.create_connection(
                    lambda: _Connection(self.body_limit),
                    address,
                    port,
                    ssl=self._ssl_context() if scheme == "https" else None,
                    server_hostname=host if scheme == "https" else None,
                )
                sock = conn.transport.get_extra_info("socket") if conn.transport else None
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return conn
            except (OSError, ssl.SSLError) as exc:
                last = exc
        raise HttpError(f"cannot connect to {host}:{port}: {last}") from None

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    async def close(self) -> None:
        """Close every pooled connection."""
        for pool in self._idle.values():
            for conn in pool:
                conn.close()
        self._idle.clear()


async def getaddrinfo_lookup(host: str, port: int) -> list[str]:
    """The addresses a name resolves to, through the event loop's getaddrinfo."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class CachingResolver:
    """Resolves names with ``lookup``, keeps answers ``ttl`` seconds, and lets ``check`` filter them."""

    def __init__(
        self,
        check: Callable[[str, list[str]], list[str]],
        lookup: Callable[[str, int], Awaitable[list[str]]] = getaddrinfo_lookup,
        ttl: float = 10.0,
    ) -> None:
        self.check = check
        self.lookup = lookup
        self.ttl = ttl
        self._cache: BoundedDict[tuple[str, int], tuple[float, list[str]]] = BoundedDict(CACHE_ENTRIES)

    async def __call__(self, host: str, port: int) -> list[str]:
        now = time.monotonic()
        hit = self._cache.get((host, port))
        if hit is not None and hit[0] > now:
            return hit[1]
        try:
            addresses = await self.lookup(host, port)
        except OSError as exc:
            raise HttpError(f"cannot resolve {host}: {exc}") from None
        allowed = self.check(host, addresses)
        self._cache.put((host, port), (now + self.ttl, allowed))
        return allowed
