"""Expunging content, as Svix's ``message.expunge_content`` and ``message_attempt.expunge_content``."""

from __future__ import annotations

from hookline.services.errors import not_found
from hookline.services.lookups import message_or_404
from hookline.services.runtime import Runtime
from hookline.store.expunge import Expunger
from hookline.store.records import Application


async def message_content(rt: Runtime, app: Application, msg_id: str) -> None:
    """Delete a message's payload (its record stays; it can no longer be resent); 404 for no message."""
    msg = await message_or_404(rt.store, app, msg_id)
    await Expunger(rt.store.db).message_payload(app.id, msg.id)


async def attempt_content(rt: Runtime, app: Application, msg_id: str, attempt_id: str) -> None:
    """Replace an attempt's recorded response body with ``EXPUNGED``; 404 for no such message or attempt."""
    msg = await message_or_404(rt.store, app, msg_id)
    attempt = await rt.store.get_attempt(app.id, attempt_id)
    if attempt is None or attempt.msg_id != msg.id:
        raise not_found("message attempt")
    await Expunger(rt.store.db).attempt_response(app.id, attempt.id)
