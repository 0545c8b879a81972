"""The delivery HTTP client against real servers: keep-alive, stale connections, bodies, TLS, timeouts."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator

import pytest
import trustme
from aiohttp import web

from hookline.delivery.http import CachingResolver, HttpClient, HttpError


async def loopback(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


class Server:
    """An aiohttp server on a free port that counts connections and requests."""

    def __init__(
        self, handler: web.RequestHandler | None = None, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self.requests: list[tuple[str, bytes, dict[str, str]]] = []
        self.peers: set[tuple[str, int]] = set()
        self.handler = handler
        self.ssl_context = ssl_context
        self.port = 0
        self.runner: web.AppRunner | None = None

    async def start(self) -> Server:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        if peer:
            self.peers.add(peer)
        self.requests.append((request.path_qs, await request.read(), dict(request.headers)))
        if self.handler is not None:
            return await self.handler(request)
        return web.Response(text="ok")

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()


@pytest.fixture
async def client() -> AsyncIterator[HttpClient]:
    c = HttpClient(loopback, body_limit=16)
    yield c
    await c.close()


async def test_requests_reuse_one_keep_alive_connection(client: HttpClient) -> None:
    server = await Server().start()
    try:
        for i in range(5):
            resp = await client.post(
                f"http://127.0.0.1:{server.port}/hook?n={i}", b'{"n":1}', {"x-a": "b"}, 5
            )
            assert resp.status == 200 and resp.body == b"ok"
        assert len(server.peers) == 1
        path, body, headers = server.requests[-1]
        assert path == "/hook?n=4" and body == b'{"n":1}' and headers["x-a"] == "b"
        assert headers["Host"] == f"127.0.0.1:{server.port}"
    finally:
        await server.stop()


async def test_a_connection_the_receiver_closed_is_replaced_without_failing(client: HttpClient) -> None:
    server = await Server().start()
    try:
        assert (await client.post(f"http://127.0.0.1:{server.port}/", b"1", {}, 5)).status == 200
        await server.stop()  # closes the idle keep-alive connection
        server2 = Server()
        server2.port = server.port
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", server2._handle)
        server2.runner = web.AppRunner(app, access_log=None)
        await server2.runner.setup()
        await web.TCPSite(server2.runner, "127.0.0.1", server.port).start()
        try:
            assert (await client.post(f"http://127.0.0.1:{server.port}/", b"2", {}, 5)).status == 200
            assert [r[1] for r in server2.requests] == [b"2"]
        finally:
            await server2.stop()
    finally:
        await server.stop()


async def test_long_and_chunked_bodies_are_read_and_truncated(client: HttpClient) -> None:
    async def chunked(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(
            status=503, headers={"Retry-After": "7", "webhook-delivery": "abort-message"}
        )
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for _ in range(10):
            await resp.write(b"0123456789")
        await resp.write_eof()
        return resp

    server = await Server(chunked).start()
    try:
        for _ in range(2):  # the connection is reusable after a chunked answer
            resp = await client.post(f"http://127.0.0.1:{server.port}/", b"{}", {}, 5)
            assert resp.status == 503
            assert resp.body == b"0123456789012345"
            assert resp.headers["retry-after"] == "7" and resp.headers["webhook-delivery"] == "abort-message"
        assert len(server.peers) == 1
    finally:
        await server.stop()


async def test_redirects_are_answers_not_followed(client: HttpClient) -> None:
    async def redirect(request: web.Request) -> web.StreamResponse:
        if request.path == "/elsewhere":
            return web.Response(text="moved here")
        return web.Response(status=302, headers={"Location": "/elsewhere"})

    server = await Server(redirect).start()
    try:
        resp = await client.post(f"http://127.0.0.1:{server.port}/hook", b"{}", {}, 5)
        assert resp.status == 302
        assert [r[0] for r in server.requests] == ["/hook"]
    finally:
        await server.stop()


async def test_a_slow_receiver_times_out(client: HttpClient) -> None:
    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(5)
        return web.Response(text="late")

    server = await Server(slow).start()
    try:
        with pytest.raises(TimeoutError):
            await client.post(f"http://127.0.0.1:{server.port}/", b"{}", {}, 0.2)
    finally:
        await server.stop()


async def test_nothing_listening_is_a_clear_error(client: HttpClient) -> None:
    server = await Server().start()
    port = server.port
    await server.stop()
    with pytest.raises(HttpError, match="cannot connect"):
        await client.post(f"http://127.0.0.1:{port}/", b"{}", {}, 5)


async def test_a_garbage_response_is_a_protocol_error(client: HttpClient) -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        writer.write(b"this is not http\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(garbage, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(HttpError):
            await client.post(f"http://127.0.0.1:{port}/", b"{}", {}, 5)
    finally:
        server.close()
        await server.wait_closed()


async def test_https_verifies_the_certificate_against_the_trusted_authorities() -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("hooks.example.test")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    server = await Server(ssl_context=server_ctx).start()
    trusted = ssl.create_default_context()
    ca.configure_trust(trusted)
    good = HttpClient(loopback, ssl_context=trusted)
    untrusted = HttpClient(loopback)
    try:
        resp = await good.post(f"https://hooks.example.test:{server.port}/hook", b"{}", {}, 5)
        assert resp.status == 200
        with pytest.raises(HttpError, match="certificate"):
            await untrusted.post(f"https://hooks.example.test:{server.port}/hook", b"{}", {}, 5)
    finally:
        await good.close()
        await untrusted.close()
        await server.stop()


async def test_resolver_caches_and_filters_answers() -> None:
    asked: list[str] = []

    async def lookup(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["10.0.0.1", "127.0.0.1"]

    resolver = CachingResolver(lambda host, addrs: [a for a in addrs if a.startswith("127.")], lookup, ttl=60)
    assert await resolver("a.test", 80) == ["127.0.0.1"]
    assert await resolver("a.test", 80) == ["127.0.0.1"]
    assert asked == ["a.test"]
