"""Users as identity reads and writes them; the queries live in ``hookline.store.identity_users``."""

from __future__ import annotations

from hookline.identity import emails
from hookline.identity.errors import invalid
from hookline.store.conn import Conn
from hookline.store.identity_records import User
from hookline.store.identity_users import (
    ORDER_COLUMNS,
    UserQuery,
    count,
    delete,
    exists,
    get,
    insert,
    save,
    set_failures,
)
from hookline.store.identity_users import search as _search

__all__ = ["UserQuery", "count", "delete", "exists", "find_by_email", "get", "insert", "parse_order", "save",
           "search", "set_failures"]  # fmt: skip

NO_SUCH_VALUES = {"phone_number": "phone numbers", "web3wallet": "Web3 wallets"}


def parse_order(order_by: str | None) -> tuple[str, bool]:
    """``order_by`` (``-created_at`` by default; ``+`` implied without a sign) as (name, descending); 422 if unknown."""
    text = (order_by or "-created_at").strip()
    name = text.lstrip("+-")
    if name in NO_SUCH_VALUES:
        raise invalid("order_by", f"hookline has no {NO_SUCH_VALUES[name]}, so users cannot be ordered by them",
                      "form_param_value_invalid")  # fmt: skip
    if name not in ORDER_COLUMNS:
        raise invalid("order_by", f"order_by must be one of {', '.join(sorted(ORDER_COLUMNS))}, optionally "
                      "prefixed with + or -", "form_param_value_invalid")  # fmt: skip
    return name, text.startswith("-")


async def search(c: Conn, q: UserQuery, order_by: str | None, limit: int, offset: int) -> list[User]:
    """One page of users matching ``q`` in the requested order (422 for an unknown ``order_by``)."""
    return await _search(c, q, limit, offset, parse_order(order_by))


async def find_by_email(c: Conn, address: str) -> User | None:
    """The user owning an email address, or None."""
    email = await emails.find(c, address)
    return await get(c, email.user_id) if email else None
