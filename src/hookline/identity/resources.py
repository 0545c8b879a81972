"""Users, email addresses and sessions as stored, and as Clerk's Backend API returns them."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from hookline.store.db import Row


def now_ms() -> int:
    """The current time in epoch milliseconds (Clerk's unit)."""
    return int(time.time() * 1000)


USER_COLS = (
    "id, external_id, username, first_name, last_name, locale, primary_email_address_id, password_hash, "
    "password_last_updated_at, public_metadata, private_metadata, unsafe_metadata, banned, locked, "
    "lockout_until, failed_attempts, delete_self_enabled, create_organization_enabled, legal_accepted_at, "
    "last_sign_in_at, last_active_at, created_at, updated_at"
)
EMAIL_COLS = "id, user_id, email_address, verification_status, verification_strategy, created_at, updated_at"
SESSION_COLS = (
    "id, user_id, client_id, secret_hash, status, client_ip, user_agent, last_active_at, expire_at, abandon_at, "
    "created_at, updated_at"
)


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
        return cls(*row)

    def params(self) -> tuple[Any, ...]:
        return (
            self.id, self.user_id, self.email_address, self.verification_status, self.verification_strategy,
            self.created_at, self.updated_at,
        )  # fmt: skip

    def to_api(self) -> dict[str, Any]:
        """The ``email_address`` object of Clerk's Backend API."""
        kind = "verification_admin" if self.verification_strategy == "admin" else "verification_otp"
        return {
            "id": self.id,
            "object": "email_address",
            "email_address": self.email_address,
            "reserved": False,
            "verification": {
                "object": kind,
                "status": self.verification_status,
                "strategy": self.verification_strategy,
                "attempts": self.verification_attempts,
                "expire_at": self.verification_expire_at,
            },
            "linked_to": [],
            "matches_sso_connection": False,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class User:
    """A user (``user_…``) with its email addresses. ``password_hash`` never leaves this module's callers."""

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
    email_addresses: tuple[EmailAddress, ...] = ()
    # second factors (stored in identity_mfa, loaded with the user)
    totp_enabled: bool = False
    backup_code_enabled: bool = False
    mfa_enabled_at: int | None = None
    mfa_disabled_at: int | None = None

    @classmethod
    def from_row(cls, row: Row, emails: tuple[EmailAddress, ...] = (), mfa: Any = None) -> User:
        r = list(row)
        for i in (9, 10, 11):
            r[i] = json.loads(r[i]) if r[i] else {}
        for i in (12, 13, 16, 17):
            r[i] = bool(r[i])
        factors: dict[str, Any] = {}
        if mfa is not None:
            factors = {"totp_enabled": mfa.totp_enabled, "backup_code_enabled": mfa.backup_code_enabled,
                       "mfa_enabled_at": mfa.enabled_at, "mfa_disabled_at": mfa.disabled_at}  # fmt: skip
        return cls(*r[:23], email_addresses=emails, **factors)  # type: ignore[misc]

    @property
    def two_factor_enabled(self) -> bool:
        """True when signing in asks for a second factor (an authenticator app or backup codes)."""
        return self.totp_enabled or self.backup_code_enabled

    def params(self) -> tuple[Any, ...]:
        return (
            self.id, self.external_id, self.username, self.first_name, self.last_name, self.locale,
            self.primary_email_address_id, self.password_hash, self.password_last_updated_at,
            json.dumps(self.public_metadata), json.dumps(self.private_metadata), json.dumps(self.unsafe_metadata),
            int(self.banned), int(self.locked), self.lockout_until, self.failed_attempts,
            int(self.delete_self_enabled), int(self.create_organization_enabled), self.legal_accepted_at,
            self.last_sign_in_at, self.last_active_at, self.created_at, self.updated_at,
        )  # fmt: skip

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

    def to_api(self, at_ms: int | None = None, max_attempts: int = 100) -> dict[str, Any]:
        """The ``user`` object of Clerk's Backend API (never the password hash)."""
        at_ms = now_ms() if at_ms is None else at_ms
        locked = self.locked_now(at_ms, max_attempts)
        expires_in = None
        if locked and self.lockout_until is not None:
            expires_in = max(0, (self.lockout_until - at_ms + 999) // 1000)
        return {
            "id": self.id,
            "object": "user",
            "external_id": self.external_id,
            "primary_email_address_id": self.primary_email_address_id,
            "primary_phone_number_id": None,
            "primary_web3_wallet_id": None,
            "username": self.username,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "locale": self.locale,
            "birthday": "",  # hookline keeps neither; Clerk sends "" when unset
            "gender": "",
            "profile_image_url": "",
            "image_url": "",
            "has_image": False,
            "public_metadata": self.public_metadata,
            "private_metadata": self.private_metadata,
            "unsafe_metadata": self.unsafe_metadata,
            "email_addresses": [e.to_api() for e in self.email_addresses],
            "phone_numbers": [],
            "web3_wallets": [],
            "passkeys": [],
            "password_enabled": self.password_hash is not None,
            "password_last_updated_at": self.password_last_updated_at,
            "two_factor_enabled": self.two_factor_enabled,
            "totp_enabled": self.totp_enabled,
            "backup_code_enabled": self.backup_code_enabled,
            "mfa_enabled_at": self.mfa_enabled_at,
            "mfa_disabled_at": self.mfa_disabled_at,
            "external_accounts": [],
            "saml_accounts": [],
            "enterprise_accounts": [],
            "last_sign_in_at": self.last_sign_in_at,
            "banned": self.banned,
            "locked": locked,
            "lockout_expires_in_seconds": expires_in,
            "verification_attempts_remaining": max(0, max_attempts - self.failed_attempts),
            "delete_self_enabled": self.delete_self_enabled,
            "create_organization_enabled": self.create_organization_enabled,
            "create_organizations_limit": None,
            "last_active_at": self.last_active_at,
            "legal_accepted_at": self.legal_accepted_at,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


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

    @classmethod
    def from_row(cls, row: Row) -> Session:
        return cls(*row)

    def params(self) -> tuple[Any, ...]:
        return (
            self.id, self.user_id, self.client_id, self.secret_hash, self.status, self.client_ip,
            self.user_agent, self.last_active_at, self.expire_at, self.abandon_at, self.created_at,
            self.updated_at,
        )  # fmt: skip

    def active_at(self, at_ms: int) -> bool:
        """True if the session is active and not past its expiry."""
        return self.status == "active" and self.expire_at > at_ms

    def to_api(self, user: User | None = None, max_attempts: int = 100) -> dict[str, Any]:
        """The ``session`` object of Clerk's Backend API; events embed the full ``user``."""
        out: dict[str, Any] = {
            "object": "session",
            "id": self.id,
            "user_id": self.user_id,
            "client_id": self.client_id,
            "status": "expired" if self.status == "active" and self.expire_at <= now_ms() else self.status,
            "last_active_at": self.last_active_at,
            "last_active_organization_id": None,
            "actor": self.actor,
            "latest_activity": {
                "object": "session_activity",
                "id": "sess_activity_" + self.id.removeprefix("sess_"),
                "is_mobile": False,
                "ip_address": self.client_ip,
                "browser_name": None,
                "device_type": None,
            },
            "tasks": None,
            "expire_at": self.expire_at,
            "abandon_at": self.abandon_at,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
        if user is not None:
            out["user"] = user.to_api(max_attempts=max_attempts)
        return out
