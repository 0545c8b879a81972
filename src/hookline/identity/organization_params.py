"""Query parameters of the organization lists: each one Clerk documents takes effect, or is refused with 422."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from hookline.identity.errors import IdentityError, invalid
from hookline.identity.http import json_body


def known(request: Request, allowed: set[str]) -> None:
    """422 ``form_param_unknown`` for a query parameter the operation does not take."""
    for key in request.query_params:
        name = key.removesuffix("[]")
        if name not in allowed:
            raise IdentityError(422, "form_param_unknown", f"{name} is not a known query parameter",
                                f"This operation takes no parameter {name!r}.", {"param_name": name})  # fmt: skip


def page(request: Request) -> tuple[int, int]:
    """``limit`` (1 to 500, 10 by default) and ``offset`` (0 by default)."""
    out = []
    for key, default, lo, hi in (("limit", 10, 1, 500), ("offset", 0, 0, 2**31)):
        raw = request.query_params.get(key)
        if raw is None or raw == "":
            out.append(default)
            continue
        if not (raw.isascii() and raw.isdigit()) or not lo <= int(raw) <= hi:
            raise invalid(key, f"{key} must be a whole number from {lo} to {hi}", "form_param_value_invalid")
        out.append(int(raw))
    return out[0], out[1]


def order(request: Request, columns: set[str], default: str) -> tuple[str, bool]:
    """``order_by`` as (field, descending): one of ``columns``, with an optional ``+``/``-``."""
    text = (request.query_params.get("order_by") or default).strip()
    name = text.lstrip("+-")
    if name not in columns:
        raise invalid("order_by", f"order_by must be one of {', '.join(sorted(columns))}, optionally prefixed with "
                      "+ or -", "form_param_value_invalid")  # fmt: skip
    return name, text.startswith("-")


def many(request: Request, key: str) -> tuple[str, ...]:
    """Every value of a repeated parameter (also ``key[]`` and comma-separated); at most 100."""
    out: list[str] = []
    for value in request.query_params.getlist(key) + request.query_params.getlist(key + "[]"):
        out.extend(v.strip() for v in value.split(",") if v.strip())
    if len(out) > 100:
        raise invalid(key, f"{key} accepts at most 100 values", "form_param_value_invalid")
    return tuple(out)


def signed(request: Request, key: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A ``±value`` list split into the values to include and those to exclude."""
    values = many(request, key)
    return (
        tuple(v.removeprefix("+") for v in values if not v.startswith("-")),
        tuple(v[1:] for v in values if v.startswith("-")),
    )


def text(request: Request, key: str, limit: int = 256) -> str | None:
    """A text parameter (None when empty); 422 past ``limit`` characters."""
    value = request.query_params.get(key) or None
    if value is not None and len(value) > limit:
        raise invalid(key, f"{key} must be at most {limit} characters", "form_param_value_invalid")
    return value


def flag(request: Request, key: str) -> bool | None:
    """A ``true``/``false`` parameter (None when absent)."""
    raw = request.query_params.get(key)
    if raw is None or raw == "":
        return None
    if raw.lower() not in ("true", "false"):
        raise invalid(key, f"{key} must be true or false")
    return raw.lower() == "true"


def ms(request: Request, key: str) -> int | None:
    """A time in epoch milliseconds (None when absent)."""
    raw = request.query_params.get(key)
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 16:
        raise invalid(key, f"{key} must be a time in epoch milliseconds")
    return int(raw)


def statuses(request: Request, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """The ``status`` values asked for, each one of ``allowed``."""
    found = many(request, "status")
    for s in found:
        if s not in allowed:
            raise invalid("status", f"status must be one of {', '.join(allowed)}", "form_param_value_invalid")
    return found


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    if isinstance(value, dict):  # metadata is stored as JSON, where a NUL is escaped: only its keys are text
        return any(_has_nul(k) for k in value)
    return False


def refuse_nul(value: Any, where: str) -> None:
    """422 for a NUL character in text that is stored as text (neither database keeps one)."""
    if _has_nul(value):
        raise invalid(where, f"{where} may not contain a NUL character", "form_param_format_invalid")


async def no_nul(request: Request) -> None:
    """Router dependency: 422 for a NUL character in a path or query parameter."""
    for key, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        refuse_nul(str(value), key)


async def body(request: Request) -> dict[str, Any]:
    """The request's JSON object (``json_body``), refusing NUL characters in its text fields."""
    found = await json_body(request)
    for key, value in found.items():
        refuse_nul(value, key)
    return found
