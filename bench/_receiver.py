"""A minimal webhook receiver for benchmarks: answers 200, records arrival time per webhook-id."""

from __future__ import annotations

import asyncio
import json
import sys
import time

from aiohttp import web


def main(port: int) -> None:
    arrivals: dict[str, float] = {}
    state = {"count": 0, "first": 0.0, "last": 0.0}

    async def hook(request: web.Request) -> web.Response:
        await request.read()
        now = time.time()
        msg_id = request.headers.get("webhook-id", "")
        if msg_id:
            arrivals.setdefault(msg_id + request.path, now)
        state["count"] += 1
        state["first"] = state["first"] or now
        state["last"] = now
        return web.Response(text="ok")

    async def stats(_: web.Request) -> web.Response:
        return web.json_response(state)

    async def dump(_: web.Request) -> web.Response:
        return web.Response(text=json.dumps(arrivals))

    async def reset(_: web.Request) -> web.Response:
        arrivals.clear()
        state.update(count=0, first=0.0, last=0.0)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/_stats", stats)
    app.router.add_get("/_arrivals", dump)
    app.router.add_post("/_reset", reset)
    app.router.add_post("/{tail:.*}", hook)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    # a deep accept queue: with several workers, hundreds of connections open at once, and an
    # overflowing queue drops SYNs that the client only retransmits a second later
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, backlog=4096)


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main(int(sys.argv[1]))
