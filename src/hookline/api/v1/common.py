"""Helpers shared by the ``/api/v1`` routes: paging parameters, time parsing, and the lookups they use."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import IntEnum
from typing import Annotated, Literal

from fastapi import Query, Request

from hookline.services.errors import FieldError
from hookline.services.lookups import app_or_404, endpoint_or_404, message_or_404

Limit = Annotated[int, Query(ge=1, le=250)]
Order = Literal["ascending", "descending"]  # Svix's Ordering: another value is a 422
# an event type list pages by name: an iterator is one (``-`` first for the page before)
EventTypeIterator = Annotated[str, Query(pattern=r"^-?[a-zA-Z0-9\-_.]{1,256}$")]
MAX_LIMIT = 250
__all__ = [
    "ChannelFilter",
    "EventTypeIterator",
    "Limit",
    "Order",
    "StatusCodeClass",
    "StatusFilter",
    "TagFilter",
    "app_or_404",
    "endpoint_or_404",
    "epoch",
    "event_types_filter",
    "message_or_404",
    "parse_time",
    "split_list",
]  # fmt: skip
# A status filter: Svix's MessageStatus, 0 success, 1 pending, 2 fail, 3 sending, 4 canceled.
StatusFilter = Annotated[int, Query(ge=0, le=4)]
EVENT_TYPE_NAME = re.compile(r"[a-zA-Z0-9\-_.]{1,256}")
EVENT_TYPES_KEY = re.compile(r"event_types(\[\d*\])?")


class StatusCodeClass(IntEnum):
    """Svix's filter on an attempt's response code: its hundred, 0 when no response was received."""

    CODE_NONE = 0
    CODE_1XX = 100
    CODE_2XX = 200
    CODE_3XX = 300
    CODE_4XX = 400
    CODE_5XX = 500


# List filters naming one channel or tag, matched exactly: Svix's patterns (a channel may also hold
# ``#``, which hookline accepts on messages), so a ``%`` is refused rather than read as a wildcard.
ChannelFilter = Annotated[str, Query(pattern=r"^[a-zA-Z0-9\-_.:+#]+$", min_length=1, max_length=128)]
TagFilter = Annotated[str, Query(pattern=r"^[a-zA-Z0-9\-_./\\#]+$", min_length=1, max_length=128)]


def epoch(value: datetime | None) -> float | None:
    """A datetime (naive means UTC) as epoch seconds."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def parse_time(value: str | None, field: str) -> float | None:
    """Parse an RFC 3339 query parameter into epoch seconds, or a 422 naming it."""
    if value is None or value == "":
        return None
    try:
        return epoch(datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+")))
    except ValueError:
        raise FieldError(["query", field], f"{field} must be an RFC 3339 timestamp") from None


def event_types_filter(request: Request) -> list[str] | None:
    """Svix's ``event_types`` filter, repeated or comma-joined, also under the keys ``event_types[]`` and
    ``event_types[N]`` (as svix-server reads it); a name Svix would refuse is a 422."""
    names = split_list([v for k, v in request.query_params.multi_items() if EVENT_TYPES_KEY.fullmatch(k)])
    for name in names or ():
        if not EVENT_TYPE_NAME.fullmatch(name):
            raise FieldError(["query", "event_types"], f"{name!r} is not an event type name")
    return names


def split_list(values: list[str] | None) -> list[str] | None:
    """Accept repeated query parameters and comma-joined ones alike."""
    if not values:
        return None
    out = [v for item in values for v in item.split(",") if v]
    return out or None
