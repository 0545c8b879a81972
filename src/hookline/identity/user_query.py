"""``GET /v1/users`` and ``/v1/users/count``: every filter and ``order_by`` of Clerk's Backend API,
each taking effect exactly as Clerk documents it, or refused with 422 naming the parameter.

hookline has no phone numbers, Web3 wallets or external accounts: a filter on them matches no user
(which is what it does on Clerk for users without them); ordering by them is refused, since no
order could be told apart from another. Sorting is the same on SQLite and PostgreSQL: text compares
case-insensitively byte by byte (``COLLATE "C"``), and users without the value come last.
"""

from __future__ import annotations

from starlette.requests import Request

from hookline.identity import users
from hookline.identity.errors import IdentityError, invalid
from hookline.store.conn import Conn
from hookline.store.identity_records import User
from hookline.store.identity_users import UserQuery

LIST_PARAMS = frozenset({
    "email_address", "phone_number", "external_id", "username", "user_id", "organization_id", "query",
    "email_address_query", "phone_number_query", "username_query", "name_query", "banned",
    "last_active_at_before", "last_active_at_after", "last_active_at_since", "created_at_before",
    "created_at_after", "last_sign_in_at_before", "last_sign_in_at_after", "provider", "provider_user_id",
})  # fmt: skip
PAGE_PARAMS = frozenset({"limit", "offset", "order_by"})


def _many(request: Request, key: str) -> tuple[str, ...]:
    out: list[str] = []
    for value in request.query_params.getlist(key) + request.query_params.getlist(key + "[]"):
        out.extend(v.strip() for v in value.split(",") if v.strip())
    if len(out) > 100:  # Clerk's limit, and what keeps one query's parameters bounded
        raise invalid(key, f"{key} accepts at most 100 values", "form_param_value_invalid")
    return tuple(out)


def _ms(request: Request, key: str) -> int | None:
    raw = request.query_params.get(key)
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 16:
        raise invalid(key, f"{key} must be a time in epoch milliseconds")
    return int(raw)


def _text(request: Request, key: str) -> str | None:
    return request.query_params.get(key) or None


def parse(request: Request) -> UserQuery:
    """The filters of a request; 422 for an unknown parameter or a value of the wrong form."""
    for key in request.query_params:
        name = key.removesuffix("[]")
        if name not in LIST_PARAMS and name not in PAGE_PARAMS:
            raise IdentityError(422, "form_param_unknown", f"{name} is not a known query parameter",
                                f"GET /v1/users takes no parameter {name!r}.", {"param_name": name})  # fmt: skip
    organizations = _many(request, "organization_id")
    provider, provider_ids = _text(request, "provider"), _many(request, "provider_user_id")
    if bool(provider) != bool(provider_ids):
        raise invalid("provider" if provider_ids else "provider_user_id",
                      "provider and provider_user_id must be given together", "form_param_missing")  # fmt: skip
    banned = request.query_params.get("banned")
    if banned is not None and banned.lower() not in ("true", "false"):
        raise invalid("banned", "banned must be true or false")
    for key in ("query", "email_address_query", "username_query", "name_query", "phone_number_query"):
        if len(request.query_params.get(key) or "") > 256:
            raise invalid(key, f"{key} must be at most 256 characters", "form_param_value_invalid")
    active_after = [
        v for v in (_ms(request, "last_active_at_after"), _ms(request, "last_active_at_since")) if v
    ]
    return UserQuery(
        email_address=_many(request, "email_address"), user_id=_many(request, "user_id"),
        external_id=_many(request, "external_id"), username=_many(request, "username"),
        query=_text(request, "query"), banned=None if banned is None else banned.lower() == "true",
        created_at_before=_ms(request, "created_at_before"), created_at_after=_ms(request, "created_at_after"),
        email_address_query=_text(request, "email_address_query"),
        username_query=_text(request, "username_query"), name_query=_text(request, "name_query"),
        last_active_at_before=_ms(request, "last_active_at_before"),
        last_active_at_after=max(active_after) if active_after else None,
        last_sign_in_at_before=_ms(request, "last_sign_in_at_before"),
        last_sign_in_at_after=_ms(request, "last_sign_in_at_after"),
        organization_in=tuple(o.removeprefix("+") for o in organizations if not o.startswith("-")),
        organization_not_in=tuple(o[1:] for o in organizations if o.startswith("-")),
        match_nothing=bool(_many(request, "phone_number") or _text(request, "phone_number_query") or provider),
    )  # fmt: skip


def first_order_by(request: Request) -> str | None:
    """The first ``order_by`` given (Clerk keeps the first when several are sent)."""
    values = request.query_params.getlist("order_by")
    return values[0] if values else None


async def search(c: Conn, q: UserQuery, order_by: str | None, limit: int, offset: int) -> list[User]:
    """One page of users matching ``q`` in the requested order."""
    return await users.search(c, q, order_by, limit, offset)


async def count(c: Conn, q: UserQuery) -> int:
    """How many users match ``q``."""
    return await users.count(c, q)
