"""``GET /health`` for a process without the API (``hookline worker``), on ``--health-port`` or
``HOOKLINE_WORKER_HEALTH_PORT``: what a load balancer or an orchestrator's probe asks.

200 while the database answers and every supervised loop runs; 503, naming what is wrong, while a
loop waits to be started again after a failure or the database does not answer. No token: the
answer says no more than whether the worker is well.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from hookline.ops.listener import OneRouteListener
from hookline.store.store import Store
from hookline.supervisor import Supervisor

log = logging.getLogger("hookline.health")

# a database that takes longer than this to answer a one-row read is reported as not answering
DATABASE_SECONDS = 5.0


class HealthListener(OneRouteListener):
    """A small HTTP server answering ``GET /health`` from a supervisor and a store."""

    def __init__(self, host: str, port: int, store: Store, supervisor: Supervisor) -> None:
        super().__init__(host, port, "/health", self._health)
        self.store = store
        self.supervisor = supervisor

    async def _health(self, request: web.Request) -> web.Response:
        down = self.supervisor.down()
        if down:
            detail = f"background loops down: {', '.join(down)}"
            return web.json_response({"code": "background_task_down", "detail": detail}, status=503)
        try:
            await asyncio.wait_for(self.store.get_setting("health"), DATABASE_SECONDS)
        except Exception as exc:  # any failure to read is the answer, not an error of this endpoint
            log.warning("health: the database did not answer: %s", exc)
            return web.json_response(
                {"code": "database_unavailable", "detail": "the database did not answer"}, status=503
            )
        return web.json_response({"status": "ok"})
