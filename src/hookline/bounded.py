"""A dictionary that holds at most so many entries: the caches of hot paths, kept bounded by one rule.

Reads are plain ``dict`` reads (no bookkeeping on a hit); ``put`` drops the oldest entries once the
limit is reached, so a stream of distinct keys (secrets, URLs, hosts) cannot grow a cache without end.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedDict(dict[K, V]):
    """``dict`` with ``put(key, value)``, which keeps at most ``limit`` entries (oldest inserted go first)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit

    def put(self, key: K, value: V) -> V:
        """Store ``value`` under ``key``, dropping the oldest entries past the limit; return ``value``."""
        if key not in self:
            while len(self) >= self.limit:
                del self[next(iter(self))]
        self[key] = value
        return value
