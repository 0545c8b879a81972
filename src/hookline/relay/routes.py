"""The relay's HTTP surface, mounted by ``hookline serve``.

- ``POST /relay/channels`` (API token) creates a channel and answers its ingress and listen URLs.
- ``POST|PUT|PATCH|DELETE /relay/in/{token}`` is the ingress: the request goes to every listener,
  and the sender gets what the listener's local app answered (502 when nobody could answer).
- ``GET /relay/listen/{listen_token}`` is the stream: smee.io's events by default (``smee-client``
  works), hookline's with ``?format=hookline``.
- ``POST /relay/listen/{listen_token}/replies/{key}`` is where a ``hookline listen`` client posts
  the answer.

Answers are relayed on this server's origin, so they pass through ``relay.safety``: only some
headers, a safe content type, and a sandbox that keeps any script from running.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from hookline.relay.channels import Channel, Channels, ingress_token
from hookline.relay.exiting import on_exit_signal
from hookline.relay.hub import Hub, HubFull, Listener, ListenerKind, Outcome
from hookline.relay.messages import HOP_BY_HOP, RelayedRequest, Reply
from hookline.relay.safety import listener_headers, sender_headers
from hookline.relay.smee import smee_event
from hookline.relay.sse import encode

if TYPE_CHECKING:
    from hookline.services.runtime import Runtime

MAX_BODY_BYTES = 1024 * 1024
# a listener's posted answer: a body of up to 256 KiB, base64, with its headers
MAX_REPLY_BYTES = 512 * 1024
REPLY_TIMEOUT_SECONDS = 30.0
PING_SECONDS = 30.0
# what a sender is not told about the listener's answer: framing is redone by this server
_NOT_ANSWERED = HOP_BY_HOP | {"content-length", "date", "server"}

router = APIRouter(prefix="/relay", tags=["Relay"], include_in_schema=False)


@dataclass
class RelayState:
    """The relay's parts in a serving process: the channel table and the connected listeners."""

    channels: Channels
    hub: Hub = field(default_factory=Hub)
    reply_timeout: float = REPLY_TIMEOUT_SECONDS
    ping_seconds: float = PING_SECONDS


def relay_state(request: Request) -> RelayState:
    """The relay's state, made on first use from the running server's database."""
    state: RelayState | None = getattr(request.app.state, "relay", None)
    if state is None:
        rt: Runtime = request.app.state.runtime
        state = RelayState(Channels(rt.store.db))
        request.app.state.relay = state
        on_exit_signal(state.hub.close)
    return state


def _error(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"code": code, "detail": detail}, status_code=status)


def _base_url(request: Request) -> str:
    rt: Runtime = request.app.state.runtime
    if rt.settings.public_url:
        return rt.settings.public_url.rstrip("/")
    return str(request.base_url).rstrip("/")


async def _channel(request: Request, token: str, *, listening: bool = False) -> Channel | None:
    state = relay_state(request)
    find = state.channels.find_listening if listening else state.channels.find
    channel = await find(token)
    if channel is not None:
        channel = await state.channels.touch(channel)
    return channel


def _server_credential(request: Request) -> Any:
    """A check of whether a bearer token is one of this server's own credentials."""
    rt: Runtime = request.app.state.runtime
    identity = getattr(request.app.state, "identity", None)

    def check(token: str) -> bool:
        if rt.token_ok(token) or token.startswith("hlportal_"):
            return True
        if identity is None:
            return False
        if identity.secret_key_ok(token):
            return True
        try:
            identity.signer.verify(token)
        except Exception:  # not a session token of this server: the sender's own credential
            return False
        return True

    return check


def _not_found() -> JSONResponse:
    return _error(404, "not_found", "unknown or expired relay channel")


@router.post("/channels", status_code=201)
async def create_channel(request: Request) -> JSONResponse:
    """Create a channel (bearer API token required); its token is shown only in this answer."""
    rt: Runtime = request.app.state.runtime
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _error(401, "authentication_failed", "missing bearer token (Authorization: Bearer <token>)")
    if not rt.token_ok(token.strip()):
        return _error(401, "authentication_failed", "invalid token")
    listen_token, channel = await relay_state(request).channels.create()
    base = _base_url(request)
    body = {
        "id": channel.id,
        "token": ingress_token(listen_token),
        "url": f"{base}/relay/in/{ingress_token(listen_token)}",
        "listenToken": listen_token,
        "listenUrl": f"{base}/relay/listen/{listen_token}",
        "expiresAfterUnusedSeconds": int(relay_state(request).channels.ttl),
    }
    return JSONResponse(body, status_code=201)


