"""Organization domains as stored. Queries run on a caller's connection or transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hookline.store.db import Conn, Row
from hookline.store.organizations import like

_COLS = (
    "id, organization_id, name, enrollment_mode, verified, affiliation_email_address, created_at, updated_at"
)
ORDER_COLUMNS = {"created_at": ("created_at", False), "name": ("name", True)}


@dataclass(frozen=True)
class DomainRow:
    """An email domain of an organization (``orgdmn_…``) and how its users may join."""

    id: str
    organization_id: str
    name: str
    enrollment_mode: str
    verified: bool
    affiliation_email_address: str | None
    created_at: int
    updated_at: int

    @classmethod
    def from_row(cls, r: Row) -> DomainRow:
        return cls(r[0], r[1], r[2], r[3], bool(r[4]), r[5], int(r[6]), int(r[7]))


async def get(c: Conn, domain_id: str) -> DomainRow | None:
    """One domain by id."""
    row = await c.fetchone(f"SELECT {_COLS} FROM identity_organization_domains WHERE id = ?", (domain_id,))
    return DomainRow.from_row(row) if row else None


async def by_name(c: Conn, name: str) -> DomainRow | None:
    """The domain with this name (names are unique across the instance)."""
    row = await c.fetchone(f"SELECT {_COLS} FROM identity_organization_domains WHERE name = ?", (name,))
    return DomainRow.from_row(row) if row else None


async def save(c: Conn, d: DomainRow) -> None:
    """Insert or update a domain."""
    values = (d.organization_id, d.name, d.enrollment_mode, int(d.verified), d.affiliation_email_address,
              d.created_at, d.updated_at)  # fmt: skip
    if not await c.execute("UPDATE identity_organization_domains SET organization_id = ?, name = ?, "
                           "enrollment_mode = ?, verified = ?, affiliation_email_address = ?, created_at = ?, "
                           "updated_at = ? WHERE id = ?", (*values, d.id)):  # fmt: skip
        await c.execute(f"INSERT INTO identity_organization_domains ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (d.id, *values))  # fmt: skip


async def delete(c: Conn, domain_id: str) -> bool:
    """Remove a domain."""
    return await c.execute("DELETE FROM identity_organization_domains WHERE id = ?", (domain_id,)) > 0


@dataclass(frozen=True)
class DomainFilter:
    """Clerk's domain list filters."""

    organization_id: str | None = None
    verified: bool | None = None
    modes: tuple[str, ...] = ()
    not_modes: tuple[str, ...] = ()
    query: str | None = None
    names: tuple[str, ...] = ()

    def where(self) -> tuple[str, list[Any]]:
        """SQL conditions and their parameters."""
        conds: list[str] = []
        params: list[Any] = []
        if self.organization_id:
            conds.append("organization_id = ?")
            params.append(self.organization_id)
        if self.verified is not None:
            conds.append("verified = ?")
            params.append(int(self.verified))
        for values, neg in ((self.modes, ""), (self.not_modes, "NOT ")):
            if values:
                conds.append(f"enrollment_mode {neg}IN ({','.join('?' * len(values))})")
                params.extend(values)
        if self.query:
            if self.query.startswith("org_"):
                conds.append("organization_id = ?")
                params.append(self.query)
            else:
                conds.append("LOWER(name) LIKE ? ESCAPE '\\'")
                params.append(like(self.query))
        if self.names:
            conds.append(f"name IN ({','.join('?' * len(self.names))})")
            params.extend(n.lower() for n in self.names)
        return (" WHERE " + " AND ".join(conds)) if conds else "", params


async def search(
    c: Conn, f: DomainFilter, order: tuple[str, bool], limit: int, offset: int
) -> tuple[list[DomainRow], int]:
    """A page of domains matching ``f`` and how many match."""
    where, params = f.where()
    column, is_text = ORDER_COLUMNS[order[0]]
    direction = "DESC" if order[1] else "ASC"
    key = f'{column} COLLATE "C"' if is_text and c.dialect == "postgres" else column
    rows = await c.fetchall(
        f"SELECT {_COLS} FROM identity_organization_domains{where} ORDER BY {key} {direction}, id {direction} "
        "LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    total = await c.fetchone(f"SELECT COUNT(*) AS n FROM identity_organization_domains{where}", params)
    return [DomainRow.from_row(r) for r in rows], int(total[0]) if total else 0
