"""Messages: create (with application auto-create, idempotency, retention), list, get."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from hookline.api.idempotency import STORED_FLAG
from hookline.api.runtime import runtime
from hookline.api.serialize import message_json, message_out, page_out
from hookline.api.v1.common import (
    ChannelFilter,
    Limit,
    TagFilter,
    app_or_404,
    event_types_filter,
    message_or_404,
    parse_time,
)
from hookline.services.attempt_lists import check_iterator
from hookline.services.messages import accept_message
from hookline.services.models import MessageIn
from hookline.services.runtime import Runtime

router = APIRouter(tags=["Message"])


class _RawJSON(JSONResponse):
    """A JSON response whose body is already serialized (the same bytes the idempotency record holds)."""

    def render(self, content: Any) -> bytes:
        return content.encode() if isinstance(content, str) else super().render(content)


@router.post("/app/{app_id}/msg", status_code=202)
async def create_message(
    app_id: str,
    body: MessageIn,
    request: Request,
    rt: Runtime = Depends(runtime),
    with_content: bool = True,
) -> JSONResponse:
    key = request.scope.get("hookline.idempotency_key")
    out = await accept_message(rt, app_id, body, key, lambda m: message_json(m, with_content))
    if key:
        request.scope[STORED_FLAG] = True
    return _RawJSON(out, status_code=202)


@router.get("/app/{app_id}/msg")
async def list_messages(
    app_id: str,
    rt: Runtime = Depends(runtime),
    limit: Limit = 50,
    iterator: str | None = None,
    channel: ChannelFilter | None = None,
    before: str | None = None,
    after: str | None = None,
    with_content: bool = True,
    tag: TagFilter | None = None,
    event_types: list[str] | None = Depends(event_types_filter),
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    page = await rt.store.list_messages(
        app.id, limit, check_iterator(iterator, "msg"), event_types=event_types, channel=channel,
        before=parse_time(before, "before"), after=parse_time(after, "after"), tag=tag,
    )  # fmt: skip
    return page_out(page, lambda m: message_out(m, with_content))


@router.get("/app/{app_id}/msg/{msg_id}")
async def get_message(
    app_id: str, msg_id: str, rt: Runtime = Depends(runtime), with_content: bool = True
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    return message_out(await message_or_404(rt.store, app, msg_id), with_content)
