"""What other parts of identity do, inside the same transaction, when a user's account changes.

The core user service knows nothing of organizations; organizations register a ``UserHooks`` on it at
start (``hookline.identity.start``), so that a deleted user's memberships emit their events and a newly
verified address at an organization's domain is invited, both in the transaction of the change.
"""

from __future__ import annotations

from typing import Protocol

from hookline.identity.events import Outbox
from hookline.store.db import Conn


class UserHooks(Protocol):
    """Steps run inside the transaction of a change to a user (their events go to the same outbox)."""

    async def email_verified(self, tx: Conn, out: Outbox, user_id: str, address: str) -> None:
        """An address of the user is verified now (a new user's, an added one, or one proven by a code)."""

    async def user_deleting(self, tx: Conn, out: Outbox, user_id: str) -> None:
        """The user is about to be deleted (their rows are still there)."""
