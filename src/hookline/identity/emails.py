"""Email addresses as identity sees them: the rules of their text; their queries live in the store."""

from __future__ import annotations

from hookline.store.conn import Conn
from hookline.store.identity_emails import (
    VERIFY_PURPOSE,
    delete,
    find_normalized,
    for_users,
    get,
    insert,
    set_verification,
)
from hookline.store.identity_records import EmailAddress

__all__ = ["VERIFY_PURPOSE", "delete", "find", "for_users", "get", "insert", "looks_valid", "normalize",
           "set_verification"]  # fmt: skip


def normalize(address: str) -> str:
    """Email addresses are unique case-insensitively: store them trimmed and lower-cased."""
    return address.strip().lower()


def looks_valid(address: str) -> bool:
    """A light syntax check: one ``@``, a non-empty local part and a dotted domain."""
    local, at, domain = address.partition("@")
    return bool(at and local and "." in domain and " " not in address and "@" not in domain)


async def find(c: Conn, address: str) -> EmailAddress | None:
    """One email address by its text (case-insensitive)."""
    return await find_normalized(c, normalize(address))
