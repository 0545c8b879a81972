"""Endpoints: the rules for their URL, secret and headers, and the operations that change them.

The ``/api/v1`` routes and the dashboard's endpoint pages both call these, so a URL the API refuses
is refused by the dashboard too, with the same sentence.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import replace
from typing import Any

from hookline.config import Settings
from hookline.delivery.guard import TargetGuard, UnsafeTargetError
from hookline.delivery.target_url import normalize_url
from hookline.ids import new_id
from hookline.services import operational_events
from hookline.services.errors import FieldError, OperationError, not_found
from hookline.services.models import EndpointHeadersPatchIn, EndpointIn, EndpointPatch
from hookline.services.runtime import Runtime
from hookline.signing import (
    InvalidSecretError,
    generate_secret,
    parse_secret,
    parse_signing_key,
    verification_key,
)
from hookline.store.claiming import BreakerState
from hookline.store.errors import ConflictError
from hookline.store.records import Application, Endpoint

# how long a rotated-out secret keeps signing beside the new one, so receivers can switch without a gap
ROTATION_GRACE_SECONDS = 24 * 3600
MAX_OLD_SECRETS = 10  # replaced secrets still signing, as svix-server's limit
# headers a receiver must be able to trust come from hookline, never from endpoint configuration
RESERVED_HEADERS = {"content-type", "content-length", "host", "user-agent", "connection", "transfer-encoding"}


def check_url(settings: Settings, url: str) -> str:
    """Validate a webhook URL (form and private-network guard) or raise a 422 naming ``url``; return it
    as it will be sent (an internationalized host IDNA-encoded)."""
    try:
        return TargetGuard(settings.delivery.allowed_targets).check_url(normalize_url(url))
    except UnsafeTargetError as exc:
        raise FieldError(["body", "url"], str(exc)) from None


def check_secret(secret: str | None) -> str:
    """Validate a caller-chosen secret, or generate one: a ``whsec_`` HMAC secret (24 to 64 bytes), or as
    Svix a ``whsk_`` ed25519 signing key (its 64-byte seed+public form, or the 32-byte seed), which makes
    the endpoint's deliveries signed ``v1a``."""
    if secret is None:
        return generate_secret()
    if secret.startswith("whsk_"):
        try:
            parse_signing_key(secret)
        except InvalidSecretError as exc:
            raise FieldError(["body", "secret"], str(exc)) from None
        return secret
    if not secret.startswith("whsec_"):
        raise FieldError(
            ["body", "secret"],
            "secret must be 'whsec_' followed by base64 of 24 to 64 bytes, or an ed25519 'whsk_' signing key",
        )
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


async def create(rt: Runtime, app: Application, body: EndpointIn, endpoint_id: str | None = None) -> Endpoint:
    """Create an endpoint of ``app`` (its secret generated unless the body chose one); ``endpoint_id`` keeps
    an id from another server (an environment import)."""
    url = check_url(rt.settings, body.url)
    secret = check_secret(body.secret)
    headers = check_headers(body.headers or {})
    await _uid_free(rt, app.id, body.uid)
    now = time.time()
    types = body.event_types if body.event_types is not None else body.filter_types
    ep = Endpoint(
        id=endpoint_id or new_id("ep"), app_id=app.id, url=url, uid=body.uid, description=body.description,
        disabled=body.disabled, throttle_rate=body.throttle_rate or body.rate_limit,
        event_types=tuple(types) if types else None, channels=tuple(body.channels) if body.channels else None,
        headers=headers, metadata=body.metadata or {}, created_at=now, updated_at=now,
        max_in_flight=body.max_in_flight, version=body.version or 1,
    )  # fmt: skip
    created = await rt.store.create_endpoint(ep, secret)
    await operational_events.endpoint_changed(rt, "endpoint.created", created)
    return created


async def replace_settings(
    rt: Runtime, app: Application, endpoint_id: str, body: EndpointIn
) -> tuple[Endpoint, bool]:
    """PUT: replace an endpoint's settings, or create it under an unknown uid; True when created."""
    ep = await rt.store.get_endpoint(app.id, endpoint_id)
    if ep is None:
        if endpoint_id.startswith("ep_"):
            raise not_found("endpoint")
        if body.uid is None:
            body = body.model_copy(update={"uid": endpoint_id})
        return await create(rt, app, body), True
    await refuse_secret_change(rt, ep, body.secret, body.model_fields_set)
    url = check_url(rt.settings, body.url)
    await _uid_free(rt, app.id, body.uid, ep.id)
    types = body.event_types if body.event_types is not None else body.filter_types
    updated = replace(
        ep,
        url=url, uid=body.uid if body.uid is not None else ep.uid, description=body.description,
        disabled=body.disabled, disabled_reason=None if not body.disabled else ep.disabled_reason,
        throttle_rate=body.throttle_rate or body.rate_limit,
        event_types=tuple(types) if types else None,
        channels=tuple(body.channels) if body.channels else None,
        metadata=body.metadata or {}, updated_at=time.time(),
        first_failure_at=ep.first_failure_at if body.disabled == ep.disabled else None,
        headers=check_headers(body.headers) if body.headers is not None else ep.headers,
        # the Svix SDKs know nothing of it: a PUT without it keeps the endpoint's cap
        max_in_flight=body.max_in_flight if "max_in_flight" in body.model_fields_set else ep.max_in_flight,
        version=body.version or 1,  # as svix-server: a PUT without it sets 1
    )  # fmt: skip
    saved = await rt.store.update_endpoint(updated)
    await operational_events.endpoint_updated(rt, ep, saved)
    return saved, False


