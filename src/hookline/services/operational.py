"""Operational webhook endpoints (Svix's ``operational_webhook.endpoint.*``): endpoints of the internal
operational application, with the same rules for URLs, secrets and headers as any endpoint."""

from __future__ import annotations

from hookline.services import endpoints
from hookline.services.errors import FieldError, not_found
from hookline.services.models import EndpointIn, OperationalEndpointIn, OperationalEndpointUpsertIn
from hookline.services.runtime import Runtime
from hookline.store.operational import OPERATIONAL_APP_ID, OPERATIONAL_EVENT_TYPES
from hookline.store.records import Endpoint, Page


def _check_types(types: list[str] | None) -> tuple[str, ...] | None:
    """An operational endpoint filters on Svix's operational event types only; another name is a 422."""
    for name in types or []:
        if name not in OPERATIONAL_EVENT_TYPES:
            raise FieldError(
                ["body", "eventTypes"],
                f"{name!r} is not an operational event type (one of: {', '.join(OPERATIONAL_EVENT_TYPES)})",
            )
    return tuple(types) if types else None


def _endpoint_in(body: OperationalEndpointUpsertIn) -> EndpointIn:
    _check_types(body.event_types)
    secret, headers = (body.secret, body.headers) if isinstance(body, OperationalEndpointIn) else (None, None)
    return EndpointIn(
        url=body.url, description=body.description, uid=body.uid, disabled=body.disabled,
        throttle_rate=body.throttle_rate, event_types=body.event_types, metadata=body.metadata,
        secret=secret, headers=headers,
    )  # fmt: skip


async def create(rt: Runtime, body: OperationalEndpointIn) -> Endpoint:
    """Create an operational endpoint (its secret generated unless the body chose one)."""
    app = await rt.store.operational_app()
    return await endpoints.create(rt, app, _endpoint_in(body))


async def get(rt: Runtime, key: str) -> Endpoint:
    """The operational endpoint with this id or uid, or a 404."""
    ep = await rt.store.get_endpoint(OPERATIONAL_APP_ID, key)
    if ep is None:
        raise not_found("endpoint")
    return ep


async def list_page(rt: Runtime, limit: int, iterator: str | None, ascending: bool) -> Page:
    """One page of operational endpoints."""
    return await rt.store.list_endpoints(OPERATIONAL_APP_ID, limit, iterator, ascending=ascending)


async def upsert(rt: Runtime, key: str, body: OperationalEndpointUpsertIn) -> tuple[Endpoint, bool]:
    """PUT: replace an operational endpoint's settings, or create it under an unknown uid."""
    app = await rt.store.operational_app()
    return await endpoints.replace_settings(rt, app, key, _endpoint_in(body))
