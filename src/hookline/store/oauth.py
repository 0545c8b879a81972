"""SQL for the OAuth provider: applications (clients), authorization codes, tokens and consents.

Functions run on a caller's connection or transaction. Secrets, codes and tokens are looked up by
their SHA-256, never stored in clear.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from hookline.store.db import Conn, Row

APP_COLS = (
    "id, client_id, client_secret_sha256, name, redirect_uris, scopes, consent_screen_enabled, pkce_required, "
    "public, created_at, updated_at"
)
CODE_COLS = (
    "code_sha256, application_id, user_id, redirect_uri, scope, nonce, code_challenge, code_challenge_method, "
    "auth_time, expires_at, used_at, organization_id"
)
TOKEN_COLS = (
    "id, access_token_sha256, refresh_token_sha256, application_id, user_id, grant_id, scope, auth_time, "
    "issued_at, expires_at, refresh_expires_at, refreshed_at, revoked_at, organization_id"
)
ORDERS = {"created_at": "created_at", "name": "LOWER(name)"}  # names sort the same on both backends


def digest(secret: str) -> str:
    """The stored form of a client secret, code or token."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class OAuthApp:
    """An OAuth application (``oa_…``): a client that signs users in through hookline."""

    id: str
    client_id: str
    client_secret_sha256: str | None
    name: str
    redirect_uris: tuple[str, ...]
    scopes: str
    consent_screen_enabled: bool
    pkce_required: bool
    public: bool
    created_at: int
    updated_at: int

    @classmethod
    def from_row(cls, r: Row) -> OAuthApp:
        """Build from a row of ``APP_COLS``."""
        return cls(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), r[5], bool(r[6]), bool(r[7]), bool(r[8]),
                   int(r[9]), int(r[10]))  # fmt: skip

    def params(self) -> tuple[Any, ...]:
        """Parameters in ``APP_COLS`` order."""
        return (self.id, self.client_id, self.client_secret_sha256, self.name, json.dumps(list(self.redirect_uris)),
                self.scopes, int(self.consent_screen_enabled), int(self.pkce_required), int(self.public),
                self.created_at, self.updated_at)  # fmt: skip


@dataclass(frozen=True)
class OAuthCode:
    """An authorization code as stored (by its digest), with what the token request must match."""

    code_sha256: str
    application_id: str
    user_id: str
    redirect_uri: str | None
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int
    expires_at: int
    used_at: int | None
    organization_id: str | None = None  # the organization the grant acts for (scope user:org:read)

    @classmethod
    def from_row(cls, r: Row) -> OAuthCode:
        """Build from a row of ``CODE_COLS``."""
        return cls(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], int(r[8]), int(r[9]),
                   None if r[10] is None else int(r[10]), r[11])  # fmt: skip

    def params(self) -> tuple[Any, ...]:
        """Parameters in ``CODE_COLS`` order."""
        return (self.code_sha256, self.application_id, self.user_id, self.redirect_uri, self.scope, self.nonce,
                self.code_challenge, self.code_challenge_method, self.auth_time, self.expires_at, self.used_at,
                self.organization_id)  # fmt: skip


@dataclass(frozen=True)
class OAuthToken:
    """An access token and its refresh token, as stored."""

    id: str
    access_token_sha256: str
    refresh_token_sha256: str | None
    application_id: str
    user_id: str
    grant_id: str
    scope: str
    auth_time: int
    issued_at: int
    expires_at: int
    refresh_expires_at: int | None
    refreshed_at: int | None
    revoked_at: int | None
    organization_id: str | None = None  # the organization the grant acts for (scope user:org:read)

    @classmethod
    def from_row(cls, r: Row) -> OAuthToken:
        """Build from a row of ``TOKEN_COLS``."""
        refresh_expires_at, refreshed_at, revoked_at = (
            None if v is None else int(v) for v in (r[10], r[11], r[12])
        )
        return cls(r[0], r[1], r[2], r[3], r[4], r[5], r[6], int(r[7]), int(r[8]), int(r[9]), refresh_expires_at,
                   refreshed_at, revoked_at, r[13])  # fmt: skip

    def params(self) -> tuple[Any, ...]:
        """Parameters in ``TOKEN_COLS`` order."""
        return (self.id, self.access_token_sha256, self.refresh_token_sha256, self.application_id, self.user_id,
                self.grant_id, self.scope, self.auth_time, self.issued_at, self.expires_at,
                self.refresh_expires_at, self.refreshed_at, self.revoked_at, self.organization_id)  # fmt: skip


