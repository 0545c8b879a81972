"""Attempts: list by endpoint or message, get, attempted destinations and messages, resend."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from hookline.api.runtime import runtime
from hookline.api.serialize import attempt_out, endpoint_message_out, message_endpoint_out, page_out
from hookline.api.v1.common import (
    ChannelFilter,
    Limit,
    StatusCodeClass,
    StatusFilter,
    TagFilter,
    app_or_404,
    endpoint_or_404,
    event_types_filter,
    message_or_404,
    parse_time,
)  # fmt: skip
from hookline.services import attempt_lists, replay
from hookline.services.attempt_lists import AttemptFilters
from hookline.services.errors import FieldError, OperationError
from hookline.services.runtime import Runtime
from hookline.store.records import Page

router = APIRouter(tags=["Message Attempt"])


def _filters(
    status: StatusFilter | None = None,
    status_code_class: StatusCodeClass | None = None,
    channel: ChannelFilter | None = None,
    tag: TagFilter | None = None,
    before: str | None = None,
    after: str | None = None,
    expanded_statuses: bool = False,
    event_types: list[str] | None = Depends(event_types_filter),
) -> AttemptFilters:
    """The filters every attempt list takes, as svix-server reads them."""
    return AttemptFilters(
        status=status, status_code_class=int(status_code_class) if status_code_class is not None else None,
        event_types=event_types, channel=channel, tag=tag, before=parse_time(before, "before"),
        after=parse_time(after, "after"), expanded_statuses=expanded_statuses,
    )  # fmt: skip


async def _attempts_page(
    rt: Runtime, page: Page, app_id: str, filters: AttemptFilters, with_content: bool, with_msg: bool
) -> dict[str, Any]:
    messages = await attempt_lists.messages_of(rt, app_id, page.data) if with_msg else {}
    return page_out(
        page,
        lambda a: attempt_out(
            a, with_content=with_content, expanded=filters.expanded_statuses, msg=messages.get(a.msg_id)
        ),
    )


@router.get("/app/{app_id}/attempt/endpoint/{endpoint_id}")
async def list_by_endpoint(
    app_id: str,
    endpoint_id: str,
    rt: Runtime = Depends(runtime),
    limit: Limit = 50,
    iterator: str | None = None,
    filters: AttemptFilters = Depends(_filters),
    with_content: bool = True,
    with_msg: bool = False,
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    page = await attempt_lists.list_attempts(rt, app.id, limit, iterator, filters, endpoint_id=ep.id)
    return await _attempts_page(rt, page, app.id, filters, with_content, with_msg)


@router.get("/app/{app_id}/attempt/msg/{msg_id}")
async def list_by_message(
    app_id: str,
    msg_id: str,
    rt: Runtime = Depends(runtime),
    limit: Limit = 50,
    iterator: str | None = None,
    filters: AttemptFilters = Depends(_filters),
    endpoint_id: str | None = None,
    with_content: bool = True,
    with_msg: bool = False,
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    msg = await message_or_404(rt.store, app, msg_id)
    ep_id = None
    if endpoint_id:
        ep_id = (await endpoint_or_404(rt.store, app, endpoint_id)).id
    page = await attempt_lists.list_attempts(
        rt, app.id, limit, iterator, filters, msg_id=msg.id, endpoint_id=ep_id
    )
    return await _attempts_page(rt, page, app.id, filters, with_content, with_msg)


@router.get("/app/{app_id}/msg/{msg_id}/attempt", deprecated=True)
async def list_message_attempts(
    app_id: str,
    msg_id: str,
    rt: Runtime = Depends(runtime),
    limit: Limit = 50,
    iterator: str | None = None,
    filters: AttemptFilters = Depends(_filters),
    endpoint_id: str | None = None,
) -> dict[str, Any]:
    """svix-server's deprecated list of a message's attempts (SDK 1.x), with their content."""
    return await list_by_message(
        app_id, msg_id, rt, limit, iterator, filters, endpoint_id, with_content=True, with_msg=False
    )


@router.get("/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/attempt", deprecated=True)
async def list_message_attempts_for_endpoint(
    app_id: str,
    msg_id: str,
    endpoint_id: str,
    rt: Runtime = Depends(runtime),
    limit: Limit = 50,
    iterator: str | None = None,
    filters: AttemptFilters = Depends(_filters),
) -> dict[str, Any]:
    """svix-server's deprecated list of a message's attempts to one endpoint (SDK 1.x)."""
    return await list_by_message(
        app_id, msg_id, rt, limit, iterator, filters, endpoint_id, with_content=True, with_msg=False
    )


@router.get("/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}")
async def get_attempt(
    app_id: str, msg_id: str, attempt_id: str, rt: Runtime = Depends(runtime), expanded_statuses: bool = False
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    msg = await message_or_404(rt.store, app, msg_id)
    attempt = await rt.store.get_attempt(app.id, attempt_id)
    if attempt is None or attempt.msg_id != msg.id:
        raise OperationError(404, "not_found", "attempt not found")
    return attempt_out(attempt, expanded=expanded_statuses)


@router.get("/app/{app_id}/msg/{msg_id}/endpoint")
async def attempted_destinations(
    app_id: str, msg_id: str, rt: Runtime = Depends(runtime), limit: Limit = 50, iterator: str | None = None
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    msg = await message_or_404(rt.store, app, msg_id)
    dispatches = [
        d for d in await rt.store.dispatches_for_message(msg.id) if not iterator or d.endpoint_id > iterator
    ]
    rows: list[dict[str, Any]] = []
    # a page and one more (for ``done``) per query; another only if an endpoint was deleted meanwhile
    for start in range(0, len(dispatches), limit + 1):
        chunk = dispatches[start : start + limit + 1]
        endpoints = await rt.store.endpoints_by_ids(app.id, [d.endpoint_id for d in chunk])
        rows.extend(
            message_endpoint_out(endpoints[d.endpoint_id], d) for d in chunk if d.endpoint_id in endpoints
        )
        if len(rows) > limit:
            break
    data = rows[:limit]
    return {
        "data": data,
        "iterator": data[-1]["id"] if data else None,
        "prevIterator": None,
        "done": len(rows) <= limit,
    }


@router.get("/app/{app_id}/endpoint/{endpoint_id}/msg")
async def attempted_messages(
    app_id: str,
    endpoint_id: str,
    rt: Runtime = Depends(runtime),
    limit: Limit = 50,
    iterator: str | None = None,
    filters: AttemptFilters = Depends(_filters),
    with_content: bool = True,
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    if filters.status_code_class is not None:
        # svix-server's attempted messages take no such filter, and a delivery has no one code
        raise FieldError(
            ["query", "status_code_class"], "status_code_class is not a filter of attempted messages"
        )
    page = await attempt_lists.list_attempted_messages(rt, app.id, ep.id, limit, iterator, filters)
    return page_out(page, lambda e: endpoint_message_out(e, with_content))


@router.post("/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend", status_code=202)
async def resend(
    app_id: str, msg_id: str, endpoint_id: str, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    msg = await message_or_404(rt.store, app, msg_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    await replay.resend(rt, msg, ep)
    return {}
