"""Organizations and their memberships: every change with Clerk's event, in the change's transaction.

``Organizations(identity)`` wraps the running identity service; invitations are in
``organization_invitations.py``, roles, permissions and domains in ``organization_access.py``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from hookline.identity import field_limits
from hookline.identity.errors import IdentityError, invalid, not_found
from hookline.identity.events import Outbox, RequestInfo
from hookline.identity.organization_json import deleted_json, membership_json, organization_json
from hookline.identity.resources import now_ms
from hookline.identity.service import Identity
from hookline.ids import new_id
from hookline.store import organization_members as members
from hookline.store import organization_roles as roles
from hookline.store import organizations as orgs
from hookline.store.db import Conn
from hookline.store.organization_members import MembershipRow
from hookline.store.organization_roles import RoleRow
from hookline.store.organizations import OrganizationRow

T = TypeVar("T")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CREATOR_ROLE = "org:admin"
DEFAULT_ROLE = "org:member"
LOGO_TYPES = {
    "image/png": b"\x89PNG",
    "image/jpeg": b"\xff\xd8\xff",
    "image/gif": b"GIF8",
    "image/webp": b"RIFF",
}
LOGO_MAX_BYTES = 10 * 1024 * 1024


def deep_merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Clerk's metadata merge: nested objects merge, ``null`` removes a key, anything else replaces."""
    out = dict(old)
    for k, v in new.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def check_name(name: Any) -> str:
    """An organization's name: 1 to 256 characters, no HTML or URL (as Clerk requires)."""
    if not isinstance(name, str) or not name.strip():
        raise invalid("name", "name must be a non-empty string", "form_param_missing")
    if len(name) > 256:
        raise invalid("name", "name must be at most 256 characters", "form_param_max_length_exceeded")
    if re.search(r"[<>]|https?://|www\.", name, re.I):
        raise invalid("name", "name may not contain URLs or HTML", "form_param_value_invalid")
    return name.strip()


def check_slug(slug: Any) -> str:
    """A slug: lowercase letters, digits and single dashes, at most 256 characters."""
    if not isinstance(slug, str) or not SLUG.match(slug) or len(slug) > 256:
        raise invalid(
            "slug", "slug may contain only lowercase letters, digits and dashes", "form_param_format_invalid"
        )
    return slug


def slug_from(name: str) -> str:
    """A slug made from a name (Clerk makes one when none is given)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:200] or "organization"


def check_max_members(value: Any) -> int:
    """``max_allowed_memberships``: a whole number, 0 meaning no limit."""
    if type(value) is not int or not 0 <= value <= 1_000_000:
        raise invalid("max_allowed_memberships", "max_allowed_memberships must be a whole number from 0 (no limit)",
                      "form_param_value_invalid")  # fmt: skip
    return value


def check_metadata(body: dict[str, Any], key: str) -> dict[str, Any] | None:
    """A metadata object of a body (None when absent or null); 422 for anything but an object."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid(key, f"{key} must be an object")
    field_limits.check_fields({key: value})
    return value


