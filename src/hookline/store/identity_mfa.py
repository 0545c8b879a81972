"""Each user's second factors: a TOTP secret (sealed by the caller) and the digests of unused backup codes.

Queries run on a caller's connection or transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from hookline.store.db import Conn, Row

_COLS = (
    "user_id, totp_secret, totp_verified, totp_last_step, backup_codes, enabled_at, disabled_at, updated_at"
)


@dataclass(frozen=True)
class MfaRow:
    """A user's second factors. ``totp_secret`` is sealed; a TOTP counts once ``totp_verified``."""

    user_id: str
    totp_secret: str | None = None
    totp_verified: bool = False
    totp_last_step: int | None = None
    backup_codes: tuple[str, ...] = ()
    enabled_at: int | None = None
    disabled_at: int | None = None
    updated_at: int = 0

    @property
    def totp_enabled(self) -> bool:
        """True once an authenticator app was confirmed with a code."""
        return self.totp_secret is not None and self.totp_verified

    @property
    def backup_code_enabled(self) -> bool:
        """True while unused backup codes remain."""
        return bool(self.backup_codes)

    @classmethod
    def from_row(cls, row: Row) -> MfaRow:
        return cls(row[0], row[1], bool(row[2]), row[3], tuple(json.loads(row[4] or "[]")), row[5], row[6],
                   int(row[7]))  # fmt: skip


async def get(c: Conn, user_id: str) -> MfaRow | None:
    """A user's second factors, or None if they never set any up."""
    row = await c.fetchone(f"SELECT {_COLS} FROM identity_mfa WHERE user_id = ?", (user_id,))
    return MfaRow.from_row(row) if row else None


async def for_users(c: Conn, user_ids: list[str]) -> dict[str, MfaRow]:
    """The second factors of these users (those that have any)."""
    if not user_ids:
        return {}
    marks = ",".join("?" * len(user_ids))
    rows = await c.fetchall(f"SELECT {_COLS} FROM identity_mfa WHERE user_id IN ({marks})", user_ids)
    return {r.user_id: r for r in map(MfaRow.from_row, rows)}


async def save(c: Conn, m: MfaRow) -> None:
    """Write a user's second factors (insert or replace)."""
    params = (m.totp_secret, int(m.totp_verified), m.totp_last_step, json.dumps(list(m.backup_codes)),
              m.enabled_at, m.disabled_at, m.updated_at)  # fmt: skip
    changed = await c.execute(
        "UPDATE identity_mfa SET totp_secret = ?, totp_verified = ?, totp_last_step = ?, backup_codes = ?, "
        "enabled_at = ?, disabled_at = ?, updated_at = ? WHERE user_id = ?",
        (*params, m.user_id),
    )
    if not changed:
        await c.execute(
            f"INSERT INTO identity_mfa ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (m.user_id, *params)
        )


async def use_totp_step(c: Conn, user_id: str, step: int) -> bool:
    """Record that a TOTP time step was used; False if it (or a later one) already was, so no code works twice."""
    done = await c.execute(
        "UPDATE identity_mfa SET totp_last_step = ? WHERE user_id = ? AND "
        "(totp_last_step IS NULL OR totp_last_step < ?)",
        (step, user_id, step),
    )
    return done > 0
