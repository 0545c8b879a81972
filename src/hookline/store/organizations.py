"""Organizations as stored, their logos and each session's active organization.

Queries run on a caller's connection or transaction. Memberships and invitations are in
``organization_members.py``, roles and permissions in ``organization_roles.py``, domains in
``organization_domains.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from hookline.store.db import Conn, Row

_COLS = (
    "id, name, slug, public_metadata, private_metadata, max_allowed_memberships, admin_delete_enabled, "
    "created_by, logo_digest, created_at, updated_at"
)
# order_by values of Clerk's organization list and the column each sorts by
ORDER_COLUMNS = {"created_at": "created_at", "name": "LOWER(name)", "members_count": "members_count"}
_MEMBERS = "(SELECT COUNT(*) FROM identity_organization_memberships m WHERE m.organization_id = o.id)"


def like(text: str) -> str:
    """A case-insensitive ``LIKE`` pattern matching ``text`` anywhere (its wildcards taken literally)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def order_sql(column: str, descending: bool, dialect: str, text: bool = False) -> str:
    """An ``ORDER BY`` on ``column`` then ``id`` in one direction; text compares byte-wise on both backends."""
    direction = "DESC" if descending else "ASC"
    key = f'{column} COLLATE "C"' if text and dialect == "postgres" else column
    return f" ORDER BY {key} {direction}, id {direction}"


@dataclass(frozen=True)
class OrganizationRow:
    """An organization (``org_…``); ``logo_digest`` names its current logo, if it has one."""

    id: str
    name: str
    slug: str
    max_allowed_memberships: int
    admin_delete_enabled: bool
    created_by: str | None
    logo_digest: str | None
    created_at: int
    updated_at: int
    public_metadata: dict[str, Any] = field(default_factory=dict)
    private_metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, r: Row) -> OrganizationRow:
        return cls(r[0], r[1], r[2], int(r[5]), bool(r[6]), r[7], r[8], int(r[9]), int(r[10]),
                   json.loads(r[3] or "{}"), json.loads(r[4] or "{}"))  # fmt: skip

    def params(self) -> tuple[Any, ...]:
        return (self.id, self.name, self.slug, json.dumps(self.public_metadata), json.dumps(self.private_metadata),
                self.max_allowed_memberships, int(self.admin_delete_enabled), self.created_by, self.logo_digest,
                self.created_at, self.updated_at)  # fmt: skip


@dataclass(frozen=True)
class OrganizationFilter:
    """Clerk's organization list filters: ``query``, ``user_id`` and ``organization_id`` (each ``±id``)."""

    query: str | None = None
    with_users: tuple[str, ...] = ()
    without_users: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    not_ids: tuple[str, ...] = ()

    def where(self) -> tuple[str, list[Any]]:
        """SQL conditions on ``identity_organizations o`` and their parameters."""
        conds: list[str] = []
        params: list[Any] = []
        if self.query:
            conds.append("(o.id = ? OR LOWER(o.name) LIKE ? ESCAPE '\\' OR LOWER(o.slug) LIKE ? ESCAPE '\\')")
            params += [self.query, like(self.query), like(self.query)]
        member = "SELECT m.organization_id FROM identity_organization_memberships m WHERE m.user_id IN ({})"
        if self.with_users:
            conds.append(f"o.id IN ({member.format(','.join('?' * len(self.with_users)))})")
            params += self.with_users
        if self.without_users:
            conds.append(f"o.id NOT IN ({member.format(','.join('?' * len(self.without_users)))})")
            params += self.without_users
        if self.ids:
            conds.append(f"o.id IN ({','.join('?' * len(self.ids))})")
            params += self.ids
        if self.not_ids:
            conds.append(f"o.id NOT IN ({','.join('?' * len(self.not_ids))})")
            params += self.not_ids
        return (" WHERE " + " AND ".join(conds)) if conds else "", params


async def get(c: Conn, key: str) -> OrganizationRow | None:
    """One organization by id, or by slug."""
    row = await c.fetchone(f"SELECT {_COLS} FROM identity_organizations WHERE id = ?", (key,))
    if row is None:
        row = await c.fetchone(f"SELECT {_COLS} FROM identity_organizations WHERE slug = ?", (key,))
    return OrganizationRow.from_row(row) if row else None


async def slug_taken(c: Conn, slug: str, other_than: str = "") -> bool:
    """True if another organization has ``slug``."""
    row = await c.fetchone(
        "SELECT id FROM identity_organizations WHERE slug = ? AND id <> ?", (slug, other_than)
    )
    return row is not None


async def insert(c: Conn, o: OrganizationRow) -> None:
    """Store a new organization."""
    await c.execute(f"INSERT INTO identity_organizations ({_COLS}) VALUES ({','.join('?' * 11)})", o.params())


