"""Identity's records as stored: users, email addresses and sessions, and their conversion from rows.

Columns are read by name and written as named parameters; how the Backend API shows a record is
``hookline.identity.resources``' business, not the store's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hookline.store.conn import Row
from hookline.store.identity_mfa import MfaRow

USER_FIELDS = (
    "id", "external_id", "username", "first_name", "last_name", "locale", "primary_email_address_id",
    "password_hash", "password_last_updated_at", "public_metadata", "private_metadata", "unsafe_metadata",
    "banned", "locked", "lockout_until", "failed_attempts", "delete_self_enabled", "create_organization_enabled",
    "legal_accepted_at", "last_sign_in_at", "last_active_at", "created_at", "updated_at",
    "password_compromised_at",
)  # fmt: skip
EMAIL_FIELDS = (
    "id", "user_id", "email_address", "verification_status", "verification_strategy", "created_at", "updated_at",
)  # fmt: skip
SESSION_FIELDS = (
    "id", "user_id", "client_id", "secret_hash", "status", "client_ip", "user_agent", "last_active_at",
    "expire_at", "abandon_at", "created_at", "updated_at",
)  # fmt: skip
USER_COLS = ", ".join(USER_FIELDS)
EMAIL_COLS = ", ".join(EMAIL_FIELDS)
SESSION_COLS = ", ".join(SESSION_FIELDS)


def insert_sql(table: str, fields: tuple[str, ...]) -> str:
    """``INSERT INTO table (…) VALUES (:a, :b, …)`` for these fields."""
    return f"INSERT INTO {table} ({', '.join(fields)}) VALUES ({', '.join(':' + f for f in fields)})"


@dataclass(frozen=True)
class EmailAddress:
    """One of a user's email addresses (``idn_…``)."""

    id: str
    user_id: str
    email_address: str
    verification_status: str
    verification_strategy: str
    created_at: int
    updated_at: int
    # of the pending code, while one is out (identity/verification.py)
    verification_attempts: int | None = None
    verification_expire_at: int | None = None

    @classmethod
    def from_row(cls, row: Row) -> EmailAddress:
        """The address a row of ``EMAIL_COLS`` holds."""
        return cls(**{f: row[f] for f in EMAIL_FIELDS})

    def params(self) -> dict[str, Any]:
        """The stored columns, by name."""
        return {f: getattr(self, f) for f in EMAIL_FIELDS}


_JSON_FIELDS = ("public_metadata", "private_metadata", "unsafe_metadata")
_BOOL_FIELDS = ("banned", "locked", "delete_self_enabled", "create_organization_enabled")


@dataclass(frozen=True)
class User:
    """A user (``user_…``) with its email addresses. ``password_hash`` never leaves identity's callers."""

    id: str
    external_id: str | None
    username: str | None
    first_name: str | None
    last_name: str | None
    locale: str | None
    primary_email_address_id: str | None
    password_hash: str | None
    password_last_updated_at: int | None
    public_metadata: dict[str, Any]
    private_metadata: dict[str, Any]
    unsafe_metadata: dict[str, Any]
    banned: bool
    locked: bool
    lockout_until: int | None
    failed_attempts: int
    delete_self_enabled: bool
    create_organization_enabled: bool
    legal_accepted_at: int | None
    last_sign_in_at: int | None
    last_active_at: int | None
    created_at: int
    updated_at: int
    password_compromised_at: int | None = None  # set by users.set_password_compromised until a reset
    email_addresses: tuple[EmailAddress, ...] = ()
    # second factors (stored in identity_mfa, loaded with the user)
    totp_enabled: bool = False
    backup_code_enabled: bool = False
    mfa_enabled_at: int | None = None
    mfa_disabled_at: int | None = None
    image_id: str | None = None  # its profile image (identity_profile_images), if it has one

    @classmethod
    def from_row(
        cls,
        row: Row,
        emails: tuple[EmailAddress, ...] = (),
        mfa: MfaRow | None = None,
        image_id: str | None = None,
    ) -> User:
        """The user a row of ``USER_COLS`` holds, with its email addresses, second factors and image."""
        values: dict[str, Any] = {f: row[f] for f in USER_FIELDS}
        for f in _JSON_FIELDS:
            values[f] = json.loads(values[f]) if values[f] else {}
        for f in _BOOL_FIELDS:
            values[f] = bool(values[f])
        if mfa is not None:
            values.update(totp_enabled=mfa.totp_enabled, backup_code_enabled=mfa.backup_code_enabled,
                          mfa_enabled_at=mfa.enabled_at, mfa_disabled_at=mfa.disabled_at)  # fmt: skip
        return cls(**values, email_addresses=emails, image_id=image_id)

    @property
    def two_factor_enabled(self) -> bool:
        """True when signing in asks for a second factor (an authenticator app or backup codes)."""
        return self.totp_enabled or self.backup_code_enabled

    def params(self) -> dict[str, Any]:
        """The stored columns, by name."""
        values: dict[str, Any] = {f: getattr(self, f) for f in USER_FIELDS}
        for f in _JSON_FIELDS:
            values[f] = json.dumps(values[f])
        for f in _BOOL_FIELDS:
            values[f] = int(values[f])
        return values

    @property
    def primary_email(self) -> str | None:
        """The primary email address as a string."""
        for e in self.email_addresses:
            if e.id == self.primary_email_address_id:
                return e.email_address
        return None

    def locked_now(self, at_ms: int, max_attempts: int) -> bool:
        """True while the user is locked by an administrator or by a lockout that has not expired."""
        if self.locked and self.lockout_until is None:
            return True
        return self.lockout_until is not None and self.lockout_until > at_ms


@dataclass(frozen=True)
class Session:
    """A signed-in session (``sess_…``); ``secret_hash`` authenticates its client cookie."""

    id: str
    user_id: str
    client_id: str
    secret_hash: str
    status: str
    client_ip: str | None
    user_agent: str | None
    last_active_at: int
    expire_at: int
    abandon_at: int
    created_at: int
    updated_at: int
    actor: dict[str, Any] | None = None  # who acts as the user (an actor token's ``actor``), if anyone
    last_active_organization_id: str | None = None  # the session's active organization, if it has one

    @classmethod
    def from_row(cls, row: Row) -> Session:
        """The session a row of ``SESSION_COLS`` holds."""
        return cls(**{f: row[f] for f in SESSION_FIELDS})

    def params(self) -> dict[str, Any]:
        """The stored columns, by name."""
        return {f: getattr(self, f) for f in SESSION_FIELDS}

    def active_at(self, at_ms: int) -> bool:
        """True if the session is active and not past its expiry."""
        return self.status == "active" and self.expire_at > at_ms
