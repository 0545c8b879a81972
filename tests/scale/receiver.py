"""A webhook receiver process for the fault tests: answers 200 and logs each webhook-id, one a line.

    python tests/scale/receiver.py PORT LOGFILE [SECONDS]

With SECONDS it answers each request that long after logging it, as a slow receiver would.

The log is flushed after every line, so it survives whatever happens to the processes under test.
``GET /_count`` answers the number of requests logged so far.
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web


def main(port: int, log_path: str, answer_after: float = 0.0) -> None:
    log = open(log_path, "a", buffering=1)  # noqa: SIM115 - open for the life of the process
    state = {"count": 0}

    async def hook(request: web.Request) -> web.Response:
        await request.read()
        log.write(request.headers.get("webhook-id", "-") + "\n")
        state["count"] += 1
        if answer_after:
            await asyncio.sleep(answer_after)
        return web.Response(text="ok")

    async def count(_: web.Request) -> web.Response:
        return web.json_response(state)

    app = web.Application()
    app.router.add_get("/_count", count)
    app.router.add_post("/{tail:.*}", hook)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], *map(float, sys.argv[3:4]))
