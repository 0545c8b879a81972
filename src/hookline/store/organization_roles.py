"""Organization roles and permissions as stored (the instance's, shared by every organization).

Queries run on a caller's connection or transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from hookline.store.db import Conn, Row
from hookline.store.organizations import like, order_sql

_PERM_COLS = "id, key, name, description, type, created_at, updated_at"
_ROLE_COLS = "id, key, name, description, is_creator_eligible, created_at, updated_at"
ORDER_COLUMNS = {"created_at": "created_at", "name": "LOWER(name)", "key": "key"}


@dataclass(frozen=True)
class PermissionRow:
    """A permission (``perm_…``): ``org:<feature>:<action>``; ``type`` is ``system`` or ``user``."""

    id: str
    key: str
    name: str
    description: str
    type: str
    created_at: int
    updated_at: int

    @classmethod
    def from_row(cls, r: Row) -> PermissionRow:
        return cls(r[0], r[1], r[2], r[3] or "", r[4], int(r[5]), int(r[6]))


@dataclass(frozen=True)
class RoleRow:
    """A role (``role_…``) with the keys-ordered permissions it grants."""

    id: str
    key: str
    name: str
    description: str | None
    is_creator_eligible: bool
    created_at: int
    updated_at: int
    permissions: tuple[PermissionRow, ...] = ()

    @classmethod
    def from_row(cls, r: Row, permissions: tuple[PermissionRow, ...] = ()) -> RoleRow:
        return cls(r[0], r[1], r[2], r[3], bool(r[4]), int(r[5]), int(r[6]), permissions)


def _search_sql(table: str, cols: str, query: str | None) -> tuple[str, list[str]]:
    if not query:
        return f"SELECT {cols} FROM {table}", []
    return (
        f"SELECT {cols} FROM {table} WHERE id = ? OR LOWER(name) LIKE ? ESCAPE '\\' OR LOWER(key) LIKE ? ESCAPE '\\'",
        [query, like(query), like(query)],
    )


# -- permissions -----------------------------------------------------------------------------------------
async def get_permission(c: Conn, key: str) -> PermissionRow | None:
    """One permission by id or key."""
    row = await c.fetchone(
        f"SELECT {_PERM_COLS} FROM identity_organization_permissions WHERE id = ? OR key = ?", (key, key)
    )
    return PermissionRow.from_row(row) if row else None


async def search_permissions(
    c: Conn, query: str | None, order: tuple[str, bool], limit: int, offset: int
) -> tuple[list[PermissionRow], int]:
    """A page of permissions matching ``query`` (id exactly, name or key in part) and how many match."""
    sql, params = _search_sql("identity_organization_permissions", _PERM_COLS, query)
    column = ORDER_COLUMNS[order[0]]
    rows = await c.fetchall(
        sql + order_sql(column, order[1], c.dialect, order[0] != "created_at") + " LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    total = await c.fetchone(sql.replace(_PERM_COLS, "COUNT(*) AS n", 1), params)
    return [PermissionRow.from_row(r) for r in rows], int(total[0]) if total else 0


async def save_permission(c: Conn, p: PermissionRow) -> None:
    """Insert or update a permission."""
    values = (p.key, p.name, p.description, p.type, p.created_at, p.updated_at)
    if not await c.execute("UPDATE identity_organization_permissions SET key = ?, name = ?, description = ?, "
                           "type = ?, created_at = ?, updated_at = ? WHERE id = ?", (*values, p.id)):  # fmt: skip
        await c.execute(
            f"INSERT INTO identity_organization_permissions ({_PERM_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (p.id, *values),
        )


async def delete_permission(c: Conn, permission_id: str) -> bool:
    """Remove a permission (and it from every role)."""
    return await c.execute("DELETE FROM identity_organization_permissions WHERE id = ?", (permission_id,)) > 0


async def roles_with_permission(c: Conn, permission_id: str) -> list[str]:
    """Ids of the roles that grant a permission."""
    rows = await c.fetchall(
        "SELECT role_id FROM identity_organization_role_permissions WHERE permission_id = ? ORDER BY role_id",
        (permission_id,),
    )
    return [str(r[0]) for r in rows]


# -- roles -------------------------------------------------------------------------------------------------
async def _permissions_of(c: Conn, role_ids: list[str]) -> dict[str, tuple[PermissionRow, ...]]:
    if not role_ids:
        return {}
    cols = ", ".join("p." + x.strip() for x in _PERM_COLS.split(","))
    rows = await c.fetchall(
        f"SELECT rp.role_id, {cols} FROM identity_organization_role_permissions rp "
        "JOIN identity_organization_permissions p ON p.id = rp.permission_id "
        f"WHERE rp.role_id IN ({','.join('?' * len(role_ids))}) ORDER BY p.key",
        role_ids,
    )
    out: dict[str, list[PermissionRow]] = {}
    for r in rows:
        out.setdefault(str(r[0]), []).append(PermissionRow.from_row(tuple(r)[1:]))
    return {k: tuple(v) for k, v in out.items()}


async def _with_permissions(c: Conn, rows: list[Row]) -> list[RoleRow]:
    perms = await _permissions_of(c, [str(r[0]) for r in rows])
    return [RoleRow.from_row(r, perms.get(str(r[0]), ())) for r in rows]


async def get_role(c: Conn, key: str) -> RoleRow | None:
    """One role by id or key, with its permissions."""
    row = await c.fetchone(
        f"SELECT {_ROLE_COLS} FROM identity_organization_roles WHERE id = ? OR key = ?", (key, key)
    )
    return (await _with_permissions(c, [row]))[0] if row else None


async def search_roles(
    c: Conn, query: str | None, order: tuple[str, bool], limit: int, offset: int
) -> tuple[list[RoleRow], int]:
    """A page of roles matching ``query`` (id exactly, name or key in part) and how many match."""
    sql, params = _search_sql("identity_organization_roles", _ROLE_COLS, query)
    column = ORDER_COLUMNS[order[0]]
    rows = await c.fetchall(
        sql + order_sql(column, order[1], c.dialect, order[0] != "created_at") + " LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    total = await c.fetchone(sql.replace(_ROLE_COLS, "COUNT(*) AS n", 1), params)
    return await _with_permissions(c, list(rows)), int(total[0]) if total else 0


async def save_role(c: Conn, r: RoleRow) -> None:
    """Insert or update a role and set its permissions to ``r.permissions``."""
    values = (r.key, r.name, r.description, int(r.is_creator_eligible), r.created_at, r.updated_at)
    if not await c.execute("UPDATE identity_organization_roles SET key = ?, name = ?, description = ?, "
                           "is_creator_eligible = ?, created_at = ?, updated_at = ? WHERE id = ?", (*values, r.id)):  # fmt: skip
        await c.execute(
            f"INSERT INTO identity_organization_roles ({_ROLE_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (r.id, *values),
        )
    await c.execute("DELETE FROM identity_organization_role_permissions WHERE role_id = ?", (r.id,))
    for p in r.permissions:
        await c.execute(
            "INSERT INTO identity_organization_role_permissions (role_id, permission_id) VALUES (?, ?)",
            (r.id, p.id),
        )


async def delete_role(c: Conn, role_id: str) -> bool:
    """Remove a role."""
    return await c.execute("DELETE FROM identity_organization_roles WHERE id = ?", (role_id,)) > 0


async def role_in_use(c: Conn, key: str) -> bool:
    """True if a membership or a pending invitation has the role."""
    row = await c.fetchone(
        "SELECT 1 FROM identity_organization_memberships WHERE role = ? UNION ALL "
        "SELECT 1 FROM identity_organization_invitations WHERE role = ? AND status = 'pending'",
        (key, key),
    )
    return row is not None


async def role_keys_of(c: Conn, keys: list[str]) -> dict[str, RoleRow]:
    """The roles with the given keys, by key."""
    if not keys:
        return {}
    rows = await c.fetchall(
        f"SELECT {_ROLE_COLS} FROM identity_organization_roles WHERE key IN ({','.join('?' * len(keys))})",
        keys,
    )
    return {r.key: r for r in await _with_permissions(c, list(rows))}
