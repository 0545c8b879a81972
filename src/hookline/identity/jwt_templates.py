"""JWT templates: named claim sets with Clerk's shortcodes, rendered for a session's user and signed
with the instance key (``sessions.create_token_from_template``).

A string that is exactly one shortcode (``"{{user.public_metadata}}"``) takes the value with its type;
shortcodes inside longer text (``"{{user.first_name}} {{user.last_name}}"``) are written into it, and
a missing value renders as ``null`` (alone) or nothing (in text). Reserved claims cannot be set, and a
shortcode hookline does not know is refused when the template is saved, never rendered as nothing.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from typing import Any

from hookline.identity.errors import IdentityError, invalid
from hookline.identity.resources import Session, User
from hookline.store.identity_templates import TemplateRow

RESERVED = frozenset({"azp", "exp", "iat", "iss", "jti", "nbf", "sub"})
_SHORTCODE = re.compile(r"\{\{\s*([a-zA-Z0-9_.]+)\s*\}\}")
_USER_FIELDS = {
    "id", "external_id", "first_name", "last_name", "full_name", "username", "primary_email_address",
    "email_verified", "image_url", "has_image", "public_metadata", "unsafe_metadata", "created_at", "updated_at",
    "two_factor_enabled", "last_sign_in_at", "banned", "locked",
}  # fmt: skip
_SESSION_FIELDS = {"id", "actor", "client_id"}
NAME = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


def _check_shortcode(path: str) -> None:
    scope, _, rest = path.partition(".")
    head = rest.split(".", 1)[0]
    if (
        scope == "user"
        and (head in _USER_FIELDS)
        and ("." not in rest or head in ("public_metadata", "unsafe_metadata"))
    ):
        return
    if scope == "session" and rest in _SESSION_FIELDS:
        return
    raise invalid(
        "claims", f"the shortcode {{{{{path}}}}} is not one hookline knows", "form_param_value_invalid"
    )


def check_claims(claims: Any) -> dict[str, Any]:
    """A template's claims: a JSON object of at most 8 KiB, no reserved claim, only known shortcodes."""
    if not isinstance(claims, dict):
        raise invalid("claims", "claims must be an object")
    if len(json.dumps(claims)) > 8192:
        raise invalid("claims", "claims must be at most 8 KiB of JSON", "form_param_max_length_exceeded")
    reserved = RESERVED & set(claims)
    if reserved:
        raise IdentityError(422, "jwt_template_reserved_claim", "reserved claim",
                            f"{', '.join(sorted(reserved))} cannot be set by a template.",
                            {"param_name": "claims"})  # fmt: skip

    def walk(value: Any) -> None:
        if isinstance(value, str):
            for m in _SHORTCODE.finditer(value):
                _check_shortcode(m.group(1))
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(claims)
    return claims


def _lookup(path: str, user: User, session: Session) -> Any:
    scope, _, rest = path.partition(".")
    if scope == "session":
        return {"id": session.id, "actor": session.actor, "client_id": session.client_id}.get(rest)
    head, _, deeper = rest.partition(".")
    primary = next((e for e in user.email_addresses if e.id == user.primary_email_address_id), None)
    values: dict[str, Any] = {
        "id": user.id, "external_id": user.external_id, "first_name": user.first_name, "last_name": user.last_name,
        "full_name": " ".join(n for n in (user.first_name, user.last_name) if n) or None,
        "username": user.username, "primary_email_address": primary.email_address if primary else None,
        "email_verified": bool(primary and primary.verification_status == "verified"), "image_url": "",
        "has_image": False, "public_metadata": user.public_metadata, "unsafe_metadata": user.unsafe_metadata,
        "created_at": user.created_at, "updated_at": user.updated_at, "two_factor_enabled": user.two_factor_enabled,
        "last_sign_in_at": user.last_sign_in_at, "banned": user.banned, "locked": user.locked,
    }  # fmt: skip
    value = values.get(head)
    for key in deeper.split(".") if deeper else ():
        value = value.get(key) if isinstance(value, dict) else None
    return value


def render(claims: Any, user: User, session: Session) -> Any:
    """The template's claims with every shortcode replaced by the user's or session's value."""
    if isinstance(claims, dict):
        return {k: render(v, user, session) for k, v in claims.items()}
    if isinstance(claims, list):
        return [render(v, user, session) for v in claims]
    if isinstance(claims, str):
        whole = _SHORTCODE.fullmatch(claims.strip())
        if whole:
            return _lookup(whole.group(1), user, session)
        return _SHORTCODE.sub(lambda m: "" if (v := _lookup(m.group(1), user, session)) is None else
                              (v if isinstance(v, str) else json.dumps(v)), claims)  # fmt: skip
    return claims


def template_json(t: TemplateRow) -> dict[str, Any]:
    """A ``jwt_template`` object."""
    return {"object": "jwt_template", "id": t.id, "name": t.name, "claims": t.claims, "lifetime": t.lifetime,
            "allowed_clock_skew": t.allowed_clock_skew, "custom_signing_key": False, "signing_algorithm": "RS256",
            "created_at": t.created_at, "updated_at": t.updated_at}  # fmt: skip


def token_claims(
    t: TemplateRow, user: User, session: Session, issuer: str, lifetime: int | None
) -> dict[str, Any]:
    """The claims of a token made from a template: the rendered claims and the reserved ones."""
    now = int(time.time())
    return {**render(t.claims, user, session), "sub": user.id, "iss": issuer, "iat": now,
            "nbf": now - t.allowed_clock_skew, "exp": now + (lifetime or t.lifetime),
            "jti": secrets.token_hex(10)}  # fmt: skip
