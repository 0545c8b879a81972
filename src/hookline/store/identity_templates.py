"""JWT templates as stored. Queries run on a caller's connection or transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from hookline.store.db import Conn, Row

_COLS = "id, name, claims, lifetime, allowed_clock_skew, created_at, updated_at"


@dataclass(frozen=True)
class TemplateRow:
    """A named set of claims and the lifetime of the tokens made from it."""

    id: str
    name: str
    lifetime: int
    allowed_clock_skew: int
    created_at: int
    updated_at: int
    claims: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, r: Row) -> TemplateRow:
        return cls(r[0], r[1], int(r[3]), int(r[4]), int(r[5]), int(r[6]), json.loads(r[2]))


async def get(c: Conn, key: str) -> TemplateRow | None:
    """One template by id or by name."""
    row = await c.fetchone(f"SELECT {_COLS} FROM identity_jwt_templates WHERE id = ? OR name = ?", (key, key))
    return TemplateRow.from_row(row) if row else None


async def all_templates(c: Conn) -> list[TemplateRow]:
    """Every template, by name."""
    return [
        TemplateRow.from_row(r)
        for r in await c.fetchall(f"SELECT {_COLS} FROM identity_jwt_templates ORDER BY name")
    ]


async def save(c: Conn, t: TemplateRow) -> None:
    """Insert or replace a template."""
    params = (t.name, json.dumps(t.claims), t.lifetime, t.allowed_clock_skew, t.created_at, t.updated_at)
    if not await c.execute("UPDATE identity_jwt_templates SET name = ?, claims = ?, lifetime = ?, "
                           "allowed_clock_skew = ?, created_at = ?, updated_at = ? WHERE id = ?", (*params, t.id)):  # fmt: skip
        await c.execute(
            f"INSERT INTO identity_jwt_templates ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?)", (t.id, *params)
        )


async def delete(c: Conn, template_id: str) -> bool:
    """Remove a template; False if it was not there."""
    return await c.execute("DELETE FROM identity_jwt_templates WHERE id = ?", (template_id,)) > 0
