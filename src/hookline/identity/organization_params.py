"""Query parameters of the organization lists: each one Clerk documents takes effect, or is refused with 422."""

from __future__ import annotations

from starlette.requests import Request

from hookline.identity.errors import IdentityError, invalid


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