def rfc3339_ms(value: Any) -> int:
    """``created_at`` given as RFC 3339 text, in epoch milliseconds."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise invalid("created_at", "created_at must be an RFC 3339 date-time") from None
    if parsed.tzinfo is None:
        raise invalid("created_at", "created_at must name its time zone (e.g. 2012-10-20T07:15:20.902Z)")
    return int(parsed.timestamp() * 1000)


def logo_type(content_type: str, body: bytes) -> str:
    """The checked content type of an uploaded logo: PNG, JPEG, GIF or WebP of at most 10 MB, by its bytes."""
    if len(body) > LOGO_MAX_BYTES:
        raise IdentityError(413, "request_body_too_large", "file too large", "The logo may be at most 10 MB.")
    for kind, magic in LOGO_TYPES.items():
        if body.startswith(magic) and (kind != "image/webp" or body[8:12] == b"WEBP"):
            if content_type and content_type not in (kind, "application/octet-stream"):
                break
            return kind
    raise invalid("file", "the logo must be a PNG, JPEG, GIF or WebP image", "unsupported_content_type")


class Organizations:
    """Changes to organizations and memberships, each committed with its events."""

    def __init__(self, ident: Identity) -> None:
        self.ident = ident
        self.base_url = ident.base_url

    async def change(self, request: RequestInfo, fn: Callable[[Conn, Outbox], Awaitable[T]]) -> T:
        """Run ``fn`` in a transaction whose events commit with it."""
        return await self.ident.change(request, fn)

    # -- reading ------------------------------------------------------------------------------------------
    async def require(self, c: Conn, key: str) -> OrganizationRow:
        """The organization with this id or slug, or 404."""
        found = await orgs.get(c, key)
        if found is None:
            raise not_found("organization")
        return found

    async def require_role(self, c: Conn, key: Any, param: str = "role") -> RoleRow:
        """The role with this key, or 422 naming the parameter."""
        if not isinstance(key, str) or not key:
            raise invalid(param, f"{param} must be included", "form_param_missing")
        found = await roles.get_role(c, key)
        if found is None or found.key != key:
            raise invalid(param, f"{key!r} is not a role of this instance", "resource_not_found")
        return found

    async def org_json(
        self, c: Conn, o: OrganizationRow, counts: bool = False, elevated: bool = False
    ) -> dict[str, Any]:
        """An organization, with member and pending-invitation counts and the elevated-member flag if asked."""
        return organization_json(
            o, self.base_url, members_count=await orgs.count_members(c, o.id) if counts else None,
            pending_invitations=await orgs.count_pending_invitations(c, o.id, now_ms()) if counts else None,
            missing_elevated=(not await orgs.has_manager(c, o.id)) if elevated else None,
        )  # fmt: skip

    async def memberships_json(self, c: Conn, found: list[MembershipRow]) -> list[dict[str, Any]]:
        """Memberships with their organizations, roles and users."""
        users = await members.public_users(c, [m.user_id for m in found])
        role_map = await roles.role_keys_of(c, sorted({m.role for m in found}))
        out = []
        cache: dict[str, OrganizationRow] = {}
        for m in found:
            if m.organization_id not in cache:
                cache[m.organization_id] = await self.require(c, m.organization_id)
            o = cache[m.organization_id]
            out.append(membership_json(m, o, role_map.get(m.role), users.get(m.user_id), self.base_url))
        return out

    # -- organizations ------------------------------------------------------------------------------------
    async def create(self, request: RequestInfo, body: dict[str, Any]) -> dict[str, Any]:
        """Create an organization (``organization.created``); ``created_by`` becomes its first admin
        (``organizationMembership.created``)."""
        name = check_name(body.get("name"))
        slug = check_slug(body["slug"]) if body.get("slug") is not None else None
        max_members = (
            check_max_members(body["max_allowed_memberships"])
            if body.get("max_allowed_memberships") is not None
            else 0
        )
        if body.get("role_set_key") is not None:
            raise invalid("role_set_key", "hookline has no role sets: every organization has the instance's roles",
                          "form_param_value_invalid")  # fmt: skip
        public, private = check_metadata(body, "public_metadata"), check_metadata(body, "private_metadata")
        created_by = body.get("created_by")
        if created_by is not None and not isinstance(created_by, str):
            raise invalid("created_by", "created_by must be a user id")
        at = rfc3339_ms(body["created_at"]) if body.get("created_at") else None

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            now = now_ms()
            chosen = slug or slug_from(name)
            if await orgs.slug_taken(tx, chosen):
                if slug:
                    raise IdentityError(400, "form_identifier_exists", "slug is taken",
                                        "That slug is taken. Please try another.", {"param_name": "slug"})  # fmt: skip
                chosen = f"{chosen}-{secrets.token_hex(3)}"
            if created_by and not await members.public_users(tx, [created_by]):
                raise IdentityError(404, "resource_not_found", "not found", "created_by: user not found",
                                    {"param_name": "created_by"})  # fmt: skip
            o = OrganizationRow(new_id("org"), name, chosen, max_members, True, created_by or None, None,
                                at or now, now, public or {}, private or {})  # fmt: skip
            await orgs.insert(tx, o)
            out.add("organization.created", organization_json(o, self.base_url))
            if created_by:
                await self.join(tx, out, o, created_by, await self.require_role(tx, CREATOR_ROLE), {}, {})
            return organization_json(o, self.base_url)

        return await self.change(request, run)

    async def update(self, request: RequestInfo, key: str, body: dict[str, Any]) -> dict[str, Any]:
        """Change an organization's fields (those present); emits ``organization.updated``."""
        changes: dict[str, Any] = {}
        if body.get("name") is not None:
            changes["name"] = check_name(body["name"])
        if body.get("slug") is not None:
            changes["slug"] = check_slug(body["slug"])
        if body.get("max_allowed_memberships") is not None:
            changes["max_allowed_memberships"] = check_max_members(body["max_allowed_memberships"])
        if body.get("admin_delete_enabled") is not None:
            if not isinstance(body["admin_delete_enabled"], bool):
                raise invalid("admin_delete_enabled", "admin_delete_enabled must be true or false")
            changes["admin_delete_enabled"] = body["admin_delete_enabled"]
        for k in ("public_metadata", "private_metadata"):
            if (value := check_metadata(body, k)) is not None:
                changes[k] = value
        if body.get("created_at") is not None:
            changes["created_at"] = rfc3339_ms(body["created_at"])
        if body.get("role_set_key") is not None:
            raise invalid("role_set_key", "hookline has no role sets", "form_param_value_invalid")

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            o = await self.require(tx, key)
            if "slug" in changes and await orgs.slug_taken(tx, changes["slug"], o.id):
                raise IdentityError(400, "form_identifier_exists", "slug is taken",
                                    "That slug is taken. Please try another.", {"param_name": "slug"})  # fmt: skip
            return await self._save(tx, out, replace(o, **changes, updated_at=now_ms()))

        return await self.change(request, run)

    async def _save(self, tx: Conn, out: Outbox, o: OrganizationRow) -> dict[str, Any]:
        await orgs.save(tx, o)
        out.add("organization.updated", organization_json(o, self.base_url))
        return organization_json(o, self.base_url)

    async def set_metadata(
        self, request: RequestInfo, key: str, body: dict[str, Any], merge: bool
    ) -> dict[str, Any]:
        """Merge (deep; ``null`` removes a key) or replace public and private metadata (``organization.updated``)."""
        given: dict[str, Any] = {k: body[k] for k in ("public_metadata", "private_metadata") if k in body}
        for k, v in given.items():
            if v is not None and not isinstance(v, dict):
                raise invalid(k, f"{k} must be an object")

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            o = await self.require(tx, key)
            changes: dict[str, Any] = {
                k: deep_merge(getattr(o, k), v or {}) if merge else (v or {}) for k, v in given.items()
            }
            field_limits.check_fields(changes)
            return await self._save(tx, out, replace(o, **changes, updated_at=now_ms()))

        return await self.change(request, run)

    async def delete(self, request: RequestInfo, key: str) -> dict[str, Any]:
        """Delete an organization with its memberships, invitations and domains (``organization.deleted``)."""

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            o = await self.require(tx, key)
            await orgs.delete(tx, o.id)
            stub = deleted_json("organization", o.id)
            out.add("organization.deleted", stub)
            return {**stub, "slug": o.slug}

        return await self.change(request, run)

    async def set_logo(
        self, request: RequestInfo, key: str, content_type: str, body: bytes
    ) -> dict[str, Any]:
        """Set or replace the organization's logo (``organization.updated``)."""
        kind = logo_type(content_type, body)

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            o = await self.require(tx, key)
            await orgs.set_logo(tx, o.id, kind, body)
            digest = hashlib.sha256(body).hexdigest()[:24]
            return await self._save(tx, out, replace(o, logo_digest=digest, updated_at=now_ms()))

        return await self.change(request, run)

    async def delete_logo(self, request: RequestInfo, key: str) -> dict[str, Any]:
        """Remove the organization's logo (``organization.updated``); 404 if it has none."""

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            o = await self.require(tx, key)
            if o.logo_digest is None:
                raise not_found("organization logo")
            await orgs.delete_logo(tx, o.id)
            return await self._save(tx, out, replace(o, logo_digest=None, updated_at=now_ms()))

        return await self.change(request, run)

    # -- memberships --------------------------------------------------------------------------------------
    async def join(
        self, tx: Conn, out: Outbox, o: OrganizationRow, user_id: str, role: RoleRow, public: dict[str, Any],
        private: dict[str, Any],
    ) -> dict[str, Any]:  # fmt: skip
        """Make ``user_id`` a member with ``role`` inside ``tx`` (``organizationMembership.created``); 400 if a
        member already, 403 past the organization's member limit."""
        if await members.get_membership(tx, o.id, user_id) is not None:
            raise IdentityError(400, "already_a_member_in_organization", "already a member",
                                f"User {user_id} is already a member of the organization.")  # fmt: skip
        if o.max_allowed_memberships and await orgs.count_members(tx, o.id) >= o.max_allowed_memberships:
            raise IdentityError(403, "organization_membership_quota_exceeded", "membership quota exceeded",
                                f"The organization allows at most {o.max_allowed_memberships} members.")  # fmt: skip
        now = now_ms()
        m = MembershipRow(new_id("orgmem"), o.id, user_id, role.key, now, now, public, private)
        await members.insert_membership(tx, m)
        made = (await self.memberships_json(tx, [m]))[0]
        out.add("organizationMembership.created", made)
        return made

    async def add_member(self, request: RequestInfo, key: str, body: dict[str, Any]) -> dict[str, Any]:
        """Add a user to an organization with a role (``organizationMembership.created``)."""
        user_id = body.get("user_id")
        if not isinstance(user_id, str) or not user_id:
            raise invalid("user_id", "user_id must be included", "form_param_missing")
        public, private = check_metadata(body, "public_metadata"), check_metadata(body, "private_metadata")

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            o = await self.require(tx, key)
            role = await self.require_role(tx, body.get("role"))
            if not await members.public_users(tx, [user_id]):
                raise not_found("user")
            return await self.join(tx, out, o, user_id, role, public or {}, private or {})

        return await self.change(request, run)

    async def _membership(self, tx: Conn, key: str, user_id: str) -> tuple[OrganizationRow, MembershipRow]:
        o = await self.require(tx, key)
        m = await members.get_membership(tx, o.id, user_id)
        if m is None:
            raise not_found("organization membership")
        return o, m

    async def update_member(
        self, request: RequestInfo, key: str, user_id: str, role_key: Any
    ) -> dict[str, Any]:
        """Change a member's role (``organizationMembership.updated``)."""

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            _, m = await self._membership(tx, key, user_id)
            role = await self.require_role(tx, role_key)
            return await self._save_member(tx, out, replace(m, role=role.key, updated_at=now_ms()))

        return await self.change(request, run)

    async def _save_member(self, tx: Conn, out: Outbox, m: MembershipRow) -> dict[str, Any]:
        await members.save_membership(tx, m)
        made = (await self.memberships_json(tx, [m]))[0]
        out.add("organizationMembership.updated", made)
        return made

    async def merge_member_metadata(
        self, request: RequestInfo, key: str, user_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """Deep-merge a membership's public and private metadata (``organizationMembership.updated``)."""
        given: dict[str, Any] = {k: body[k] for k in ("public_metadata", "private_metadata") if k in body}
        for k, v in given.items():
            if v is not None and not isinstance(v, dict):
                raise invalid(k, f"{k} must be an object")

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            _, m = await self._membership(tx, key, user_id)
            changes: dict[str, Any] = {k: deep_merge(getattr(m, k), v or {}) for k, v in given.items()}
            field_limits.check_fields(changes)
            return await self._save_member(tx, out, replace(m, **changes, updated_at=now_ms()))

        return await self.change(request, run)

    async def remove_member(self, request: RequestInfo, key: str, user_id: str) -> dict[str, Any]:
        """Remove a user from an organization (``organizationMembership.deleted``); their sessions no longer
        have it active."""

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            _, m = await self._membership(tx, key, user_id)
            gone = (await self.memberships_json(tx, [m]))[0]
            await members.delete_membership(tx, m.id)
            await orgs.clear_active_for_member(tx, m.organization_id, user_id)
            out.add("organizationMembership.deleted", gone)
            return gone

        return await self.change(request, run)
