"""Users, email addresses and sessions as Clerk's Backend API returns them (stored as ``hookline.store.identity_records``)."""

from __future__ import annotations

import time
from typing import Any

from hookline.identity.avatars import ImageUrls
from hookline.store.identity_records import EmailAddress, Session, User

__all__ = ["EmailAddress", "Session", "User", "email_api", "now_ms", "session_api", "user_api"]


def now_ms() -> int:
    """The current time in epoch milliseconds (Clerk's unit)."""
    return int(time.time() * 1000)


def email_api(email: EmailAddress) -> dict[str, Any]:
    """The ``email_address`` object of Clerk's Backend API."""
    kind = "verification_admin" if email.verification_strategy == "admin" else "verification_otp"
    return {
        "id": email.id,
        "object": "email_address",
        "email_address": email.email_address,
        "reserved": False,
        "verification": {
            "object": kind,
            "status": email.verification_status,
            "strategy": email.verification_strategy,
            "attempts": email.verification_attempts,
            "expire_at": email.verification_expire_at,
        },
        "linked_to": [],
        "matches_sso_connection": False,
        "created_at": email.created_at,
        "updated_at": email.updated_at,
    }


def user_api(
    user: User, at_ms: int | None = None, max_attempts: int = 100, images: ImageUrls | None = None
) -> dict[str, Any]:
    """The ``user`` object of Clerk's Backend API (never the password hash); ``images`` makes its picture URLs."""
    at_ms = now_ms() if at_ms is None else at_ms
    image_url, profile_image_url = (images or ImageUrls("", "")).of(user)
    locked = user.locked_now(at_ms, max_attempts)
    expires_in = None
    if locked and user.lockout_until is not None:
        expires_in = max(0, (user.lockout_until - at_ms + 999) // 1000)
    return {
        "id": user.id,
        "object": "user",
        "external_id": user.external_id,
        "primary_email_address_id": user.primary_email_address_id,
        "primary_phone_number_id": None,
        "primary_web3_wallet_id": None,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "locale": user.locale,
        "birthday": "",  # hookline keeps neither; Clerk sends "" when unset
        "gender": "",
        "profile_image_url": profile_image_url,
        "image_url": image_url,
        "has_image": user.image_id is not None,
        "public_metadata": user.public_metadata,
        "private_metadata": user.private_metadata,
        "unsafe_metadata": user.unsafe_metadata,
        "email_addresses": [email_api(e) for e in user.email_addresses],
        "phone_numbers": [],
        "web3_wallets": [],
        "passkeys": [],
        "password_enabled": user.password_hash is not None,
        "password_last_updated_at": user.password_last_updated_at,
        "two_factor_enabled": user.two_factor_enabled,
        "totp_enabled": user.totp_enabled,
        "backup_code_enabled": user.backup_code_enabled,
        "mfa_enabled_at": user.mfa_enabled_at,
        "mfa_disabled_at": user.mfa_disabled_at,
        "external_accounts": [],
        "saml_accounts": [],
        "enterprise_accounts": [],
        "last_sign_in_at": user.last_sign_in_at,
        "banned": user.banned,
        "locked": locked,
        "lockout_expires_in_seconds": expires_in,
        "verification_attempts_remaining": max(0, max_attempts - user.failed_attempts),
        "delete_self_enabled": user.delete_self_enabled,
        "create_organization_enabled": user.create_organization_enabled,
        "create_organizations_limit": None,
        "last_active_at": user.last_active_at,
        "legal_accepted_at": user.legal_accepted_at,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


def session_api(
    session: Session, user: User | None = None, max_attempts: int = 100, images: ImageUrls | None = None
) -> dict[str, Any]:
    """The ``session`` object of Clerk's Backend API; events embed the full ``user``."""
    out: dict[str, Any] = {
        "object": "session",
        "id": session.id,
        "user_id": session.user_id,
        "client_id": session.client_id,
        "status": "expired"
        if session.status == "active" and session.expire_at <= now_ms()
        else session.status,
        "last_active_at": session.last_active_at,
        "last_active_organization_id": session.last_active_organization_id,
        "actor": session.actor,
        "latest_activity": {
            "object": "session_activity",
            "id": "sess_activity_" + session.id.removeprefix("sess_"),
            "is_mobile": False,
            "ip_address": session.client_ip,
            "browser_name": None,
            "device_type": None,
        },
        "tasks": None,
        "expire_at": session.expire_at,
        "abandon_at": session.abandon_at,
        "created_at": session.created_at,
        "updated_at": session.updated_at,
    }
    if user is not None:
        out["user"] = user_api(user, max_attempts=max_attempts, images=images)
    return out
