"""The identity event catalog, registered as delivery event types with JSON schemas and examples."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from hookline.identity.events import RequestInfo, envelope
from hookline.identity.organization_catalog import ORGANIZATION_CATALOG
from hookline.store.errors import ConflictError
from hookline.store.records import EventType
from hookline.store.store import Store

_EXAMPLE_AT = 1_716_883_200_000
_EMAIL = {
    "id": "idn_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
    "object": "email_address",
    "email_address": "example@example.org",
    "reserved": False,
    "verification": {"object": "verification_admin", "status": "verified", "strategy": "admin", "attempts": None,
                     "expire_at": None},
    "linked_to": [],
    "matches_sso_connection": False,
    "created_at": _EXAMPLE_AT,
    "updated_at": _EXAMPLE_AT,
}  # fmt: skip
_AVATAR = (
    "https://hookline.example/img/eyJ0eXBlIjoiZGVmYXVsdCIsImlpZCI6Imluc18yZzducDdIcmswU042a2o1RURNTERhS05MMFMiLCJy"
    "aWQiOiJ1c2VyXzJnN25wN0hyazBTTjZrajVFRE1MRGFLTkwwUyIsImluaXRpYWxzIjoiRVUifQ"
)
_USER: dict[str, Any] = {
    "id": "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
    "object": "user",
    "external_id": None,
    "primary_email_address_id": _EMAIL["id"],
    "primary_phone_number_id": None,
    "primary_web3_wallet_id": None,
    "username": None,
    "first_name": "Example",
    "last_name": "User",
    "locale": None,
    "birthday": "",
    "gender": "",
    # the default avatar hookline serves for a user without a profile image (identity/avatars.py)
    "profile_image_url": _AVATAR,
    "image_url": _AVATAR,
    "has_image": False,
    "public_metadata": {},
    "private_metadata": {},
    "unsafe_metadata": {},
    "email_addresses": [_EMAIL],
    "phone_numbers": [],
    "web3_wallets": [],
    "passkeys": [],
    "password_enabled": True,
    "password_last_updated_at": _EXAMPLE_AT,
    "two_factor_enabled": False,
    "totp_enabled": False,
    "backup_code_enabled": False,
    "mfa_enabled_at": None,
    "mfa_disabled_at": None,
    "external_accounts": [],
    "saml_accounts": [],
    "enterprise_accounts": [],
    "last_sign_in_at": None,
    "banned": False,
    "locked": False,
    "lockout_expires_in_seconds": None,
    "verification_attempts_remaining": 100,
    "delete_self_enabled": True,
    "create_organization_enabled": True,
    "create_organizations_limit": None,
    "last_active_at": None,
    "legal_accepted_at": None,
    "created_at": _EXAMPLE_AT,
    "updated_at": _EXAMPLE_AT,
}
_SESSION: dict[str, Any] = {
    "object": "session",
    "id": "sess_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
    "user_id": _USER["id"],
    "client_id": "client_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
    "status": "active",
    "last_active_at": _EXAMPLE_AT,
    "last_active_organization_id": None,
    "actor": None,
    "latest_activity": None,
    "tasks": None,
    "expire_at": _EXAMPLE_AT + 7 * 86_400_000,
    "abandon_at": _EXAMPLE_AT + 30 * 86_400_000,
    "created_at": _EXAMPLE_AT,
    "updated_at": _EXAMPLE_AT,
    "user": _USER,
}
_EMAIL_MESSAGE: dict[str, Any] = {
    "object": "email",
    "id": "ema_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
    "slug": "primary_email_address_changed",
    "from_email_name": "notifications",
    "reply_to_email_name": None,
    "to_email_address": "example@example.org",
    "email_address_id": _EMAIL["id"],
    "user_id": _USER["id"],
    "subject": "Your primary email address was changed",
    "body": "<p>Your primary email address was changed to new@example.org.</p>",
    "body_plain": "Your primary email address was changed to new@example.org.",
    "status": "queued",
    "data": {"new_email_address": "new@example.org"},
    "delivered_by_clerk": False,
}
_DELETED = {"object": "user", "id": _USER["id"], "deleted": True}


def _schema(title: str, data_object: str, required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "title": title,
        "required": ["data", "object", "type", "timestamp", "instance_id", "event_attributes"],
        "properties": {
            "data": {
                "type": "object",
                "required": required,
                "properties": {"object": {"const": data_object}, "id": {"type": "string"}},
            },
            "object": {"const": "event"},
            "type": {"type": "string"},
            "timestamp": {"type": "integer", "description": "epoch milliseconds"},
            "instance_id": {"type": "string"},
            "event_attributes": {
                "type": "object",
                "properties": {
                    "http_request": {
                        "type": "object",
                        "properties": {"client_ip": {"type": "string"}, "user_agent": {"type": "string"}},
                    }
                },
            },
        },
    }


_USER_REQUIRED = ["object", "id", "email_addresses", "created_at", "updated_at"]
_SESSION_REQUIRED = ["object", "id", "user_id", "client_id", "status", "created_at", "updated_at"]
CATALOG: dict[str, tuple[str, str, list[str], dict[str, Any]]] = {
    "user.created": ("A user signed up or was created through the Backend API.", "user", _USER_REQUIRED, _USER),
    "user.updated": ("A user's profile, email, verification, password, second factors, metadata, ban or lock "
                     "changed.", "user", _USER_REQUIRED,
                     _USER),
    "user.deleted": ("A user was deleted; data is the deleted-object stub.", "user", ["object", "id", "deleted"],
                     _DELETED),
    "session.created": ("A user signed in; data embeds the full user.", "session", _SESSION_REQUIRED, _SESSION),
    "session.ended": ("A user signed out.", "session", _SESSION_REQUIRED, {**_SESSION, "status": "ended"}),
    "session.removed": ("A session was removed (its user deleted their account).", "session", _SESSION_REQUIRED,
                        {**_SESSION, "status": "removed"}),
    "session.revoked": ("A session was revoked through the Backend API or by a ban.", "session", _SESSION_REQUIRED,
                        {**_SESSION, "status": "revoked"}),
    "email.created": ("An email to send: codes, resets, invitations, notices (also sent by SMTP if configured).", "email",
                      ["object", "id", "to_email_address", "slug"], _EMAIL_MESSAGE),
}  # fmt: skip


def event_types(now: float | None = None) -> list[EventType]:
    """The catalog (with the organization events) as delivery event types: schema version ``1`` with one example
    each."""
    at = time.time() if now is None else now
    out = []
    for name, (description, data_object, required, example) in {**CATALOG, **ORGANIZATION_CATALOG}.items():
        schema = _schema(name, data_object, required)
        schema["examples"] = [envelope(name, example, "ins_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
                                       RequestInfo("203.0.113.7", "Mozilla/5.0"), _EXAMPLE_AT)]  # fmt: skip
        out.append(
            EventType(
                name=name, description=description, schemas={"1": schema}, group_name=name.split(".")[0],
                created_at=at, updated_at=at,
            )
        )  # fmt: skip
    return out


async def register(store: Store) -> None:
    """Create the catalog's event types that do not exist yet (ones made through the Svix API are kept)."""
    for et in event_types():
        if await store.get_event_type(et.name) is None:
            with contextlib.suppress(ConflictError):
                await store.create_event_type(et)
