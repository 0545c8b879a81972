"""Removing what a message carried while keeping its records: its payload, an attempt's response body."""

from __future__ import annotations

from hookline.store.db import Database

# what an expunged attempt's response reads, as svix-server writes it
EXPUNGED_RESPONSE = "EXPUNGED"


class Expunger:
    """Clear a message's payload or an attempt's response; the rows themselves stay."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def message_payload(self, app_id: str, msg_id: str) -> None:
        """Drop the payload of the message ``msg_id`` (an id); it can no longer be sent or resent."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE messages SET payload = NULL WHERE app_id = ? AND id = ?", (app_id, msg_id)
            )

    async def attempt_response(self, app_id: str, attempt_id: str) -> None:
        """Replace the response body an attempt recorded with ``EXPUNGED``."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE attempts SET response = ? WHERE app_id = ? AND id = ?",
                (EXPUNGED_RESPONSE, app_id, attempt_id),
            )