# -- applications ----------------------------------------------------------------------------------
async def insert_app(c: Conn, app: OAuthApp) -> None:
    """Store a new application."""
    await c.execute(
        f"INSERT INTO oauth_applications ({APP_COLS}) VALUES ({','.join('?' * 11)})", app.params()
    )


async def save_app(c: Conn, app: OAuthApp) -> None:
    """Write every field of an existing application."""
    await c.execute(
        "UPDATE oauth_applications SET client_secret_sha256 = ?, name = ?, redirect_uris = ?, scopes = ?, "
        "consent_screen_enabled = ?, pkce_required = ?, public = ?, updated_at = ? WHERE id = ?",
        (*app.params()[2:9], app.updated_at, app.id),
    )


async def get_app(c: Conn, app_id: str) -> OAuthApp | None:
    """One application by id."""
    row = await c.fetchone(f"SELECT {APP_COLS} FROM oauth_applications WHERE id = ?", (app_id,))
    return OAuthApp.from_row(row) if row else None


async def app_by_client_id(c: Conn, client_id: str) -> OAuthApp | None:
    """One application by its OAuth ``client_id``."""
    row = await c.fetchone(f"SELECT {APP_COLS} FROM oauth_applications WHERE client_id = ?", (client_id,))
    return OAuthApp.from_row(row) if row else None


async def delete_app(c: Conn, app_id: str) -> bool:
    """Delete an application with its codes, tokens and consents; False if there was none."""
    for table in ("oauth_codes", "oauth_tokens", "oauth_consents"):
        await c.execute(f"DELETE FROM {table} WHERE application_id = ?", (app_id,))
    return await c.execute("DELETE FROM oauth_applications WHERE id = ?", (app_id,)) > 0


