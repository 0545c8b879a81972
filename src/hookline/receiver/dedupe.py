"""De-duplication by message id (the ``webhook-id`` header), without an inbox."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol, runtime_checkable

# Svix's retry schedule spans about 28 hours after the first attempt; keep ids a little longer.
DEFAULT_TTL = 72 * 3600.0
DEFAULT_MAX_ENTRIES = 10_000


@runtime_checkable
class DedupeStore(Protocol):
    """Remembers which message ids were handled. Methods must be fast and thread-safe."""

    def claim(self, message_id: str) -> bool:
        """Reserve ``message_id``; False if it is handled or being handled already."""
        ...

    def complete(self, message_id: str) -> None:
        """Mark a claimed id as handled, so later deliveries are duplicates."""
        ...

    def release(self, message_id: str) -> None:
        """Forget a claim whose handling failed, so the sender's retry is handled."""
        ...


class MemoryDedupe:
    """An in-process store bounded in size (LRU) and in age (TTL); the ``Receiver`` default.

    ``MemoryDedupe(max_entries=10_000, ttl=72 * 3600)``. It forgets on restart and is not shared
    between processes: use an :class:`~hookline.receiver.Inbox` for that.
    """

    def __init__(
        self,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        # message id -> (handled, expires at); oldest first, so expiry pops from the front
        self._entries: OrderedDict[str, tuple[bool, float]] = OrderedDict()

    def _expire(self, now: float) -> None:
        while self._entries:
            _, (_, expires) = next(iter(self._entries.items()))
            if expires > now:
                break
            self._entries.popitem(last=False)

    def claim(self, message_id: str) -> bool:
        """Reserve ``message_id``; False if it is handled or being handled already."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            if message_id in self._entries:
                return False
            self._entries[message_id] = (False, now + self.ttl)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
            return True

    def complete(self, message_id: str) -> None:
        """Mark a claimed id as handled, so later deliveries are duplicates."""
        with self._lock:
            self._entries[message_id] = (True, self._clock() + self.ttl)
            self._entries.move_to_end(message_id)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def release(self, message_id: str) -> None:
        """Forget a claim whose handling failed, so the sender's retry is handled."""
        with self._lock:
            self._entries.pop(message_id, None)

    def __contains__(self, message_id: object) -> bool:
        with self._lock:
            self._expire(self._clock())
            return message_id in self._entries

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._entries)