async def _read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes | None:
    """The body, or None when it is over ``limit`` (checked as it streams in)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


@router.api_route("/in/{token}", methods=["POST", "PUT", "PATCH", "DELETE"])
async def ingress(token: str, request: Request) -> Response:
    """Relay a request to the channel's listeners and answer with what the local app answered."""
    channel = await _channel(request, token)
    if channel is None:
        return _not_found()
    body = await _read_body(request)
    if body is None:
        return _error(413, "payload_too_large", f"request body over {MAX_BODY_BYTES} bytes")
    relayed = RelayedRequest(
        method=request.method,
        query=request.url.query,
        headers=listener_headers(
            ((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]),
            _server_credential(request),
        ),
        body=body,
    )
    state = relay_state(request)
    try:
        outcome = await state.hub.relay(channel.id, relayed, state.reply_timeout)
    except HubFull as exc:
        resp = _error(503, "relay_busy", f"the channel's listeners are not keeping up ({exc}); retry later")
        resp.headers["retry-after"] = "5"
        return resp
    if outcome is Outcome.NO_LISTENER:
        return _error(502, "no_listener", "no listener is connected to this relay channel")
    if outcome is Outcome.BROADCAST:
        return JSONResponse({"relayed": True, "listeners": state.hub.listeners(channel.id)}, status_code=202)
    if outcome is Outcome.TIMEOUT:
        return _error(504, "listener_timeout", f"no answer from a listener in {state.reply_timeout:g} s")
    assert isinstance(outcome, Reply)
    if not outcome.answered:
        # the listener's reason names the developer's machine: it is shown there, not to the sender
        return _error(502, "local_app_unreachable", "the receiving app did not answer; retry later")
    headers = [(k, v) for k, v in outcome.headers if k.lower() not in _NOT_ANSWERED]
    response = Response(outcome.body, status_code=outcome.status or 502)
    for name, value in sender_headers(headers):
        response.headers.append(name, value)
    response.headers["x-hookline-relay-duration-ms"] = f"{outcome.duration_ms:.1f}"
    return response


@router.post("/listen/{token}/replies/{key}")
async def reply(token: str, key: str, request: Request) -> Response:
    """Take a listener's report of what its local app answered."""
    if await _channel(request, token, listening=True) is None:
        return _not_found()
    raw = await _read_body(request, MAX_REPLY_BYTES)
    if raw is None:
        return _error(413, "payload_too_large", f"reply over {MAX_REPLY_BYTES} bytes")
    try:
        answer = Reply.from_json(json.loads(raw))
    except (ValueError, RecursionError) as exc:
        return _error(422, "invalid_reply", str(exc))
    if not relay_state(request).hub.answer(key, answer):
        return _error(404, "not_found", "no request is waiting for this reply (answered or timed out)")
    return Response(status_code=204)


def _frame(delivery_request: RelayedRequest, kind: ListenerKind, reply_path: str | None) -> bytes:
    if kind is ListenerKind.SMEE:
        data: dict[str, Any] = smee_event(delivery_request)
        return encode(
            json.dumps(data, separators=(",", ":"), ensure_ascii=False), event_id=delivery_request.id
        )
    return encode(
        json.dumps(delivery_request.hookline_event(reply_path or ""), separators=(",", ":")),
        event="request",
        event_id=delivery_request.id,
    )


async def _events(request: Request, token: str, listener: Listener) -> AsyncIterator[bytes]:
    state = relay_state(request)
    try:
        yield encode("{}", event="ready")
        while True:
            try:
                delivery = await asyncio.wait_for(listener.next(), state.ping_seconds)
            except TimeoutError:
                # keeps proxies from closing an idle stream, and a connected listener keeps its channel
                channel = await state.channels.find_listening(token)
                if channel is not None:
                    await state.channels.touch(channel, time.time())
                yield encode("{}", event="ping")
                continue
            if delivery is None:  # the server is exiting: end the stream, the listener reconnects
                return
            path = f"/relay/listen/{token}/replies/{delivery.reply_key}" if delivery.reply_key else None
            yield _frame(delivery.request, listener.kind, path)
    finally:
        state.hub.unsubscribe(listener)


@router.get("/in/{token}")
async def ingress_stream(token: str) -> Response:
    """The ingress URL takes requests only: listening needs the channel's listen token."""
    return _error(
        405, "method_not_allowed", "the ingress URL only takes requests; listen on the channel's listenUrl"
    )


@router.get("/listen/{token}")
async def stream(token: str, request: Request, format: str = "smee") -> Response:
    """Stream the channel's requests as server-sent events (smee.io's format unless ?format=hookline)."""
    if format not in ("smee", "hookline"):
        return _error(422, "invalid_format", "format must be smee or hookline")
    channel = await _channel(request, token, listening=True)
    if channel is None:
        return _not_found()
    kind = ListenerKind.HOOKLINE if format == "hookline" else ListenerKind.SMEE
    try:
        listener = relay_state(request).hub.subscribe(channel.id, kind)
    except HubFull as exc:
        return _error(429, "too_many_listeners", str(exc))
    return StreamingResponse(
        _events(request, token, listener),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )
