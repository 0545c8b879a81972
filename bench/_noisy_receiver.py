"""A misbehaving webhook receiver for the noisy-neighbour benchmark, on 127.0.0.1.

    python bench/_noisy_receiver.py PORT tarpit   # reads each request and never answers
    python bench/_noisy_receiver.py PORT error    # answers 500 at once
    python bench/_noisy_receiver.py PORT slow     # answers 200 after 10 s

GET /_stats (on any mode) answers {"connections": N, "requests": N}.
"""

from __future__ import annotations

import asyncio
import json
import sys


async def main(port: int, mode: str) -> None:
    stats = {"connections": 0, "requests": 0}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stats["connections"] += 1
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                length = 0
                for line in head.split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                await reader.readexactly(length)
                if head.startswith("GET /_stats"):
                    body = json.dumps(stats).encode()
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
                    await writer.drain()
                    continue
                stats["requests"] += 1
                if mode == "tarpit":
                    await asyncio.sleep(3600)
                if mode == "slow":
                    await asyncio.sleep(10)
                status = b"500 Internal Server Error" if mode == "error" else b"200 OK"
                writer.write(b"HTTP/1.1 " + status + b"\r\ncontent-length: 2\r\n\r\nno")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
