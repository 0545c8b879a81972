"""The allowlist and blocklist of sign-up identifiers, and the redirect URLs, as stored.

Queries run on a caller's connection or transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from hookline.store.db import Conn, Row

_RULE_COLS = "id, list, identifier, identifier_type, invitation_id, created_at, updated_at"


@dataclass(frozen=True)
class IdentifierRule:
    """One identifier on the allowlist (``list='allow'``) or the blocklist (``list='block'``)."""

    id: str
    list: str
    identifier: str
    identifier_type: str
    invitation_id: str | None
    created_at: int
    updated_at: int

    @classmethod
    def from_row(cls, row: Row) -> IdentifierRule:
        return cls(*row)


@dataclass(frozen=True)
class RedirectUrl:
    """A URL the hosted pages may send a user back to."""

    id: str
    url: str
    created_at: int
    updated_at: int


async def add_rule(c: Conn, rule: IdentifierRule) -> None:
    """Store a rule (ConflictError from the store if the identifier is on that list already)."""
    await c.execute(
        f"INSERT INTO identity_identifier_rules ({_RULE_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (rule.id, rule.list, rule.identifier, rule.identifier_type, rule.invitation_id, rule.created_at,
         rule.updated_at),
    )  # fmt: skip


async def rules(c: Conn, list_name: str, limit: int, offset: int) -> tuple[list[IdentifierRule], int]:
    """One page of a list, newest first, and its length."""
    rows = await c.fetchall(
        f"SELECT {_RULE_COLS} FROM identity_identifier_rules WHERE list = ? "
        "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
        (list_name, limit, offset),
    )
    total = await c.fetchone("SELECT COUNT(*) FROM identity_identifier_rules WHERE list = ?", (list_name,))
    return [IdentifierRule.from_row(r) for r in rows], int(total[0]) if total else 0


async def matching(c: Conn, list_name: str, identifiers: list[str]) -> bool:
    """True if any of ``identifiers`` is on the list."""
    marks = ",".join("?" * len(identifiers))
    row = await c.fetchone(
        f"SELECT 1 FROM identity_identifier_rules WHERE list = ? AND identifier IN ({marks}) LIMIT 1",
        (list_name, *identifiers),
    )
    return row is not None


async def is_empty(c: Conn, list_name: str) -> bool:
    """True if the list has no identifier."""
    return (
        await c.fetchone("SELECT 1 FROM identity_identifier_rules WHERE list = ? LIMIT 1", (list_name,))
        is None
    )


async def delete_rule(c: Conn, list_name: str, rule_id: str) -> bool:
    """Remove one identifier from a list; False if it was not there."""
    return (
        await c.execute(
            "DELETE FROM identity_identifier_rules WHERE list = ? AND id = ?", (list_name, rule_id)
        )
        > 0
    )


async def add_redirect_url(c: Conn, r: RedirectUrl) -> None:
    """Store a redirect URL (ConflictError if present)."""
    await c.execute("INSERT INTO identity_redirect_urls (id, url, created_at, updated_at) VALUES (?, ?, ?, ?)",
                    (r.id, r.url, r.created_at, r.updated_at))  # fmt: skip


async def redirect_urls(c: Conn, limit: int, offset: int) -> tuple[list[RedirectUrl], int]:
    """One page of redirect URLs, oldest first, and how many there are."""
    rows = await c.fetchall("SELECT id, url, created_at, updated_at FROM identity_redirect_urls "
                            "ORDER BY created_at, id LIMIT ? OFFSET ?", (limit, offset))  # fmt: skip
    total = await c.fetchone("SELECT COUNT(*) FROM identity_redirect_urls")
    return [RedirectUrl(*r) for r in rows], int(total[0]) if total else 0


async def redirect_url(c: Conn, key: str) -> RedirectUrl | None:
    """One redirect URL by id or by its exact URL."""
    row = await c.fetchone("SELECT id, url, created_at, updated_at FROM identity_redirect_urls "
                           "WHERE id = ? OR url = ?", (key, key))  # fmt: skip
    return RedirectUrl(*row) if row else None


async def delete_redirect_url(c: Conn, url_id: str) -> bool:
    """Remove a redirect URL; False if it was not there."""
    return await c.execute("DELETE FROM identity_redirect_urls WHERE id = ?", (url_id,)) > 0
