"""Helpers shared by the ``/api/v1`` routes: paging parameters, time parsing, lookups."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query

from hookline.api.errors import ApiError, FieldError
from hookline.store.records import Application, Endpoint
from hookline.store.store import Store

Limit = Annotated[int, Query(ge=1, le=250)]
MAX_LIMIT = 250
# A message status filter: Svix's MessageStatus, 0 success, 1 pending, 2 fail, 3 sending.
StatusFilter = Annotated[int, Query(ge=0, le=3)]


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


async def app_or_404(store: Store, app_id: str) -> Application:
    app = await store.get_app(app_id)
    if app is None:
        raise ApiError(404, "not_found", "application not found")
    return app


async def endpoint_or_404(store: Store, app: Application, endpoint_id: str) -> Endpoint:
    ep = await store.get_endpoint(app.id, endpoint_id)
    if ep is None:
        raise ApiError(404, "not_found", "endpoint not found")
    return ep