async def patch(rt: Runtime, app: Application, ep: Endpoint, body: EndpointPatch) -> Endpoint:
    """PATCH: change only the fields the body names."""
    fields = body.model_fields_set
    await refuse_secret_change(rt, ep, body.secret, fields)
    changes: dict[str, Any] = {"updated_at": time.time()}
    if "url" in fields and body.url is not None:
        changes["url"] = check_url(rt.settings, body.url)
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
    if "version" in fields and body.version is not None:
        changes["version"] = body.version
    saved = await rt.store.update_endpoint(replace(ep, **changes))
    await operational_events.endpoint_updated(rt, ep, saved)
    return saved


async def save_settings(
    rt: Runtime,
    ep: Endpoint,
    *,
    url: str,
    event_types: tuple[str, ...] | None,
    channels: tuple[str, ...] | None,
    headers: dict[str, str],
    throttle_rate: int | None,
    description: str,
) -> Endpoint:
    """The dashboard's endpoint form: URL, filters, headers and rate limit checked as the API checks them."""
    updated = replace(
        ep, url=check_url(rt.settings, url), event_types=event_types or None, channels=channels or None,
        headers=check_headers(headers), throttle_rate=throttle_rate, description=description,
        updated_at=time.time(),
    )  # fmt: skip
    saved = await rt.store.update_endpoint(updated)
    await operational_events.endpoint_updated(rt, ep, saved)
    return saved


async def set_enabled(rt: Runtime, ep: Endpoint, enable: bool, reason: str) -> Endpoint:
    """Enable (clearing the failure streak) or disable an endpoint."""
    changed = replace(
        ep, disabled=not enable, disabled_reason=None if enable else reason,
        first_failure_at=None if enable else ep.first_failure_at, updated_at=time.time(),
    )  # fmt: skip
    saved = await rt.store.update_endpoint(changed)
    await operational_events.endpoint_updated(rt, ep, saved)
    return saved


async def delete(rt: Runtime, ep: Endpoint) -> None:
    """Delete an endpoint, its secrets and its pending deliveries (its attempts stay in the log)."""
    await rt.store.delete_endpoint(ep.id)
    await operational_events.endpoint_changed(rt, "endpoint.deleted", ep)


async def set_headers(rt: Runtime, ep: Endpoint, headers: dict[str, str]) -> None:
    """Replace the endpoint's custom headers."""
    await rt.store.update_endpoint(replace(ep, headers=check_headers(headers), updated_at=time.time()))


async def patch_headers(rt: Runtime, ep: Endpoint, body: EndpointHeadersPatchIn) -> None:
    """Add or change some custom headers and delete others."""
    headers = {**ep.headers, **check_headers(body.headers)}
    for name in body.delete_headers or []:
        headers.pop(name, None)
    await rt.store.update_endpoint(replace(ep, headers=headers, updated_at=time.time()))


async def rotate_secret(
    rt: Runtime, ep: Endpoint, secret: str | None = None, grace_seconds: int = ROTATION_GRACE_SECONDS
) -> str:
    """Give the endpoint a new secret (``secret``, checked, or a generated one); the one it replaces keeps
    signing for ``grace_seconds`` (0: stops at once), older ones until their own end. Return what receivers
    verify with from now on (the secret, or a ``whsk_`` key's ``whpk_`` public key).

    As Svix, at most ``MAX_OLD_SECRETS`` replaced secrets may still be signing: one more is a 400."""
    new = check_secret(secret)
    if not await rt.store.rotate_secret(ep.id, new, grace_seconds, MAX_OLD_SECRETS):
        raise OperationError(
            400, "limit_reached", f"You can only rotate a key {MAX_OLD_SECRETS} times; please wait for old keys "
            "to expire (or rotate with gracePeriodSeconds 0).",
        )  # fmt: skip
    await operational_events.endpoint_changed(rt, "endpoint.updated", ep)  # as svix-server
    return verification_key(new)


async def refuse_secret_change(rt: Runtime, ep: Endpoint, secret: str | None, fields: set[str]) -> None:
    """A PUT or PATCH of an existing endpoint naming a ``secret`` other than its current one is a 422:
    Svix changes secrets only by rotation (which keeps the old one signing for a while)."""
    if "secret" not in fields or secret is None:
        return
    current = await signing_secret(rt, ep)
    if current is not None and hmac.compare_digest(secret.encode(), current.encode()):
        return
    raise FieldError(
        ["body", "secret"],
        "an existing endpoint's secret is changed by rotating it (POST .../secret/rotate), not by PUT or PATCH",
    )


async def signing_secret(rt: Runtime, ep: Endpoint) -> str | None:
    """The secret the endpoint's deliveries are signed with now (an ed25519 key's private half)."""
    secrets = await rt.store.get_secrets(ep.id)
    return secrets[0] if secrets else None


async def current_secret(rt: Runtime, ep: Endpoint) -> str | None:
    """What the endpoint's receiver verifies with now: the ``whsec_`` secret, or, as Svix shows it, the
    ``whpk_`` public key of a ``whsk_`` signing key (the private key never leaves the server)."""
    secret = await signing_secret(rt, ep)
    return verification_key(secret) if secret is not None else None


async def isolation(rt: Runtime, ep: Endpoint) -> BreakerState | None:
    """The endpoint's cap, deliveries in flight and circuit breaker now."""
    return await rt.store.endpoint_isolation(ep.id)


async def stats(rt: Runtime, ep: Endpoint, since: float | None, until: float | None) -> dict[str, int]:
    """Deliveries to the endpoint by status, as Svix's endpoint stats name them."""
    counts = await rt.store.endpoint_stats(ep.id, since, until)
    return {
        "success": counts.get(0, 0),
        "pending": counts.get(1, 0),
        "fail": counts.get(2, 0),
        "sending": counts.get(3, 0),
        "canceled": counts.get(4, 0),
    }
