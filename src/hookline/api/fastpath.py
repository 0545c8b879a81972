"""The hot path: ``POST /api/v1/app/{app}/msg`` handled before routing, with the same contract.

Creating messages is what clients do thousands of times a second; answering it ahead of the
application skips the middleware stack, the router and dependency injection, while validation,
auth, idempotency and errors stay identical to the documented FastAPI route (which still serves
as its OpenAPI description).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any
from urllib.parse import parse_qs, unquote

from pydantic import ValidationError
from starlette.types import Receive, Scope, Send

from hookline.api.errors import ApiError, FieldError
from hookline.api.models import MessageIn
from hookline.api.runtime import Runtime
from hookline.errors import HooklineError
from hookline.store.errors import ConflictError, NotFoundError, StoreUnavailableError

MESSAGE_PATH = re.compile(r"^/api/v1/app/([^/]+)/msg/?$")


def idempotency_scope_key(path: str, authorization: bytes, key: bytes) -> str:
    """The stored key: the route, the caller (a hash of its token) and the key it sent."""
    return f"{path}:{hashlib.sha256(authorization).hexdigest()[:16]}:{key.decode('latin-1')}"


def error_body(exc: BaseException) -> tuple[int, dict[str, Any]]:
    """Status and JSON body for an error, as the exception handlers answer it."""
    if isinstance(exc, FieldError):
        return 422, {"detail": [{"loc": exc.loc, "msg": exc.detail, "type": exc.kind}]}
    if isinstance(exc, ApiError):
        return exc.status, {"code": exc.code, "detail": exc.detail}
    if isinstance(exc, NotFoundError):
        return 404, {"code": "not_found", "detail": str(exc)}
    if isinstance(exc, ConflictError):
        return 409, {"code": "conflict", "detail": str(exc)}
    if isinstance(exc, StoreUnavailableError):
        return 503, {"code": "store_unavailable", "detail": str(exc)}
    if isinstance(exc, HooklineError):
        return 500, {"code": exc.code, "detail": str(exc)}
    raise exc


async def _respond(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _respond_json(send: Send, status: int, data: Any) -> None:
    await _respond(send, status, json.dumps(data, separators=(",", ":")).encode())


def message_route(scope: Scope) -> str | None:
    """The application id or uid of a message-creation request, or None for any other request."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    match = MESSAGE_PATH.match(scope["path"])
    return unquote(match.group(1)) if match else None


class MessageFastPath:
    """Answers message creation for the application (see ``HooklineAPI``)."""

    def __init__(self, max_body: int) -> None:
        self.max_body = max_body

    async def create(self, rt: Runtime, scope: Scope, receive: Receive, send: Send, app_key: str) -> None:
        """Authenticate, validate and accept one message, answering as the FastAPI route would."""
        from hookline.api.v1.messages import accept_message

        authorization = b""
        idem = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == b"idempotency-key":
                idem = value
            elif name == b"content-length" and value.isdigit() and int(value) > self.max_body:
                await _respond_json(
                    send,
                    413,
                    {"code": "payload_too_large", "detail": f"request body over {self.max_body} bytes"},
                )
                return
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip() or not rt.token_ok(token.strip()):
            await _respond_json(
                send, 401, {"code": "authentication_failed", "detail": "invalid or missing bearer token"}
            )
            return
        chunks = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await _respond_json(
                    send,
                    413,
                    {"code": "payload_too_large", "detail": f"request body over {self.max_body} bytes"},
                )
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        try:
            body = MessageIn.model_validate_json(b"".join(chunks))
        except ValidationError as exc:
            detail = [
                {
                    "loc": ["body", *e.get("loc", ())],
                    "msg": e.get("msg", "invalid"),
                    "type": e.get("type", "value_error"),
                }
                for e in exc.errors(include_url=False, include_context=False, include_input=False)
            ]
            await _respond_json(send, 422, {"detail": detail})
            return
        raw_query = scope.get("query_string", b"")
        query = parse_qs(raw_query.decode("latin-1")) if raw_query else {}
        with_content = query.get("with_content", ["true"])[-1].lower() not in ("false", "0", "no")
        key = idempotency_scope_key(scope["path"], authorization, idem) if idem else None
        try:
            out = await accept_message(rt, app_key, body, key, with_content)
        except HooklineError as exc:
            status, data = error_body(exc)
            await _respond_json(send, status, data)
            return
        await _respond(send, 202, out.encode())
