"""``DELETE /app/{app_id}/msg/{msg_id}/content``: expunge a message's payload before its retention ends."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from hookline.api.runtime import runtime
from hookline.api.v1.common import app_or_404
from hookline.services.errors import not_found
from hookline.services.runtime import Runtime
from hookline.store import retention

router = APIRouter(tags=["Message"])


@router.delete("/app/{app_id}/msg/{msg_id}/content", status_code=204)
async def expunge_content(app_id: str, msg_id: str, rt: Runtime = Depends(runtime)) -> Response:
    """Delete the payload; the message, its deliveries and attempts stay, and show it as expired."""
    app = await app_or_404(rt.store, app_id)
    msg = await rt.store.get_message(app.id, msg_id)
    if msg is None or not await retention.expunge_message(rt.store.db, app.id, msg.id):
        raise not_found("message")
    return Response(status_code=204)
