"""The server protocol joins a response's writes into one send, without reordering or losing any."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from hookline.api.protocol import CoalescedTransport


class FakeTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data: bytes) -> None:
        assert not self.closed
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = self.closed = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 1234) if name == "peername" else default


async def test_writes_in_one_pass_go_out_as_one_send_in_order() -> None:
    raw = FakeTransport()
    t = CoalescedTransport(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
    t.write(b"HTTP/1.1 202 Accepted\r\n\r\n")
    t.write(bytearray(b"{"))
    t.writelines([b'"a"', b":1}"])
    assert raw.writes == []
    await asyncio.sleep(0)
    assert raw.writes == [b'HTTP/1.1 202 Accepted\r\n\r\n{"a":1}']
    t.write(b"next")
    await asyncio.sleep(0)
    assert raw.writes[1:] == [b"next"]


async def test_close_sends_what_is_queued_first_and_abort_drops_it() -> None:
    raw = FakeTransport()
    t = CoalescedTransport(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
    t.write(b"last words")
    t.close()
    assert raw.writes == [b"last words"] and raw.closed
    await asyncio.sleep(0)  # the scheduled flush finds nothing left and a closed transport
    assert raw.writes == [b"last words"]

    raw = FakeTransport()
    t = CoalescedTransport(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
    t.write(b"never sent")
    t.abort()
    await asyncio.sleep(0)
    assert raw.writes == [] and raw.aborted


async def test_everything_else_is_the_wrapped_transport() -> None:
    raw = FakeTransport()
    t = CoalescedTransport(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
    assert t.get_extra_info("peername") == ("127.0.0.1", 1234)
    assert t.is_closing() is False


async def test_a_real_server_answers_keep_alive_and_streamed_responses_intact() -> None:
    """Through uvicorn: plain answers on one kept-alive connection, then a streamed answer in order."""
    import uvicorn

    from hookline.api.protocol import HooklineHttpProtocol

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/stream":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            for i in range(50):
                await send({"type": "http.response.body", "body": b"%d," % i, "more_body": True})
                if i % 10 == 0:
                    await asyncio.sleep(0.001)
            await send({"type": "http.response.body", "body": b"end"})
            return
        body = scope["path"].encode()
        await send({"type": "http.response.start", "status": 202,
                    "headers": [(b"content-length", str(len(body)).encode())]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, http=HooklineHttpProtocol, log_level="warning", lifespan="off")
    )
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for i in range(20):
            writer.write(b"POST /r%d HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n" % i)
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 202 ")
            length = int(
                next(
                    line.split(b":")[1]
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
            )
            assert await reader.readexactly(length) == b"/r%d" % i
        writer.write(b"GET /stream HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        raw = await reader.read()
        body = raw.split(b"\r\n\r\n", 1)[1]
        chunks = []
        while body:
            size_line, _, rest = body.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0:
                break
            chunks.append(rest[:size])
            body = rest[size + 2 :]
        assert b"".join(chunks) == b"".join(b"%d," % i for i in range(50)) + b"end"
        writer.close()
    finally:
        server.should_exit = True
        await serving
