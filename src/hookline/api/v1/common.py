"""Helpers shared by the ``/api/v1`` routes: paging parameters, time parsing, and the lookups they use."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query

from hookline.services.errors import FieldError
from hookline.services.lookups import app_or_404, endpoint_or_404, message_or_404

Limit = Annotated[int, Query(ge=1, le=250)]
MAX_LIMIT = 250
__all__ = ["ChannelFilter", "Limit", "StatusFilter", "TagFilter", "app_or_404", "endpoint_or_404", "epoch", "message_or_404", "parse_time",
           "split_list"]  # fmt: skip
# A message status filter: Svix's MessageStatus, 0 success, 1 pending, 2 fail, 3 sending.
StatusFilter = Annotated[int, Query(ge=0, le=3)]
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


def split_list(values: list[str] | None) -> list[str] | None:
    """Accept repeated query parameters and comma-joined ones alike."""
    if not values:
        return None
    out = [v for item in values for v in item.split(",") if v]
    return out or None
