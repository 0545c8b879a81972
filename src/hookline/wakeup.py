"""Wake-ups: a worker sleeps until new work is announced, never polling an idle database."""

from __future__ import annotations

import asyncio
import contextlib


class Wakeup:
    """An in-process doorbell; subclasses also ring across processes (PostgreSQL LISTEN/NOTIFY)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    async def start(self) -> None:
        """Begin listening for announcements from other processes (none in-process)."""

    async def stop(self) -> None:
        """Stop listening."""

    def ring(self) -> None:
        """Announce new work to this process's worker."""
        self._event.set()

    async def announce(self) -> None:
        """Announce new work to every worker (this process's, and others' where the backend can)."""
        self.ring()

    def stand_by(self, standing_by: bool) -> None:
        """Hear only the occasional announcements meant for a worker standing by (``True``), or every
        one (``False``); backends that wake processes cheaply hear every one either way."""

    async def wait(self, timeout: float | None) -> bool:
        """Sleep until rung or until ``timeout``; True if rung."""
        rung = False
        if timeout is None or timeout > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), timeout)
        rung = self._event.is_set()
        self._event.clear()
        return rung
