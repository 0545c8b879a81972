"""How ``/api/v1`` answers on the wire: errors in Svix's JSON shapes, JSON bodies, the 413, bearer
tokens and query booleans. The documented routes and the message fast path both answer through here.

Errors are ``{"code", "detail"}``, and ``{"detail": [{"loc", "msg", "type"}]}`` for a 422; always JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import TypeAdapter, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Send

from hookline.errors import HooklineError
from hookline.services.errors import FieldError, OperationError
from hookline.store.errors import ConflictError, NotFoundError, StoreUnavailableError

_CODES = {400: "bad_request", 401: "authentication_failed", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 429: "rate_limited"}  # fmt: skip
JSON_HEADERS = ((b"content-type", b"application/json"), (b"x-content-type-options", b"nosniff"))
_BOOL = TypeAdapter(bool)


def json_bytes(data: Any) -> bytes:
    """``data`` as the compact UTF-8 JSON every answer carries (as FastAPI's ``JSONResponse`` renders it)."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode()


def error_answer(exc: BaseException) -> tuple[int, dict[str, Any]]:
    """Status and JSON body for an error; an exception that is not hookline's is raised again (a 500)."""
    if isinstance(exc, FieldError):
        return 422, {"detail": [{"loc": exc.loc, "msg": exc.detail, "type": exc.kind}]}
    if isinstance(exc, OperationError):
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


def too_large(limit: int) -> tuple[int, dict[str, Any]]:
    """The 413 for a request body over ``limit`` bytes."""
    return 413, {"code": "payload_too_large", "detail": f"request body over {limit} bytes"}


def answer(status: int, data: Any, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON answer as a Starlette response."""
    return Response(json_bytes(data), status, headers, media_type="application/json")


async def send_json(send: Send, status: int, body: bytes) -> None:
    """Answer a raw ASGI request with ``body`` (JSON text), headers as the documented routes send them."""
    headers = [(b"content-length", str(len(body)).encode()), *JSON_HEADERS]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def send_error(send: Send, exc: BaseException) -> None:
    """Answer a raw ASGI request with the JSON of ``exc`` (see ``error_answer``)."""
    status, data = error_answer(exc)
    await send_json(send, status, json_bytes(data))


def bearer_token(authorization: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None when there is none."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def missing_token() -> OperationError:
    """The 401 for a request without a bearer token."""
    return OperationError(
        401, "authentication_failed", "missing bearer token (Authorization: Bearer <token>)"
    )


def invalid_token() -> OperationError:
    """The 401 for a bearer token no one issued (or that was revoked)."""
    return OperationError(401, "authentication_failed", "invalid token")


def query_bool(value: str | None, default: bool) -> bool | None:
    """A boolean query parameter read as the documented routes read it (``true/false``, ``1/0``,
    ``yes/no``, ``on/off``, ...): ``default`` when absent, None when it is not a boolean (a 422)."""
    if value is None:
        return default
    try:
        return _BOOL.validate_python(value)
    except ValidationError:
        return None


def clerk_error(status: int, path: str) -> dict[str, Any]:
    """Clerk's error body for a route the identity API does not have (404) or a method it lacks (405)."""
    if status == 404:
        code, message, long = "resource_not_found", "not found", f"No route {path} exists"
    elif status == 405:
        code, message, long = (
            "request_method_not_allowed",
            "method not allowed",
            f"{path} does not take this method",
        )
    else:
        code, message, long = "request_invalid", "invalid request", f"the request to {path} was refused"
    return {"errors": [{"message": message, "long_message": long, "code": code, "meta": {}}]}


def install(app: FastAPI) -> None:
    """Register the handlers that give every ``/api/v1`` error Svix's JSON shape."""

    @app.exception_handler(HooklineError)
    async def _hookline(request: Request, exc: HooklineError) -> Response:
        mapped = (OperationError, NotFoundError, ConflictError, StoreUnavailableError)
        if not isinstance(exc, mapped) and not request.url.path.startswith("/api/"):
            raise exc  # outside /api/v1 an unmapped error stays a plain 500, as it always was
        status, data = error_answer(exc)
        return answer(status, data)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> Response:
        detail: list[dict[str, Any]] = [
            {
                "loc": list(e.get("loc", ())),
                "msg": e.get("msg", "invalid"),
                "type": e.get("type", "value_error"),
            }
            for e in exc.errors()
        ]
        return answer(422, {"detail": detail})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        path = request.url.path
        if path == "/v1" or path.startswith("/v1/"):
            # the Clerk-compatible identity API: its clients read Clerk's error body, not Svix's
            return answer(exc.status_code, clerk_error(exc.status_code, path), exc.headers)
        code = _CODES.get(exc.status_code, "http_error")
        return answer(exc.status_code, {"code": code, "detail": str(exc.detail)}, exc.headers)