def _like(text: str) -> str:
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def list_apps(
    c: Conn, *, name_query: str | None, order_by: str, descending: bool, limit: int, offset: int
) -> tuple[list[OAuthApp], int]:
    """A page of applications and how many match in all; ``order_by`` is a key of ``ORDERS``."""
    where, params = "", []
    if name_query:
        where, params = " WHERE LOWER(name) LIKE ? ESCAPE '\\'", [_like(name_query)]
    direction = "DESC" if descending else "ASC"
    rows = await c.fetchall(
        f"SELECT {APP_COLS} FROM oauth_applications{where} ORDER BY {ORDERS[order_by]} {direction}, id {direction} "
        "LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    total = await c.fetchone(f"SELECT COUNT(*) FROM oauth_applications{where}", params)
    return [OAuthApp.from_row(r) for r in rows], int(total[0]) if total else 0


async def redirect_uri_registered(c: Conn, uri: str) -> bool:
    """True if some application lists ``uri`` (exactly) among its redirect URIs."""
    rows = await c.fetchall("SELECT redirect_uris FROM oauth_applications WHERE redirect_uris LIKE ? ESCAPE '\\'",
                            (_like(json.dumps(uri)[1:-1]),))  # fmt: skip
    return any(uri in json.loads(r[0]) for r in rows)


# -- codes -----------------------------------------------------------------------------------------
async def insert_code(c: Conn, code: OAuthCode) -> None:
    """Store a new authorization code."""
    await c.execute(f"INSERT INTO oauth_codes ({CODE_COLS}) VALUES ({','.join('?' * 12)})", code.params())


async def get_code(c: Conn, code_sha256: str) -> OAuthCode | None:
    """An authorization code by its digest."""
    row = await c.fetchone(f"SELECT {CODE_COLS} FROM oauth_codes WHERE code_sha256 = ?", (code_sha256,))
    return OAuthCode.from_row(row) if row else None


async def use_code(c: Conn, code_sha256: str, at_ms: int) -> bool:
    """Mark a code used; False if another exchange used it first (the one place single use is decided)."""
    return (
        await c.execute(
            "UPDATE oauth_codes SET used_at = ? WHERE code_sha256 = ? AND used_at IS NULL",
            (at_ms, code_sha256),
        )
        == 1
    )


async def nonce_used(c: Conn, application_id: str, nonce: str) -> bool:
    """True if an earlier authorization of this application carried ``nonce``."""
    row = await c.fetchone(
        "SELECT 1 FROM oauth_codes WHERE application_id = ? AND nonce = ? LIMIT 1", (application_id, nonce)
    )
    return row is not None


async def drop_expired_codes(c: Conn, before_ms: int) -> None:
    """Forget codes that expired before ``before_ms``."""
    await c.execute("DELETE FROM oauth_codes WHERE expires_at < ?", (before_ms,))


# -- tokens ----------------------------------------------------------------------------------------
async def insert_token(c: Conn, token: OAuthToken) -> None:
    """Store a new access (and refresh) token."""
    await c.execute(f"INSERT INTO oauth_tokens ({TOKEN_COLS}) VALUES ({','.join('?' * 14)})", token.params())


async def token_by_access(c: Conn, access_sha256: str) -> OAuthToken | None:
    """A token by the digest of its access token."""
    row = await c.fetchone(
        f"SELECT {TOKEN_COLS} FROM oauth_tokens WHERE access_token_sha256 = ?", (access_sha256,)
    )
    return OAuthToken.from_row(row) if row else None


async def token_by_refresh(c: Conn, refresh_sha256: str) -> OAuthToken | None:
    """A token by the digest of its refresh token."""
    row = await c.fetchone(
        f"SELECT {TOKEN_COLS} FROM oauth_tokens WHERE refresh_token_sha256 = ?", (refresh_sha256,)
    )
    return OAuthToken.from_row(row) if row else None


async def use_refresh(c: Conn, token_id: str, at_ms: int) -> bool:
    """Mark a refresh token used (it rotates); False if it was used or revoked meanwhile."""
    return (
        await c.execute(
            "UPDATE oauth_tokens SET refreshed_at = ? WHERE id = ? AND refreshed_at IS NULL AND revoked_at IS NULL",
            (at_ms, token_id),
        )
        == 1
    )


async def revoke_grant(c: Conn, grant_id: str, at_ms: int) -> int:
    """Revoke every token descended from one authorization; return how many were still live."""
    return await c.execute(
        "UPDATE oauth_tokens SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL", (at_ms, grant_id)
    )


# -- consents --------------------------------------------------------------------------------------
async def consented_scope(c: Conn, application_id: str, user_id: str) -> str | None:
    """The scope a user has agreed to give an application, if any."""
    row = await c.fetchone(
        "SELECT scope FROM oauth_consents WHERE application_id = ? AND user_id = ?", (application_id, user_id)
    )
    return row[0] if row else None


async def save_consent(c: Conn, application_id: str, user_id: str, scope: str, at_ms: int) -> None:
    """Remember (or widen) what a user agreed to give an application (two agreeing at once both succeed)."""
    await c.execute(
        "INSERT INTO oauth_consents (application_id, user_id, scope, created_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (application_id, user_id) DO UPDATE SET scope = excluded.scope, created_at = excluded.created_at",
        (application_id, user_id, scope, at_ms),
    )
