"""How long each user field may be, as Clerk caps them, so no request can store a megabyte of name.

Text fields are capped in characters and metadata in bytes of JSON; a field over its cap is refused
with 422 ``form_param_max_length_exceeded`` naming it (``form_username_invalid_length`` for a
username, with Clerk's 4 to 64 characters).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hookline.identity.errors import IdentityError

EMAIL_MAX = 254  # the longest address SMTP can carry (RFC 5321)
TEXT_MAX = {"first_name": 256, "last_name": 256, "external_id": 256, "locale": 32}
USERNAME_MIN, USERNAME_MAX = 4, 64
METADATA_MAX_BYTES = 8 * 1024  # per metadata field, as Clerk's documented 8 KB


def too_long(param: str, limit: int, unit: str = "characters") -> IdentityError:
    """422 naming ``param`` and its limit."""
    return IdentityError(422, "form_param_max_length_exceeded", f"{param} is too long",
                         f"{param} must be at most {limit} {unit}.", {"param_name": param, "max_length": limit})  # fmt: skip


def check_email(address: str, param: str = "email_address") -> None:
    """Refuse an email address longer than SMTP allows."""
    if len(address) > EMAIL_MAX:
        raise too_long(param, EMAIL_MAX)


def check_fields(fields: Mapping[str, Any]) -> None:
    """Refuse any present field over its cap: names, ids, username, locale and each metadata object."""
    for name, limit in TEXT_MAX.items():
        value = fields.get(name)
        if isinstance(value, str) and len(value) > limit:
            raise too_long(name, limit)
    username = fields.get("username")
    if isinstance(username, str) and not USERNAME_MIN <= len(username) <= USERNAME_MAX:
        raise IdentityError(422, "form_username_invalid_length", "Username must be between 4 and 64 characters long.",
                            f"Username must be between {USERNAME_MIN} and {USERNAME_MAX} characters long.",
                            {"param_name": "username", "min_length": USERNAME_MIN, "max_length": USERNAME_MAX})  # fmt: skip
    for name in ("public_metadata", "private_metadata", "unsafe_metadata"):
        value = fields.get(name)
        if value is not None and len(json.dumps(value, separators=(",", ":")).encode()) > METADATA_MAX_BYTES:
            raise too_long(name, METADATA_MAX_BYTES, "bytes of JSON")
