"""``/metrics`` for a process without the API (``hookline worker``), on ``HOOKLINE_METRICS_PORT``."""

from __future__ import annotations

import hmac

from aiohttp import web

from hookline import metrics
from hookline.ops.listener import OneRouteListener


class MetricsListener(OneRouteListener):
    """A small HTTP server answering ``GET /metrics`` to a bearer token of ``tokens``, 401 otherwise."""

    def __init__(self, host: str, port: int, tokens: tuple[str, ...]) -> None:
        super().__init__(host, port, "/metrics", self._metrics)
        self.tokens = tuple(t.encode() for t in tokens if t)

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
