"""Messages: create (with application auto-create, idempotency, retention), list, get."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from hookline.api.errors import ApiError
from hookline.api.idempotency import STORED_FLAG
from hookline.api.models import ApplicationIn, MessageIn
from hookline.api.runtime import Runtime, runtime
from hookline.api.serialize import message_json, message_out, page_out
from hookline.api.v1.applications import new_application
from hookline.api.v1.common import Limit, app_or_404, parse_time, split_list
from hookline.ids import new_id
from hookline.store.errors import ConflictError
from hookline.store.records import Message, NewMessage

router = APIRouter(tags=["Message"])


class _RawJSON(JSONResponse):
    """A JSON response whose body is already serialized (the same bytes the idempotency record holds)."""

    def render(self, content: Any) -> bytes:
        return content.encode() if isinstance(content, str) else super().render(content)


DEFAULT_RETENTION_DAYS = 90


async def _ensure_app(rt: Runtime, app_id: str, spec: ApplicationIn) -> str:
    """Create the application a message names when it does not exist yet; return its id."""
    app = await rt.store.get_app(app_id)
    if app is not None:
        return app.id
    if spec.uid is None and not app_id.startswith("app_"):
        spec = spec.model_copy(update={"uid": app_id})
    try:
        return (await rt.store.create_app(new_application(spec))).id
    except ConflictError:
        # another request created it a moment ago
        return (await app_or_404(rt.store, spec.uid or app_id)).id


async def accept_message(
    rt: Runtime, app_key: str, body: MessageIn, idempotency_key: str | None, with_content: bool
) -> str:
    """Validate limits, store the message with its dispatches, and return the JSON answer."""
    if body.application is not None:
        app_key = await _ensure_app(rt, app_key, body.application)
    payload = json.dumps(body.payload, separators=(",", ":"), ensure_ascii=False)
    limit = rt.settings.max_payload_bytes
    # a character is at most 4 bytes in UTF-8: only a long payload needs encoding to be measured
    if len(payload) * 4 > limit and len(payload.encode()) > limit:
        raise ApiError(413, "payload_too_large", f"payload over {limit} bytes")
    now = time.time()
    if body.payload_retention_hours is not None:
        retention = body.payload_retention_hours * 3600.0
    else:
        retention = (body.payload_retention_period or DEFAULT_RETENTION_DAYS) * 86400.0
    msg = Message(
        new_id("msg", now), "", body.event_type, payload, body.event_id,
        tuple(body.channels) if body.channels else None, tuple(body.tags) if body.tags else None, now, now + retention,
    )  # fmt: skip
    out = message_json(msg, with_content)
    accepted = await rt.acceptor.accept(NewMessage(msg, idempotency_key, out, app_key=app_key))
    return accepted.replay if accepted.replay is not None else out


@router.post("/app/{app_id}/msg", status_code=202)
async def create_message(
    app_id: str,
    body: MessageIn,
    request: Request,
    rt: Runtime = Depends(runtime),
    with_content: bool = True,
) -> JSONResponse:
    key = request.scope.get("hookline.idempotency_key")
    out = await accept_message(rt, app_id, body, key, with_content)
    if key:
        request.scope[STORED_FLAG] = True
    return _RawJSON(out, status_code=202)


@router.get("/app/{app_id}/msg")
async def list_messages(
    app_id: str,
    rt: Runtime = Depends(runtime),
    limit: Limit = 50,
    iterator: str | None = None,
    channel: str | None = None,
    before: str | None = None,
    after: str | None = None,
    with_content: bool = True,
    tag: str | None = None,
    event_types: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    page = await rt.store.list_messages(
        app.id, limit, iterator, event_types=split_list(event_types), channel=channel,
        before=parse_time(before, "before"), after=parse_time(after, "after"), tag=tag,
    )  # fmt: skip
    return page_out(page, lambda m: message_out(m, with_content))


@router.get("/app/{app_id}/msg/{msg_id}")
async def get_message(
    app_id: str, msg_id: str, rt: Runtime = Depends(runtime), with_content: bool = True
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    msg = await rt.store.get_message(app.id, msg_id)
    if msg is None:
        raise ApiError(404, "not_found", "message not found")
    return message_out(msg, with_content)
