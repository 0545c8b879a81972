"""What an inbox stores, and the interface of the backends that store it (SQLite, PostgreSQL).

Kept apart from the inbox itself, which picks a backend, so the backends need nothing of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from hookline.receiver.events import Event

PENDING = "pending"
DONE = "done"
DEAD = "dead"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def check_identifier(name: str) -> str:
    """Return ``name`` if it is a plain SQL identifier; table names are spliced into SQL text."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{name!r} is not a plain SQL identifier (letters, digits, underscore)")
    return name


@dataclass(frozen=True)
class Delivery:
    """A verified, parsed request: what an inbox stores."""

    message_id: str
    event: Event[Any]
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class InboxRecord:
    """One stored message: its body and headers, and where it is in handling."""

    message_id: str
    event_type: str
    body: bytes
    headers: dict[str, str]
    status: str
    attempts: int
    next_attempt_at: float
    received_at: float
    locked_until: float | None = None
    completed_at: float | None = None
    last_error: str | None = None


class InboxBackend(Protocol):
    """Storage for an :class:`Inbox`; SQLite and PostgreSQL implement it with the same semantics."""

    async def open(self) -> None:
        """Connect and create the table if needed; idempotent."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...

    async def insert(self, message_id: str, event_type: str, body: bytes, headers: str, now: float) -> bool:
        """Store a new pending row; False if the message id is already there."""
        ...

    async def claim(self, owner: str, now: float, lease_until: float, limit: int) -> list[InboxRecord]:
        """Lease up to ``limit`` due rows (pending, or with an expired lease) and count an attempt."""
        ...

    async def complete(self, message_id: str, owner: str, now: float) -> bool:
        """Mark a row this owner leases as done."""
        ...

    async def fail(self, message_id: str, owner: str, error: str, retry_at: float | None, now: float) -> bool:
        """Release a failed row: pending again at ``retry_at``, or dead when that is None."""
        ...

    async def extend(self, message_id: str, owner: str, lease_until: float) -> bool:
        """Push this owner's lease on a row further out while its handler still runs."""
        ...

    async def get(self, message_id: str) -> InboxRecord | None:
        """Return one row, or None."""
        ...

    async def counts(self) -> dict[str, int]:
        """Number of rows per status."""
        ...

    async def next_due(self) -> float | None:
        """The earliest time a pending row becomes claimable, or None when there is none."""
        ...

    async def requeue(self, message_id: str, now: float) -> bool:
        """Make a dead (or done) row pending again with a fresh attempt count."""
        ...

    async def purge(self, before: float) -> int:
        """Delete done rows completed before ``before``; returns how many."""
        ...
