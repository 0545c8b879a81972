"""Child process for the inbox crash tests: store (or start handling) one event, then wait to be killed.

Usage: python inbox_child.py store|handle DB SECRET  (the request as JSON on stdin)
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from typing import Any

from hookline.receiver import Inbox, Receiver


def main() -> None:
    mode, db, secret = sys.argv[1:4]
    request = json.loads(sys.stdin.read())
    body: bytes = request["body"].encode()
    headers: dict[str, str] = request["headers"]
    inbox = Inbox(db, lease=60)
    receiver = Receiver(secret, inbox=inbox)

    if mode == "store":
        # no worker runs: the event is stored, acknowledged, and then the process dies
        result = receiver.handle_sync(body, headers)
        print(f"stored {result.status}", flush=True)
        threading.Event().wait()

    @receiver.on_any
    def hang(event: Any) -> None:
        print(f"handling {event.message_id}", flush=True)
        threading.Event().wait()

    async def serve() -> None:
        await inbox.start()
        await receiver.handle(body, headers)
        await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
