"""Organization roles, permissions and domains: the instance's roles and permissions (``role.*`` and
``permission.*`` events) and each organization's email domains (``organizationDomain.*``).

Clerk's system permissions (``org:sys_*``) and its two default roles (``org:admin``, ``org:member``) are
made by the migration; system permissions cannot be changed, and a role cannot be deleted while it is
the creator's or the default role, or while a member or pending invitation has it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from hookline.identity.errors import IdentityError, invalid, not_found
from hookline.identity.events import Outbox, RequestInfo
from hookline.identity.organization_hooks import invite_on_domain
from hookline.identity.organization_json import deleted_json, domain_json, permission_json, role_json
from hookline.identity.organizations import CREATOR_ROLE, DEFAULT_ROLE, Organizations
from hookline.identity.resources import now_ms
from hookline.ids import new_id
from hookline.store import organization_domains as domains
from hookline.store import organization_members as members
from hookline.store import organization_roles as roles
from hookline.store.db import Conn
from hookline.store.organization_domains import DomainRow
from hookline.store.organization_roles import PermissionRow, RoleRow

PERMISSION_KEY = re.compile(r"^org:[a-z0-9_]+:[a-z0-9_]+$")
ROLE_KEY = re.compile(r"^org:[a-z0-9_]+$")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
ENROLLMENT_MODES = ("manual_invitation", "automatic_invitation", "automatic_suggestion")


def _text(body: dict[str, Any], key: str, required: bool, limit: int = 256) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise invalid(key, f"{key} must be included", "form_param_missing")
        return None
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise invalid(key, f"{key} must be a string of at most {limit} characters")
    return value


def _duplicate(what: str, key: str) -> IdentityError:
    return IdentityError(400, "duplicate_record", f"duplicate {what}", f"A {what} with key {key} exists already.",
                         {"param_name": "key"})  # fmt: skip


class OrganizationAccess:
    """Roles, permissions and domains, each change with its event."""

    def __init__(self, organizations: Organizations) -> None:
        self.orgs = organizations

    # -- permissions ----------------------------------------------------------------------------------------
    async def permission(self, c: Conn, permission_id: str) -> PermissionRow:
        """A permission by id, or 404."""
        found = await roles.get_permission(c, permission_id)
        if found is None or found.id != permission_id:
            raise not_found("permission")
        return found

    async def create_permission(self, request: RequestInfo, body: dict[str, Any]) -> dict[str, Any]:
        """A custom permission ``org:<feature>:<action>`` (``permission.created``)."""
        name, key = _text(body, "name", True), _text(body, "key", True)
        description = _text(body, "description", False, 1000) or ""
        assert name is not None and key is not None
        if not PERMISSION_KEY.match(key) or key.startswith("org:sys_"):
            raise invalid("key", "key must be org:<feature>:<action> (lowercase letters, digits and _), and not "
                          "a system permission (org:sys_…)", "form_param_format_invalid")  # fmt: skip

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            if await roles.get_permission(tx, key) is not None:
                raise _duplicate("permission", key)
            now = now_ms()
            p = PermissionRow(new_id("perm"), key, name, description, "user", now, now)
            await roles.save_permission(tx, p)
            out.add("permission.created", permission_json(p))
            return permission_json(p)

        return await self.orgs.change(request, run)

    async def update_permission(
        self, request: RequestInfo, permission_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """Change a custom permission's name, key or description (``permission.updated``)."""
        name, key = _text(body, "name", False), _text(body, "key", False)
        description = _text(body, "description", False, 1000)
        if key is not None and (not PERMISSION_KEY.match(key) or key.startswith("org:sys_")):
            raise invalid("key", "key must be org:<feature>:<action>", "form_param_format_invalid")

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            p = await self.permission(tx, permission_id)
            if p.type == "system":
                raise IdentityError(403, "system_permission_immutable", "system permission",
                                    "Clerk's system permissions cannot be changed or deleted.")  # fmt: skip
            if key and key != p.key and await roles.get_permission(tx, key) is not None:
                raise _duplicate("permission", key)
            changed = replace(p, name=name or p.name, key=key or p.key,
                              description=p.description if description is None else description, updated_at=now_ms())  # fmt: skip
            await roles.save_permission(tx, changed)
            out.add("permission.updated", permission_json(changed))
            return permission_json(changed)

        return await self.orgs.change(request, run)

    async def delete_permission(self, request: RequestInfo, permission_id: str) -> dict[str, Any]:
        """Delete a custom permission, taking it from every role (``permission.deleted``)."""

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            p = await self.permission(tx, permission_id)
            if p.type == "system":
                raise IdentityError(403, "system_permission_immutable", "system permission",
                                    "Clerk's system permissions cannot be changed or deleted.")  # fmt: skip
            await roles.delete_permission(tx, p.id)
            out.add("permission.deleted", deleted_json("permission", p.id))
            return deleted_json("permission", p.id)

        return await self.orgs.change(request, run)

    # -- roles ----------------------------------------------------------------------------------------------
    async def role(self, c: Conn, role_id: str) -> RoleRow:
        """A role by id, or 404."""
        found = await roles.get_role(c, role_id)
        if found is None or found.id != role_id:
            raise not_found("role")
        return found

    async def _permissions(self, c: Conn, ids: Any) -> tuple[PermissionRow, ...]:
        if ids is None:
            return ()
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or len(ids) > 100:
            raise invalid("permissions", "permissions must be a list of at most 100 permission ids")
        return tuple(sorted({(await self.permission_for_role(c, i)) for i in ids}, key=lambda p: p.key))

    async def permission_for_role(self, c: Conn, permission_id: str) -> PermissionRow:
        """A permission to give a role: 422 naming ``permissions`` if there is none with the id."""
        found = await roles.get_permission(c, permission_id)
        if found is None or found.id != permission_id:
            raise invalid(
                "permissions", f"{permission_id} is not a permission of this instance", "resource_not_found"
            )
        return found

    async def create_role(self, request: RequestInfo, body: dict[str, Any]) -> dict[str, Any]:
        """A custom role ``org:<name>`` with permissions (``role.created``)."""
        name, key = _text(body, "name", True), _text(body, "key", True)
        description = _text(body, "description", False, 1000)
        assert name is not None and key is not None
        if not ROLE_KEY.match(key):
            raise invalid("key", "key must start with org: and contain only lowercase letters, digits and _",
                          "form_param_format_invalid")  # fmt: skip
        if body.get("include_in_initial_role_set") not in (None, False):  # false asks for what is done anyway
            raise invalid(
                "include_in_initial_role_set", "hookline has no role sets", "form_param_value_invalid"
            )

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            if await roles.get_role(tx, key) is not None:
                raise _duplicate("role", key)
            now = now_ms()
            r = RoleRow(new_id("role"), key, name, description, False, now, now,
                        await self._permissions(tx, body.get("permissions")))  # fmt: skip
            await roles.save_role(tx, r)
            out.add("role.created", role_json(r))
            return role_json(r)

        return await self.orgs.change(request, run)

    async def update_role(self, request: RequestInfo, role_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Change a role's name, key, description or permissions (``role.updated``)."""
        name, key = _text(body, "name", False), _text(body, "key", False)
        description = _text(body, "description", False, 1000)
        if key is not None and not ROLE_KEY.match(key):
            raise invalid("key", "key must start with org:", "form_param_format_invalid")

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            r = await self.role(tx, role_id)
            if key and key != r.key:
                if r.key in (CREATOR_ROLE, DEFAULT_ROLE) or await roles.role_in_use(tx, r.key):
                    raise IdentityError(400, "role_key_in_use", "role in use",
                                        "The key of a default role, or of a role members have, cannot change.")  # fmt: skip
                if await roles.get_role(tx, key) is not None:
                    raise _duplicate("role", key)
            perms = (
                r.permissions
                if body.get("permissions") is None
                else await self._permissions(tx, body["permissions"])
            )
            changed = replace(r, name=name or r.name, key=key or r.key,
                              description=r.description if description is None else description, permissions=perms,
                              updated_at=now_ms())  # fmt: skip
            return await self._save_role(tx, out, changed)

        return await self.orgs.change(request, run)

    async def _save_role(self, tx: Conn, out: Outbox, r: RoleRow) -> dict[str, Any]:
        await roles.save_role(tx, r)
        out.add("role.updated", role_json(r))
        return role_json(r)

    async def set_role_permission(
        self, request: RequestInfo, role_id: str, permission_id: str, grant: bool
    ) -> dict[str, Any]:
        """Give a role a permission, or take it away (``role.updated``); 404 for either unknown."""

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            r = await self.role(tx, role_id)
            p = await self.permission(tx, permission_id)
            has = any(x.id == p.id for x in r.permissions)
            if grant and has:
                raise IdentityError(400, "duplicate_record", "permission already granted",
                                    f"The role has {p.key} already.")  # fmt: skip
            if not grant and not has:
                raise not_found("permission of the role")
            kept = [x for x in r.permissions if x.id != p.id] + ([p] if grant else [])
            return await self._save_role(tx, out, replace(r, permissions=tuple(sorted(kept, key=lambda x: x.key)),
                                                          updated_at=now_ms()))  # fmt: skip

        return await self.orgs.change(request, run)

    async def delete_role(self, request: RequestInfo, role_id: str) -> dict[str, Any]:
        """Delete a role that is neither a default one nor held by anyone (``role.deleted``)."""

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            r = await self.role(tx, role_id)
            if r.key in (CREATOR_ROLE, DEFAULT_ROLE):
                raise IdentityError(400, "role_is_default", "default role",
                                    f"{r.key} is the creator's or the default role and cannot be deleted.")  # fmt: skip
            if await roles.role_in_use(tx, r.key):
                raise IdentityError(400, "role_in_use", "role in use",
                                    "Members or pending invitations have this role; change them first.")  # fmt: skip
            await roles.delete_role(tx, r.id)
            out.add("role.deleted", deleted_json("role", r.id))
            return deleted_json("role", r.id)

        return await self.orgs.change(request, run)

    # -- domains --------------------------------------------------------------------------------------------
    async def domain_json(self, c: Conn, d: DomainRow) -> dict[str, Any]:
        """A domain with its organization's public data and its pending invitations."""
        pending = await members.count_pending_on_domain(c, d.organization_id, d.name, now_ms())
        return domain_json(d, await self.orgs.require(c, d.organization_id), self.orgs.base_url, pending)

    async def _invite_domain_users(self, tx: Conn, out: Outbox, d: DomainRow) -> None:
        """Clerk's automatic invitations: on a verified ``automatic_invitation`` domain, every user with a verified
        address there who is not a member yet is invited with the default role (no email is sent)."""
        if not d.verified or d.enrollment_mode != "automatic_invitation":
            return
        for user_id, email in await members.verified_on_domain(tx, d.name):
            await invite_on_domain(self.orgs, tx, out, d, user_id, email)

    @staticmethod
    def _mode(body: dict[str, Any], default: str | None) -> str | None:
        mode = body.get("enrollment_mode", default)
        if mode is None:
            return None
        if mode == "enterprise_sso":
            raise invalid("enrollment_mode", "hookline has no enterprise SSO", "form_param_value_invalid")
        if mode not in ENROLLMENT_MODES:
            raise invalid("enrollment_mode", f"enrollment_mode must be one of {', '.join(ENROLLMENT_MODES)}",
                          "form_param_value_invalid")  # fmt: skip
        return str(mode)

    @staticmethod
    def _verified(body: dict[str, Any]) -> bool | None:
        value = body.get("verified")
        if value is not None and not isinstance(value, bool):
            raise invalid("verified", "verified must be true or false")
        return value

    async def create_domain(self, request: RequestInfo, key: str, body: dict[str, Any]) -> dict[str, Any]:
        """Add an email domain to an organization (``organizationDomain.created``); verified unless told not."""
        name = (_text(body, "name", True, 253) or "").strip().lower()
        if not DOMAIN.match(name):
            raise invalid("name", f"{name!r} is not a domain name", "form_param_format_invalid")
        mode = self._mode(body, "manual_invitation") or "manual_invitation"
        verified = self._verified(body)

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            o = await self.orgs.require(tx, key)
            if await domains.by_name(tx, name) is not None:
                raise IdentityError(400, "organization_domain_exists", "domain taken",
                                    f"{name} is a domain of an organization already.", {"param_name": "name"})  # fmt: skip
            now = now_ms()
            d = DomainRow(new_id("orgdmn"), o.id, name, mode, verified is not False, None, now, now)
            await domains.save(tx, d)
            await self._invite_domain_users(tx, out, d)
            made = await self.domain_json(tx, d)
            out.add("organizationDomain.created", made)
            return made

        return await self.orgs.change(request, run)

    async def domain(self, c: Conn, key: str, domain_id: str) -> DomainRow:
        """A domain of an organization, or 404."""
        o = await self.orgs.require(c, key)
        d = await domains.get(c, domain_id)
        if d is None or d.organization_id != o.id:
            raise not_found("organization domain")
        return d

    async def update_domain(
        self, request: RequestInfo, key: str, domain_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """Change a domain's enrollment mode or verification (``organizationDomain.updated``)."""
        mode, verified = self._mode(body, None), self._verified(body)

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            d = await self.domain(tx, key, domain_id)
            changed = replace(d, enrollment_mode=mode or d.enrollment_mode,
                              verified=d.verified if verified is None else verified, updated_at=now_ms())  # fmt: skip
            await domains.save(tx, changed)
            await self._invite_domain_users(tx, out, changed)
            made = await self.domain_json(tx, changed)
            out.add("organizationDomain.updated", made)
            return made

        return await self.orgs.change(request, run)

    async def delete_domain(self, request: RequestInfo, key: str, domain_id: str) -> dict[str, Any]:
        """Remove a domain from its organization (``organizationDomain.deleted``)."""

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            d = await self.domain(tx, key, domain_id)
            await domains.delete(tx, d.id)
            out.add("organizationDomain.deleted", deleted_json("organization_domain", d.id))
            return deleted_json("organization_domain", d.id)

        return await self.orgs.change(request, run)
