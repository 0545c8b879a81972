"""Operations of the ``svix`` SDK that hookline does not serve: a 501 in Svix's error shape, naming the operation.

svix-server answers its own unimplemented routes the same way (``not_implemented``); without this the SDK
would see a bare 404 or 405 and its caller could not tell a missing record from a missing operation.
Routers here are added after every served route, so a route that starts being served wins over its row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import NoReturn

from fastapi import APIRouter

from hookline.services.errors import OperationError

# (SDK operation, HTTP method, path under /api/v1 or /ingest/api/v1), as the svix 2.9.1 SDK calls them.
API_V1: tuple[tuple[str, str, str], ...] = (
    ("authentication.stream_portal_access", "POST", "/auth/stream-portal-access/{stream_id}"),
    ("authentication.stream_logout", "POST", "/auth/stream-logout"),
    ("authentication.stream_expire_all", "POST", "/auth/stream/{stream_id}/expire-all"),
    ("authentication.rotate_stream_poller_token", "POST", "/auth/stream/{stream_id}/sink/{sink_id}/poller/token/rotate"),
    ("authentication.get_stream_poller_token", "GET", "/auth/stream/{stream_id}/sink/{sink_id}/poller/token"),
    ("autoconfig_subscription.create", "POST", "/app/{app_id}/autoconfig"),
    ("autoconfig_subscription.delete", "DELETE", "/app/{app_id}/autoconfig/{autoconfig_id}"),
    ("autoconfig_subscription.rotate", "POST", "/app/{app_id}/autoconfig/{autoconfig_id}/rotate"),
    ("connector.list", "GET", "/connector"),
    ("connector.create", "POST", "/connector"),
    ("connector.get", "GET", "/connector/{connector_id}"),
    ("connector.upsert", "PUT", "/connector/{connector_id}"),
    ("connector.delete", "DELETE", "/connector/{connector_id}"),
    ("connector.patch", "PATCH", "/connector/{connector_id}"),
    ("destination.list", "GET", "/app/{app_id}/destination"),
    ("destination.create", "POST", "/app/{app_id}/destination"),
    ("destination.get", "GET", "/app/{app_id}/destination/{destination_id}"),
    ("destination.upsert", "PUT", "/app/{app_id}/destination/{destination_id}"),
    ("destination.delete", "DELETE", "/app/{app_id}/destination/{destination_id}"),
    ("destination.patch", "PATCH", "/app/{app_id}/destination/{destination_id}"),
    ("destination.rotate_secret", "POST", "/app/{app_id}/destination/{destination_id}/secret/rotate"),
    ("destination.transformation.get", "GET", "/app/{app_id}/destination/{destination_id}/transformation"),
    ("destination.transformation.patch", "PATCH", "/app/{app_id}/destination/{destination_id}/transformation"),
    ("endpoint.transformation.get", "GET", "/app/{app_id}/endpoint/{endpoint_id}/transformation"),
    ("endpoint.transformation.patch", "PATCH", "/app/{app_id}/endpoint/{endpoint_id}/transformation"),
    ("integration.list", "GET", "/app/{app_id}/integration"),
    ("integration.create", "POST", "/app/{app_id}/integration"),
    ("integration.get", "GET", "/app/{app_id}/integration/{integ_id}"),
    ("integration.update", "PUT", "/app/{app_id}/integration/{integ_id}"),
    ("integration.delete", "DELETE", "/app/{app_id}/integration/{integ_id}"),
    ("integration.rotate_key", "POST", "/app/{app_id}/integration/{integ_id}/key/rotate"),
    ("message.poller.poll", "GET", "/app/{app_id}/poller/{sink_id}"),
    ("message.poller.consumer_seek", "POST", "/app/{app_id}/poller/{sink_id}/consumer/{consumer_id}/seek"),
    ("message.poller.consumer_poll", "GET", "/app/{app_id}/poller/{sink_id}/consumer/{consumer_id}"),
    ("streaming.sink_headers_get", "GET", "/stream/{stream_id}/sink/{sink_id}/headers"),
    ("streaming.sink_headers_patch", "PATCH", "/stream/{stream_id}/sink/{sink_id}/headers"),
    ("streaming.event_type.list", "GET", "/stream/event-type"),
    ("streaming.event_type.create", "POST", "/stream/event-type"),
    ("streaming.event_type.get", "GET", "/stream/event-type/{name}"),
    ("streaming.event_type.upsert", "PUT", "/stream/event-type/{name}"),
    ("streaming.event_type.delete", "DELETE", "/stream/event-type/{name}"),
    ("streaming.event_type.patch", "PATCH", "/stream/event-type/{name}"),
    ("streaming.events.get", "GET", "/stream/{stream_id}/sink/{sink_id}/events"),
    ("streaming.events.create", "POST", "/stream/{stream_id}/events"),
    ("streaming.sink.list", "GET", "/stream/{stream_id}/sink"),
    ("streaming.sink.create", "POST", "/stream/{stream_id}/sink"),
    ("streaming.sink.get", "GET", "/stream/{stream_id}/sink/{sink_id}"),
    ("streaming.sink.upsert", "PUT", "/stream/{stream_id}/sink/{sink_id}"),
    ("streaming.sink.delete", "DELETE", "/stream/{stream_id}/sink/{sink_id}"),
    ("streaming.sink.patch", "PATCH", "/stream/{stream_id}/sink/{sink_id}"),
    ("streaming.sink.get_secret", "GET", "/stream/{stream_id}/sink/{sink_id}/secret"),
    ("streaming.sink.rotate_secret", "POST", "/stream/{stream_id}/sink/{sink_id}/secret/rotate"),
    ("streaming.sink.transformation.get", "GET", "/stream/{stream_id}/sink/{sink_id}/transformation"),
    ("streaming.sink.transformation.patch", "PATCH", "/stream/{stream_id}/sink/{sink_id}/transformation"),
    ("streaming.stream.list", "GET", "/stream"),
    ("streaming.stream.create", "POST", "/stream"),
    ("streaming.stream.get", "GET", "/stream/{stream_id}"),
    ("streaming.stream.upsert", "PUT", "/stream/{stream_id}"),
    ("streaming.stream.delete", "DELETE", "/stream/{stream_id}"),
    ("streaming.stream.patch", "PATCH", "/stream/{stream_id}"),
)  # fmt: skip

INGEST_V1: tuple[tuple[str, str, str], ...] = (
    ("ingest.authentication.consumer_portal_access", "POST", "/source/{source_id}/dashboard"),
    ("ingest.endpoint.list", "GET", "/source/{source_id}/endpoint"),
    ("ingest.endpoint.create", "POST", "/source/{source_id}/endpoint"),
    ("ingest.endpoint.get", "GET", "/source/{source_id}/endpoint/{endpoint_id}"),
    ("ingest.endpoint.upsert", "PUT", "/source/{source_id}/endpoint/{endpoint_id}"),
    ("ingest.endpoint.delete", "DELETE", "/source/{source_id}/endpoint/{endpoint_id}"),
    ("ingest.endpoint.get_secret", "GET", "/source/{source_id}/endpoint/{endpoint_id}/secret"),
    ("ingest.endpoint.rotate_secret", "POST", "/source/{source_id}/endpoint/{endpoint_id}/secret/rotate"),
    ("ingest.endpoint.get_headers", "GET", "/source/{source_id}/endpoint/{endpoint_id}/headers"),
    ("ingest.endpoint.set_headers", "PUT", "/source/{source_id}/endpoint/{endpoint_id}/headers"),
    ("ingest.endpoint.transformation.get", "GET", "/source/{source_id}/endpoint/{endpoint_id}/transformation"),
    ("ingest.endpoint.transformation.patch", "PATCH", "/source/{source_id}/endpoint/{endpoint_id}/transformation"),
    ("ingest.source.list", "GET", "/source"),
    ("ingest.source.create", "POST", "/source"),
    ("ingest.source.get", "GET", "/source/{source_id}"),
    ("ingest.source.upsert", "PUT", "/source/{source_id}"),
    ("ingest.source.delete", "DELETE", "/source/{source_id}"),
    ("ingest.source.rotate_token", "POST", "/source/{source_id}/token/rotate"),
)  # fmt: skip


def not_implemented(operation: str) -> OperationError:
    """The 501 for an SDK operation hookline does not serve."""
    return OperationError(
        501,
        "not_implemented",
        f"hookline does not implement the Svix operation `{operation}` ({_why(operation)}).",
    )


def _why(operation: str) -> str:
    cloud = ("authentication.stream", "authentication.rotate_stream", "authentication.get_stream", "autoconfig",
             "connector.", "destination.", "ingest.", "integration.", "message.poller.", "streaming.")  # fmt: skip
    if operation.startswith(cloud):
        return "a product of Svix's cloud service, out of hookline's scope"
    if "transformation" in operation:
        return "transformations are not supported yet"
    return "not supported yet"


def _handler(operation: str) -> Callable[[], Awaitable[NoReturn]]:
    async def unserved() -> NoReturn:
        raise not_implemented(operation)

    return unserved


def _router(rows: tuple[tuple[str, str, str], ...]) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    for operation, method, path in rows:
        router.add_api_route(
            path, _handler(operation), methods=[method], status_code=501, name=operation, response_model=None
        )
    return router


router = _router(API_V1)  # inside /api/v1: the caller's token is checked first, as for every operation
ingest = _router(INGEST_V1)