async def save(c: Conn, o: OrganizationRow) -> None:
    """Write an organization's fields."""
    p = o.params()
    await c.execute(
        "UPDATE identity_organizations SET name = ?, slug = ?, public_metadata = ?, private_metadata = ?, "
        "max_allowed_memberships = ?, admin_delete_enabled = ?, created_by = ?, logo_digest = ?, created_at = ?, "
        "updated_at = ? WHERE id = ?",
        (*p[1:], o.id),
    )


async def delete(c: Conn, org_id: str) -> bool:
    """Remove an organization (its memberships, invitations, domains and logo go with it)."""
    return await c.execute("DELETE FROM identity_organizations WHERE id = ?", (org_id,)) > 0


async def search(
    c: Conn, f: OrganizationFilter, order: tuple[str, bool], limit: int, offset: int
) -> tuple[list[OrganizationRow], int]:
    """One page of organizations matching ``f`` in ``order`` (a key of ``ORDER_COLUMNS``, descending?), and
    how many match in all."""
    where, params = f.where()
    column = ORDER_COLUMNS[order[0]]
    sql = (
        f"SELECT {', '.join('o.' + c_.strip() for c_ in _COLS.split(','))}, {_MEMBERS} AS members_count "
        f"FROM identity_organizations o{where}{order_sql(column, order[1], c.dialect, order[0] == 'name')} "
        "LIMIT ? OFFSET ?"
    )
    rows = await c.fetchall(sql, [*params, limit, offset])
    total = await c.fetchone(f"SELECT COUNT(*) AS n FROM identity_organizations o{where}", params)
    return [OrganizationRow.from_row(r) for r in rows], int(total[0]) if total else 0


async def count_members(c: Conn, org_id: str) -> int:
    """How many members an organization has."""
    row = await c.fetchone(
        "SELECT COUNT(*) AS n FROM identity_organization_memberships WHERE organization_id = ?", (org_id,)
    )
    return int(row[0]) if row else 0


async def count_pending_invitations(c: Conn, org_id: str, at_ms: int) -> int:
    """How many unexpired pending invitations an organization has."""
    row = await c.fetchone(
        "SELECT COUNT(*) AS n FROM identity_organization_invitations WHERE organization_id = ? AND status = 'pending' "
        "AND (expires_at IS NULL OR expires_at > ?)",
        (org_id, at_ms),
    )
    return int(row[0]) if row else 0


async def has_manager(c: Conn, org_id: str) -> bool:
    """True if a member's role may manage the organization's members (Clerk's elevated permission)."""
    row = await c.fetchone(
        "SELECT 1 FROM identity_organization_memberships m JOIN identity_organization_roles r ON r.key = m.role "
        "JOIN identity_organization_role_permissions rp ON rp.role_id = r.id "
        "JOIN identity_organization_permissions p ON p.id = rp.permission_id "
        "WHERE m.organization_id = ? AND p.key = 'org:sys_memberships:manage'",
        (org_id,),
    )
    return row is not None


# -- logos -------------------------------------------------------------------------------------------
async def set_logo(c: Conn, org_id: str, content_type: str, body: bytes) -> None:
    """Store (or replace) an organization's logo."""
    await c.execute("DELETE FROM identity_organization_logos WHERE organization_id = ?", (org_id,))
    await c.execute(
        "INSERT INTO identity_organization_logos (organization_id, content_type, body) VALUES (?, ?, ?)",
        (org_id, content_type, body),
    )


async def delete_logo(c: Conn, org_id: str) -> None:
    """Remove an organization's logo."""
    await c.execute("DELETE FROM identity_organization_logos WHERE organization_id = ?", (org_id,))


async def logo(c: Conn, org_id: str) -> tuple[str, bytes] | None:
    """An organization's logo: its content type and bytes."""
    row = await c.fetchone(
        "SELECT content_type, body FROM identity_organization_logos WHERE organization_id = ?", (org_id,)
    )
    return (row[0], bytes(row[1])) if row else None


# -- the active organization of each session -----------------------------------------------------------
async def active_for_session(c: Conn, session_id: str) -> str | None:
    """The id of a session's active organization, if it has one."""
    row = await c.fetchone(
        "SELECT organization_id FROM identity_session_organizations WHERE session_id = ?", (session_id,)
    )
    return str(row[0]) if row else None


async def set_active(c: Conn, session_id: str, org_id: str | None) -> None:
    """Make ``org_id`` the session's active organization (``None``: none, the personal account)."""
    await c.execute("DELETE FROM identity_session_organizations WHERE session_id = ?", (session_id,))
    if org_id is not None:
        await c.execute(
            "INSERT INTO identity_session_organizations (session_id, organization_id) VALUES (?, ?)",
            (session_id, org_id),
        )


async def clear_active_for_member(c: Conn, org_id: str, user_id: str) -> None:
    """A removed member's sessions no longer have the organization active."""
    await c.execute(
        "DELETE FROM identity_session_organizations WHERE organization_id = ? AND session_id IN "
        "(SELECT id FROM identity_sessions WHERE user_id = ?)",
        (org_id, user_id),
    )
