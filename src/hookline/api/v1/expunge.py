"""Expunge: a message's payload, an attempt's response body; the records stay."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from hookline.api.runtime import runtime
from hookline.api.v1.common import app_or_404
from hookline.services import expunge
from hookline.services.runtime import Runtime

router = APIRouter()


@router.delete("/app/{app_id}/msg/{msg_id}/content", status_code=204, tags=["Message"])
async def expunge_message_content(app_id: str, msg_id: str, rt: Runtime = Depends(runtime)) -> Response:
    """Delete the message's payload (sent by mistake, say); it can no longer be resent or replayed."""
    app = await app_or_404(rt.store, app_id)
    await expunge.message_content(rt, app, msg_id)
    return Response(status_code=204)


@router.delete(
    "/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}/content", status_code=204, tags=["Message Attempt"]
)
async def expunge_attempt_content(
    app_id: str, msg_id: str, attempt_id: str, rt: Runtime = Depends(runtime)
) -> Response:
    """Replace the response body the attempt recorded with ``EXPUNGED``."""
    app = await app_or_404(rt.store, app_id)
    await expunge.attempt_content(rt, app, msg_id, attempt_id)
    return Response(status_code=204)
