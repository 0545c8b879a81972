"""Endpoints: CRUD, headers, secrets and rotation, recover, replay-missing, send-example, stats."""

from __future__ import annotations

import json
import time
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from hookline.api import sensitive_headers
from hookline.api.errors import ApiError, FieldError
from hookline.api.idempotency import NO_STORE_FLAG
from hookline.api.models import (
    EndpointHeadersIn,
    EndpointHeadersPatchIn,
    EndpointIn,
    EndpointPatch,
    EndpointSecretRotateIn,
    EventExampleIn,
    TimeRangeIn,
)
from hookline.api.runtime import Runtime, runtime
from hookline.api.serialize import endpoint_out, isolation_out, message_out, page_out, task_out
from hookline.api.v1.common import Limit, app_or_404, endpoint_or_404, epoch
from hookline.delivery.guard import TargetGuard, UnsafeTargetError
from hookline.delivery.target_url import normalize_url
from hookline.ids import new_id
from hookline.signing import InvalidSecretError, generate_secret, parse_secret
from hookline.store.errors import ConflictError
from hookline.store.records import Endpoint, Message, NewMessage, Task

router = APIRouter(tags=["Endpoint"])

ROTATION_GRACE_SECONDS = 24 * 3600
# headers a receiver must be able to trust come from hookline, never from endpoint configuration
RESERVED_HEADERS = {"content-type", "content-length", "host", "user-agent", "connection", "transfer-encoding"}


def check_url(rt: Runtime, url: str) -> str:
    """Validate a webhook URL (form and private-network guard) or answer 422 naming ``url``; return it
    as it will be sent (an internationalized host IDNA-encoded)."""
    try:
        return TargetGuard(rt.settings.delivery.allowed_targets).check_url(normalize_url(url))
    except UnsafeTargetError as exc:
        raise FieldError(["body", "url"], str(exc)) from None


def check_secret(secret: str | None) -> str:
    """Validate a caller-chosen secret, or generate one."""
    if secret is None:
        return generate_secret()
    if not secret.startswith("whsec_"):
        raise FieldError(["body", "secret"], "secret must be 'whsec_' followed by base64 of 24 to 64 bytes")
    try:
        key = parse_secret(secret)
    except InvalidSecretError as exc:
        raise FieldError(["body", "secret"], str(exc)) from None
    if not 24 <= len(key) <= 64:
        raise FieldError(["body", "secret"], "secret must be 24 to 64 bytes once base64-decoded")
    return secret


def check_headers(headers: dict[str, str], loc: str = "headers") -> dict[str, str]:
    """Refuse custom headers that would break the request or impersonate signing headers."""
    for name in headers:
        low = name.lower()
        if low in RESERVED_HEADERS or low.startswith(("webhook-", "svix-")):
            raise FieldError(["body", loc, name], f"header {name!r} is reserved")
        if not name or any(c in name for c in " :\r\n") or any(c in headers[name] for c in "\r\n"):
            raise FieldError(["body", loc, name], f"header {name!r} is not a valid HTTP header")
    return headers


async def _uid_free(rt: Runtime, app_id: str, uid: str | None, self_id: str | None = None) -> None:
    if uid is None:
        return
    other = await rt.store.get_endpoint(app_id, uid)
    if other is not None and other.id != self_id:
        raise ConflictError(f"an endpoint with uid {uid!r} already exists")


