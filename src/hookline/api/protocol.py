"""uvicorn's httptools protocol with a response's writes sent together.

An ASGI response arrives as a start message and body messages, and uvicorn writes each to the
socket as it comes: a small JSON answer costs two sends here and two wake-ups in the client.
Writes made in the same pass of the event loop are joined into one send instead.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescedTransport:
    """Wraps a transport: ``write`` calls made in one event-loop pass reach the socket as one send."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Queue ``data``; it is sent when the current callbacks have run."""
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))

    def writelines(self, chunks: Any) -> None:
        """Queue several chunks, as ``write`` does."""
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        """Send what is queued now."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        if not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        """Send what is queued, then close."""
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        """Drop what is queued and close at once."""
        self._pending = []
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HooklineHttpProtocol(HttpToolsProtocol):
    """The httptools protocol over a ``CoalescedTransport``."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescedTransport(transport, self.loop))  # type: ignore[arg-type]
