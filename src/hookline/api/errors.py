"""API errors: Svix's bodies (``{"code", "detail"}``, and ``{"detail": [...]}`` for 422), always JSON."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from hookline.errors import HooklineError
from hookline.store.errors import ConflictError, NotFoundError, StoreUnavailableError


class ApiError(HooklineError):
    """An error answered with an HTTP status, a stable ``code`` and a ``detail`` sentence."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail, code=code)
        self.status = status
        self.detail = detail


class FieldError(ApiError):
    """A 422 naming the field that is wrong, in the shape of a request validation error."""

    def __init__(self, loc: list[str | int], msg: str, kind: str = "value_error") -> None:
        super().__init__(422, "validation", msg)
        self.loc = loc
        self.kind = kind


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


_CODES = {400: "bad_request", 401: "authentication_failed", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 429: "rate_limited"}  # fmt: skip


def install(app: FastAPI) -> None:
    """Register the handlers that give every error Svix's JSON shape."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        if isinstance(exc, FieldError):
            return JSONResponse(
                {"detail": [{"loc": exc.loc, "msg": exc.detail, "type": exc.kind}]}, status_code=422
            )
        return JSONResponse({"code": exc.code, "detail": exc.detail}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail: list[dict[str, Any]] = [
            {
                "loc": list(e.get("loc", ())),
                "msg": e.get("msg", "invalid"),
                "type": e.get("type", "value_error"),
            }
            for e in exc.errors()
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _CODES.get(exc.status_code, "http_error")
        return JSONResponse(
            {"code": code, "detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(NotFoundError)
    async def _not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"code": "not_found", "detail": str(exc)}, status_code=404)

    @app.exception_handler(ConflictError)
    async def _conflict(_: Request, exc: ConflictError) -> JSONResponse:
        return JSONResponse({"code": "conflict", "detail": str(exc)}, status_code=409)

    @app.exception_handler(StoreUnavailableError)
    async def _unavailable(_: Request, exc: StoreUnavailableError) -> JSONResponse:
        return JSONResponse({"code": "store_unavailable", "detail": str(exc)}, status_code=503)
