"""Listing attempts, and the messages attempted to an endpoint, with svix-server's filters and paging."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hookline.ids import ksuid_time
from hookline.services.errors import FieldError
from hookline.services.runtime import Runtime
from hookline.store.records import Attempt, Message, MessageStatus, Page


@dataclass(frozen=True)
class AttemptFilters:
    """What an attempt list keeps: Svix's query parameters, times as epoch seconds."""

    status: int | None = None
    status_code_class: int | None = None
    event_types: Sequence[str] | None = None
    channel: str | None = None
    tag: str | None = None
    before: float | None = None
    after: float | None = None
    # without it a canceled attempt reads as a success, and a success filter keeps canceled ones too
    expanded_statuses: bool = False


def check_iterator(value: str | None, prefix: str) -> str | None:
    """``value`` if it is an id of ``prefix`` (``-`` first for a previous page), else a 422."""
    if value is None or value == "":
        return None
    bare = value[1:] if value.startswith("-") else value
    if not bare.startswith(prefix + "_") or ksuid_time(bare) is None:
        raise FieldError(["query", "iterator"], f"iterator must be an id starting with {prefix}_")
    return value


def shown_status(status: int, expanded: bool) -> int:
    """An attempt's status as listed: canceled (4) reads as success (0) unless ``expanded_statuses``."""
    return status if expanded or status != MessageStatus.CANCELED else int(MessageStatus.SUCCESS)


async def list_attempts(
    rt: Runtime,
    app_id: str,
    limit: int,
    iterator: str | None,
    filters: AttemptFilters,
    *,
    msg_id: str | None = None,
    endpoint_id: str | None = None,
) -> Page:
    """One page of an application's attempts of a message and/or to an endpoint."""
    statuses: list[int] | None = None
    if filters.status is not None:
        statuses = [filters.status]
        if filters.status == MessageStatus.SUCCESS and not filters.expanded_statuses:
            statuses.append(int(MessageStatus.CANCELED))
    return await rt.store.list_attempts(
        app_id, limit, check_iterator(iterator, "atmpt"), msg_id=msg_id, endpoint_id=endpoint_id,
        status=statuses, status_code_class=filters.status_code_class, event_types=filters.event_types,
        channel=filters.channel, tag=filters.tag, before=filters.before, after=filters.after,
    )  # fmt: skip


async def messages_of(rt: Runtime, app_id: str, attempts: Sequence[Attempt]) -> dict[str, Message]:
    """The messages of these attempts, by id, in one query (to embed them, ``with_msg``)."""
    return await rt.store.messages_by_ids(app_id, [a.msg_id for a in attempts])


async def list_attempted_messages(
    rt: Runtime, app_id: str, endpoint_id: str, limit: int, iterator: str | None, filters: AttemptFilters
) -> Page:
    """One page of the messages tried at an endpoint, one row each, with their delivery's status there.

    Pending (1) is a status svix-server no longer gives a delivery, so that filter keeps nothing.
    """
    if filters.status == MessageStatus.PENDING:
        return Page([], None, None, True)
    return await rt.store.list_attempted_messages(
        app_id, endpoint_id, limit, check_iterator(iterator, "msg"), status=filters.status,
        event_types=filters.event_types, channel=filters.channel, tag=filters.tag,
        before=filters.before, after=filters.after,
    )  # fmt: skip
