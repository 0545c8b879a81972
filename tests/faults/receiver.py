"""A webhook receiver process for the fault tests, with a programmable way of misbehaving.

    python tests/faults/receiver.py PORT LOGDIR FAIL_FIRST [SLOW_SECONDS]

It speaks just enough HTTP/1.1 by hand (keep-alive, ``content-length`` bodies) to be able to answer
with bytes no HTTP library would write. The last segment of the request path names a fault
(``/hook/500``); for each webhook-id the first ``FAIL_FIRST`` tries at that path get the fault,
later tries get a 200. The faults:

- ``ok``: always 200
- ``500``: a 500 answer
- ``429``: a 429 with ``Retry-After: 1``
- ``slow``: a 200 only after ``SLOW_SECONDS`` (past the sender's timeout)
- ``garbage``: random bytes instead of an HTTP response, then the connection closes
- ``close``: the connection closes in the middle of the response headers

Every ``webhook-id path`` answered with a prompt 200 is written, one a line, to ``LOGDIR/received.log``
(flushed per line, so it survives anything that happens to the processes under test); every try, with
its time and the fault it got, to ``LOGDIR/tries.log``. ``GET /_count`` answers ``{"count": <prompt 200s so far>}``.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import sys
import time
from pathlib import Path


def _response(status: int, body: bytes, extra: str = "") -> bytes:
    reason = {200: "OK", 429: "Too Many Requests", 500: "Internal Server Error"}.get(status, "X")
    head = f"HTTP/1.1 {status} {reason}\r\ncontent-length: {len(body)}\r\ncontent-type: text/plain\r\n{extra}\r\n"
    return head.encode() + body


class Receiver:
    def __init__(self, logdir: Path, fail_first: int, slow: float) -> None:
        self.fail_first = fail_first
        self.slow = slow
        self.tries: collections.Counter[str] = collections.Counter()
        self.count = 0
        self.received = open(logdir / "received.log", "a", buffering=1)  # noqa: SIM115 - process lifetime
        self.tries_log = open(logdir / "tries.log", "a", buffering=1)  # noqa: SIM115 - process lifetime

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name:
                        headers[name.strip().lower()] = value.strip()
                await reader.readexactly(int(headers.get("content-length", "0")))
                if path == "/_count":
                    writer.write(_response(200, json.dumps({"count": self.count}).encode()))
                    await writer.drain()
                    continue
                key = f"{headers.get('webhook-id', '-')} {path}"
                self.tries[key] += 1
                fault = path.rsplit("/", 1)[-1] if self.tries[key] <= self.fail_first else "ok"
                self.tries_log.write(f"{key} {time.time():.3f} {fault}\n")
                if fault == "500":
                    writer.write(_response(500, b"internal error"))
                elif fault == "429":
                    writer.write(_response(429, b"slow down", "retry-after: 1\r\n"))
                elif fault == "slow":
                    await asyncio.sleep(self.slow)
                    writer.write(_response(200, b"late"))
                elif fault == "garbage":
                    writer.write(os.urandom(64) + b"\r\n\r\n")
                    await writer.drain()
                    return
                elif fault == "close":
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-le")
                    await writer.drain()
                    return
                else:
                    self.received.write(key + "\n")
                    self.count += 1
                    writer.write(_response(200, b"ok"))
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()


async def main(port: int, logdir: str, fail_first: int, slow: float) -> None:
    receiver = Receiver(Path(logdir), fail_first, slow)
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    fail_first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    slow = float(sys.argv[4]) if len(sys.argv) > 4 else 3.0
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], fail_first, slow))
