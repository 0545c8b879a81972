"""Background loops that keep running: a loop that fails is logged and started again, with back-off.

Every long-lived task of a server (the worker's claim, record and renew loops, the acceptor, the
runtime's housekeeping) runs under one ``Supervisor``; ``down()`` names the loops that are not
running right now, and the health endpoint fails while it names any.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger("hookline.supervisor")

Loop = Callable[[], Coroutine[Any, Any, None]]
# a loop that ran this long before failing starts again from the shortest back-off
HEALTHY_RUN_SECONDS = 60.0


class Supervisor:
    """Runs named loops; one that raises is restarted after ``first_delay`` seconds, doubling up to ``max_delay``.

    A loop that returns has finished on purpose (its owner is stopping it) and is not restarted.
    """

    def __init__(self, *, first_delay: float = 0.1, max_delay: float = 5.0) -> None:
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.restarts: dict[str, int] = {}
        self._down: set[str] = set()
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, name: str, loop: Loop) -> asyncio.Task[None]:
        """Run ``loop()`` under this supervisor as ``name``; return the task that runs it (cancel it to stop)."""
        task = asyncio.create_task(self._run(name, loop), name=f"hookline-{name}")
        self._tasks[name] = task
        self.restarts.setdefault(name, 0)
        return task

    def down(self) -> list[str]:
        """The loops waiting to be started again after a failure."""
        return sorted(self._down)

    async def stop(self) -> None:
        """Cancel every loop and wait for them to end."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._down.clear()

    async def _run(self, name: str, loop: Loop) -> None:
        failures = 0  # in a row, each doubling the wait before the next start
        while True:
            started = time.monotonic()
            try:
                await loop()
                return
            except Exception:
                if time.monotonic() - started > HEALTHY_RUN_SECONDS:
                    failures = 0
                delay = min(self.first_delay * 2**failures, max(self.max_delay, self.first_delay))
                failures += 1
                log.exception("background loop %r failed; starting it again in %.1f s", name, delay)
            self._down.add(name)
            try:
                await asyncio.sleep(delay)
            finally:
                self._down.discard(name)
            self.restarts[name] += 1