@router.get("/app/{app_id}/endpoint")
async def list_endpoints(
    app_id: str,
    rt: Runtime = Depends(runtime),
    limit: Limit = 50,
    iterator: str | None = None,
    order: str = "descending",
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    page = await rt.store.list_endpoints(app.id, limit, iterator, ascending=order == "ascending")
    return page_out(page, endpoint_out)


@router.post("/app/{app_id}/endpoint", status_code=201)
async def create_endpoint(app_id: str, body: EndpointIn, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    url = check_url(rt, body.url)
    secret = check_secret(body.secret)
    headers = check_headers(body.headers or {})
    await _uid_free(rt, app.id, body.uid)
    now = time.time()
    types = body.event_types if body.event_types is not None else body.filter_types
    ep = Endpoint(
        id=new_id("ep"), app_id=app.id, url=url, uid=body.uid, description=body.description,
        disabled=body.disabled, throttle_rate=body.throttle_rate or body.rate_limit,
        event_types=tuple(types) if types else None, channels=tuple(body.channels) if body.channels else None,
        headers=headers, metadata=body.metadata or {}, created_at=now, updated_at=now,
        max_in_flight=body.max_in_flight,
    )  # fmt: skip
    return endpoint_out(await rt.store.create_endpoint(ep, secret))


@router.get("/app/{app_id}/endpoint/{endpoint_id}")
async def get_endpoint(app_id: str, endpoint_id: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    return endpoint_out(await endpoint_or_404(rt.store, app, endpoint_id))


@router.put("/app/{app_id}/endpoint/{endpoint_id}")
async def update_endpoint(
    app_id: str, endpoint_id: str, body: EndpointIn, response: Response, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    ep = await rt.store.get_endpoint(app.id, endpoint_id)
    if ep is None:
        # PUT on an unknown uid creates the endpoint with that uid (upsert)
        if endpoint_id.startswith("ep_"):
            raise ApiError(404, "not_found", "endpoint not found")
        if body.uid is None:
            body = body.model_copy(update={"uid": endpoint_id})
        created = await create_endpoint(app.id, body, rt)
        response.status_code = 201
        return created
    url = check_url(rt, body.url)
    await _uid_free(rt, app.id, body.uid, ep.id)
    types = body.event_types if body.event_types is not None else body.filter_types
    updated = Endpoint(
        **{
            **ep.__dict__,
            "url": url, "uid": body.uid if body.uid is not None else ep.uid, "description": body.description,
            "disabled": body.disabled, "disabled_reason": None if not body.disabled else ep.disabled_reason,
            "throttle_rate": body.throttle_rate or body.rate_limit,
            "event_types": tuple(types) if types else None,
            "channels": tuple(body.channels) if body.channels else None,
            "metadata": body.metadata or {}, "updated_at": time.time(),
            "first_failure_at": ep.first_failure_at if body.disabled == ep.disabled else None,
            "headers": check_headers(body.headers) if body.headers is not None else ep.headers,
            # the Svix SDKs know nothing of it: a PUT without it keeps the endpoint's cap
            "max_in_flight": body.max_in_flight if "max_in_flight" in body.model_fields_set else ep.max_in_flight,
        }
    )  # fmt: skip
    return endpoint_out(await rt.store.update_endpoint(updated))


@router.patch("/app/{app_id}/endpoint/{endpoint_id}")
async def patch_endpoint(
    app_id: str, endpoint_id: str, body: EndpointPatch, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    fields = body.model_fields_set
    changes: dict[str, Any] = {"updated_at": time.time()}
    if "url" in fields and body.url is not None:
        changes["url"] = check_url(rt, body.url)
    if "uid" in fields:
        await _uid_free(rt, app.id, body.uid, ep.id)
        changes["uid"] = body.uid
    if "description" in fields and body.description is not None:
        changes["description"] = body.description
    if "disabled" in fields and body.disabled is not None:
        changes["disabled"] = body.disabled
        if not body.disabled:
            changes["disabled_reason"] = None
            changes["first_failure_at"] = None
    if "throttle_rate" in fields or "rate_limit" in fields:
        changes["throttle_rate"] = body.throttle_rate if "throttle_rate" in fields else body.rate_limit
    for name in ("event_types", "filter_types"):
        if name in fields:
            value = getattr(body, name)
            changes["event_types"] = tuple(value) if value else None
    if "channels" in fields:
        changes["channels"] = tuple(body.channels) if body.channels else None
    if "metadata" in fields:
        changes["metadata"] = body.metadata or {}
    if "max_in_flight" in fields:
        changes["max_in_flight"] = body.max_in_flight
    updated = Endpoint(**{**ep.__dict__, **changes})
    return endpoint_out(await rt.store.update_endpoint(updated))


@router.delete("/app/{app_id}/endpoint/{endpoint_id}", status_code=204)
async def delete_endpoint(app_id: str, endpoint_id: str, rt: Runtime = Depends(runtime)) -> Response:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    await rt.store.delete_endpoint(ep.id)
    return Response(status_code=204)


@router.get("/app/{app_id}/endpoint/{endpoint_id}/secret")
async def get_secret(app_id: str, endpoint_id: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    secrets = await rt.store.get_secrets(ep.id)
    return {"key": secrets[0]}


@router.post("/app/{app_id}/endpoint/{endpoint_id}/secret/rotate")
async def rotate_secret(
    app_id: str,
    endpoint_id: str,
    request: Request,
    body: EndpointSecretRotateIn | None = None,
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    secret = check_secret(body.key if body else None)
    await rt.store.rotate_secret(ep.id, secret, ROTATION_GRACE_SECONDS)
    request.scope[NO_STORE_FLAG] = True  # the answer holds the new secret: never kept for a replay
    return {"key": secret}


@router.get("/app/{app_id}/endpoint/{endpoint_id}/headers")
async def get_headers(app_id: str, endpoint_id: str, rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    shown, sensitive = sensitive_headers.split(ep.headers)
    return {"headers": shown, "sensitive": sensitive}


@router.put("/app/{app_id}/endpoint/{endpoint_id}/headers", status_code=204)
async def set_headers(
    app_id: str, endpoint_id: str, body: EndpointHeadersIn, rt: Runtime = Depends(runtime)
) -> Response:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    updated = Endpoint(**{**ep.__dict__, "headers": check_headers(body.headers), "updated_at": time.time()})
    await rt.store.update_endpoint(updated)
    return Response(status_code=204)


@router.patch("/app/{app_id}/endpoint/{endpoint_id}/headers", status_code=204)
async def patch_headers(
    app_id: str, endpoint_id: str, body: EndpointHeadersPatchIn, rt: Runtime = Depends(runtime)
) -> Response:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    headers = {**ep.headers, **check_headers(body.headers)}
    for name in body.delete_headers or []:
        headers.pop(name, None)
    await rt.store.update_endpoint(Endpoint(**{**ep.__dict__, "headers": headers, "updated_at": time.time()}))
    return Response(status_code=204)


async def _task(rt: Runtime, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    task = await rt.store.put_task(Task(new_id("qtask"), kind, "finished", data, time.time()))
    await rt.wakeup.announce()
    return task_out(task)


@router.post("/app/{app_id}/endpoint/{endpoint_id}/recover", status_code=202)
async def recover(
    app_id: str, endpoint_id: str, body: TimeRangeIn, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    since = epoch(body.since) or 0.0
    count = await rt.store.recover(ep.id, since, epoch(body.until))
    return await _task(rt, "endpoint.recover", {"messagesRecovered": count})


@router.post("/app/{app_id}/endpoint/{endpoint_id}/replay-missing", status_code=202)
async def replay_missing(
    app_id: str, endpoint_id: str, body: TimeRangeIn, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    count = await rt.store.replay_missing(ep, epoch(body.since) or 0.0, epoch(body.until))
    return await _task(rt, "endpoint.replay", {"messagesReplayed": count})


def example_payload(schemas: dict[str, Any] | None, index: int) -> dict[str, Any] | None:
    """The ``index``-th example of the newest schema version, if the event type has one."""
    if not schemas:
        return None
    for version in sorted(schemas, reverse=True):
        schema = schemas[version]
        if not isinstance(schema, dict):
            continue
        examples = schema.get("examples") or ([schema["example"]] if "example" in schema else [])
        if examples and 0 <= index < len(examples) and isinstance(examples[index], dict):
            return examples[index]
    return None


@router.post("/app/{app_id}/endpoint/{endpoint_id}/send-example", status_code=202)
async def send_example(
    app_id: str, endpoint_id: str, body: EventExampleIn, rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    payload = body.payload
    if payload is None:
        et = await rt.store.get_event_type(body.event_type)
        if et is None:
            raise FieldError(["body", "eventType"], f"event type {body.event_type!r} does not exist")
        payload = example_payload(et.schemas, body.example_index)
        if payload is None:
            raise FieldError(["body", "eventType"], f"event type {body.event_type!r} has no example to send")
    msg = Message(
        new_id("msg"),
        app.id,
        body.event_type,
        json.dumps(payload, separators=(",", ":")),
        created_at=time.time(),
    )
    await rt.acceptor.accept(NewMessage(msg, only_endpoints=(ep.id,)))
    return message_out(msg)


@router.get("/app/{app_id}/endpoint/{endpoint_id}/stats")
async def stats(
    app_id: str,
    endpoint_id: str,
    rt: Runtime = Depends(runtime),
    since: str | None = None,
    until: str | None = None,
) -> dict[str, Any]:
    from hookline.api.v1.common import parse_time

    app = await app_or_404(rt.store, app_id)
    ep = await endpoint_or_404(rt.store, app, endpoint_id)
    counts = await rt.store.endpoint_stats(ep.id, parse_time(since, "since"), parse_time(until, "until"))
    isolation = await rt.store.endpoint_isolation(ep.id)
    return {
        "success": counts.get(0, 0),
        "pending": counts.get(1, 0),
        "fail": counts.get(2, 0),
        "sending": counts.get(3, 0),
        "canceled": counts.get(4, 0),
        # hookline's own (the SDKs ignore fields they do not know): see docs/delivery.md
        **isolation_out(isolation, rt.settings.delivery.endpoint_max_in_flight),
    }
