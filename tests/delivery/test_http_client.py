"""The delivery HTTP client against receivers that bend HTTP: a body ended by the connection closing,
and an answer trickled a byte at a time (cut at the request timeout in total, not per read)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from hookline.delivery.http import HttpClient

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _any_address(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return await reader.readexactly(length)


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    servers: list[asyncio.Server] = []

    async def start(handler: Handler) -> str:
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        servers.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"

    yield start
    for server in servers:
        server.close()


async def test_a_body_ended_by_closing_the_connection_is_read_whole(
    serve: Callable[[Handler], Awaitable[str]],
) -> None:
    async def http10(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nreceived, ")
        await writer.drain()
        await asyncio.sleep(0.05)  # the body comes in two pieces, then the server closes
        writer.write(b"thank you")
        await writer.drain()
        writer.close()

    url = await serve(http10)
    client = HttpClient(_any_address)
    try:
        for _ in range(2):  # the connection is not kept: the second request opens another
            response = await client.post(url, b"{}", {"content-type": "application/json"}, 5.0)
            assert response.status == 200
            assert response.body == b"received, thank you"
    finally:
        await client.close()


async def test_a_receiver_trickling_its_answer_is_cut_at_the_request_timeout_in_total(
    serve: Callable[[Handler], Awaitable[str]],
) -> None:
    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        try:
            for _ in range(1000):  # a byte every 50 ms: each read is quick, the whole takes 50 s
                writer.write(b"x")
                await writer.drain()
                await asyncio.sleep(0.05)
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    url = await serve(trickle)
    client = HttpClient(_any_address)
    start = time.monotonic()
    try:
        with pytest.raises(TimeoutError):
            await client.post(url, b"{}", {"content-type": "application/json"}, 1.0)
    finally:
        await client.close()
    assert time.monotonic() - start < 10  # far below the 50 s the answer would take
