"""``/metrics`` for a process without the API (``hookline worker``), on ``HOOKLINE_METRICS_PORT``."""

from __future__ import annotations

import hmac

from aiohttp import web

from hookline import metrics


class MetricsListener:
    """A small HTTP server answering ``GET /metrics`` to a bearer token of ``tokens``, 401 otherwise."""

    def __init__(self, host: str, port: int, tokens: tuple[str, ...]) -> None:
        self.host = host
        self.port = port
        self.tokens = tuple(t.encode() for t in tokens if t)
        self._runner: web.AppRunner | None = None

    def _allowed(self, request: web.Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        given = token.strip().encode()
        ok = False
        for known in self.tokens:
            ok |= hmac.compare_digest(given, known)
        return scheme.lower() == "bearer" and bool(given) and ok

    async def _metrics(self, request: web.Request) -> web.Response:
        if not self._allowed(request):
            return web.json_response({"code": "authentication_failed", "detail": "invalid token"}, status=401)
        return web.Response(body=metrics.render(), headers={"content-type": metrics.CONTENT_TYPE})

    async def start(self) -> int:
        """Start listening; return the port (useful when ``port`` is 0)."""
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
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
