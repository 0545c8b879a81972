"""``GET /v1/users`` and ``/v1/users/count``: every filter and ``order_by`` of Clerk's Backend API,
each taking effect exactly as Clerk documents it, or refused with 422 naming the parameter.

hookline has no phone numbers, Web3 wallets or external accounts: a filter on them matches no user
(which is what it does on Clerk for users without them); ordering by them is refused, since no
order could be told apart from another. Sorting is the same on SQLite and PostgreSQL: text compares
case-insensitively byte by byte (``COLLATE "C"``), and users without the value come last.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from hookline.identity.errors import IdentityError, invalid
from hookline.identity.resources import USER_COLS, User
from hookline.identity.users import UserFilter, _with_emails
from hookline.store.db import Conn

LIST_PARAMS = frozenset({
    "email_address", "phone_number", "external_id", "username", "user_id", "organization_id", "query",
    "email_address_query", "phone_number_query", "username_query", "name_query", "banned",
    "last_active_at_before", "last_active_at_after", "last_active_at_since", "created_at_before",
    "created_at_after", "last_sign_in_at_before", "last_sign_in_at_after", "provider", "provider_user_id",
})  # fmt: skip
PAGE_PARAMS = frozenset({"limit", "offset", "order_by"})
_PRIMARY_EMAIL = "(SELECT e.email_address FROM identity_email_addresses e WHERE e.id = identity_users.primary_email_address_id)"
ORDER_COLUMNS = {
    "created_at": ("created_at", False),
    "updated_at": ("updated_at", False),
    "last_active_at": ("last_active_at", False),
    "last_sign_in_at": ("last_sign_in_at", False),
    "first_name": ("first_name", True),
    "last_name": ("last_name", True),
    "username": ("username", True),
    "email_address": (_PRIMARY_EMAIL, True),
}
NO_SUCH_VALUES = {"phone_number": "phone numbers", "web3wallet": "Web3 wallets"}


def _like(text: str) -> str:
    """A case-insensitive ``LIKE`` pattern matching ``text`` anywhere (its wildcards taken literally)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class UserQuery(UserFilter):
    """Clerk's user filters beyond ``UserFilter``'s."""

    email_address_query: str | None = None
    username_query: str | None = None
    name_query: str | None = None
    last_active_at_before: int | None = None
    last_active_at_after: int | None = None
    last_sign_in_at_before: int | None = None
    last_sign_in_at_after: int | None = None
    match_nothing: bool = False  # a filter on phone numbers or external accounts, which no user has

    def where(self) -> tuple[str, list[Any]]:
        """SQL conditions (joined with AND) and their parameters."""
        base, params = super().where()
        conds = [base.removeprefix(" WHERE ")] if base else []
        if self.match_nothing:
            conds.append("1 = 0")
        if self.email_address_query:
            conds.append(
                "id IN (SELECT user_id FROM identity_email_addresses WHERE email_address LIKE ? ESCAPE '\\')"
            )
            params.append(_like(self.email_address_query))
        if self.username_query:
            conds.append("LOWER(COALESCE(username, '')) LIKE ? ESCAPE '\\'")
            params.append(_like(self.username_query))
        if self.name_query:
            conds.append("(LOWER(COALESCE(first_name, '')) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(last_name, '')) "
                         "LIKE ? ESCAPE '\\' OR LOWER(COALESCE(first_name, '') || ' ' || COALESCE(last_name, '')) "
                         "LIKE ? ESCAPE '\\')")  # fmt: skip
            params.extend([_like(self.name_query)] * 3)
        for column, op, value in (
            ("last_active_at", "<", self.last_active_at_before),
            ("last_active_at", ">", self.last_active_at_after),
            ("last_sign_in_at", "<", self.last_sign_in_at_before),
            ("last_sign_in_at", ">", self.last_sign_in_at_after),
        ):
            if value is not None:
                conds.append(f"{column} {op} ?")
                params.append(value)
        return (" WHERE " + " AND ".join(conds)) if conds else "", params


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
    if _many(request, "organization_id"):
        raise invalid("organization_id", "list an organization's members with GET /v1/organizations/{id}/memberships",
                      "form_param_value_invalid")  # fmt: skip
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
        match_nothing=bool(_many(request, "phone_number") or _text(request, "phone_number_query") or provider),
    )  # fmt: skip


def order_clause(order_by: str | None, dialect: str) -> str:
    """``order_by`` (``-created_at`` by default; ``+`` implied without a sign) as ORDER BY; 422 if unknown."""
    text = (order_by or "-created_at").strip()
    desc = text.startswith("-")
    name = text.lstrip("+-")
    if name in NO_SUCH_VALUES:
        raise invalid("order_by", f"hookline has no {NO_SUCH_VALUES[name]}, so users cannot be ordered by them",
                      "form_param_value_invalid")  # fmt: skip
    if name not in ORDER_COLUMNS:
        raise invalid("order_by", f"order_by must be one of {', '.join(sorted(ORDER_COLUMNS))}, optionally "
                      "prefixed with + or -", "form_param_value_invalid")  # fmt: skip
    column, is_text = ORDER_COLUMNS[name]
    direction = "DESC" if desc else "ASC"
    key = f"LOWER({column})" + (' COLLATE "C"' if dialect == "postgres" else "") if is_text else column
    # users without the value come last either way, on both databases
    return f" ORDER BY CASE WHEN {column} IS NULL THEN 1 ELSE 0 END, {key} {direction}, id {direction}"


def first_order_by(request: Request) -> str | None:
    """The first ``order_by`` given (Clerk keeps the first when several are sent)."""
    values = request.query_params.getlist("order_by")
    return values[0] if values else None


async def search(c: Conn, q: UserQuery, order_by: str | None, limit: int, offset: int) -> list[User]:
    """One page of users matching ``q`` in the requested order."""
    where, params = q.where()
    sql = f"SELECT {USER_COLS} FROM identity_users{where}{order_clause(order_by, c.dialect)} LIMIT ? OFFSET ?"
    return await _with_emails(c, list(await c.fetchall(sql, [*params, limit, offset])))


async def count(c: Conn, q: UserQuery) -> int:
    """How many users match ``q``."""
    where, params = q.where()
    row = await c.fetchone(f"SELECT COUNT(*) FROM identity_users{where}", params)
    return int(row[0]) if row else 0
