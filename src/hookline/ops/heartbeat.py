"""Each API and worker process says it is alive: its row in ``processes``, renewed every few seconds.

The status page and ``hookline status`` list these rows: a process not seen for ``STALE_SECONDS`` is
shown as not answering, and its row is deleted after ``FORGET_SECONDS``. A process that stops
cleanly removes its own row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

from hookline import __version__
from hookline.store import processes
from hookline.store.db import Database
from hookline.store.errors import StoreError
from hookline.store.processes import ProcessRow

log = logging.getLogger("hookline.heartbeat")

BEAT_SECONDS = 5.0
STALE_SECONDS = 3 * BEAT_SECONDS  # three beats missed: the process is not answering
FORGET_SECONDS = 600.0  # then its row goes
FORGET_EVERY = 12  # beats between deletions of forgotten rows (once a minute)


def this_process(kind: str, now: float) -> ProcessRow:
    """The row describing this process, started at ``now``, with an id no other process shares."""
    return ProcessRow(
        id=f"proc_{secrets.token_hex(6)}", kind=kind, host=socket.gethostname(), pid=os.getpid(),
        version=__version__, started_at=now, last_seen=now,
    )  # fmt: skip


class Heartbeat:
    """Writes this process's row every ``every`` seconds until cancelled, then removes it."""

    def __init__(
        self,
        db: Database,
        kind: str,
        *,
        every: float = BEAT_SECONDS,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.db = db
        self.every = every
        self.clock = clock
        self.sleep = sleep
        self.row = this_process(kind, clock())
        self._beats = 0

    async def beat_once(self) -> None:
        """Write the row now (and, every ``FORGET_EVERY`` beats, delete rows seen too long ago)."""
        now = self.clock()
        self.row = replace(self.row, last_seen=now)
        forget = now - FORGET_SECONDS if self._beats % FORGET_EVERY == 0 else None
        self._beats += 1
        await processes.beat(self.db, self.row, forget)

    async def run_forever(self) -> None:
        """Beat until cancelled; on cancellation remove the row, so a stopped process is not listed."""
        try:
            while True:
                try:
                    await self.beat_once()
                except StoreError as exc:  # the database away for a moment: the next beat catches up
                    log.warning("heartbeat failed: %s", exc)
                await self.sleep(self.every)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(processes.remove(self.db, self.row.id), 2.0)
            raise
