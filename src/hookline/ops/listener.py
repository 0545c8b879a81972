"""A one-route HTTP server beside a process that has no API listener (``hookline worker``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.Response]]


class OneRouteListener:
    """Answers ``GET path`` with ``handler`` on ``host:port``; everything else is aiohttp's 404."""

    def __init__(self, host: str, port: int, path: str, handler: Handler) -> None:
        self.host = host
        self.port = port
        self._path = path
        self._handler = handler
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        """Start listening; return the port (useful when ``port`` is 0)."""
        app = web.Application()
        app.router.add_get(self._path, self._handler)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = site._server.sockets if site._server is not None else ()  # type: ignore[attr-defined]
        if sockets:
            self.port = sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
