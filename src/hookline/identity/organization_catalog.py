"""The organization events of the identity catalog: description, data object, required fields and an
example of each, the example made by the same code that makes the events."""

from __future__ import annotations

from typing import Any

from hookline.identity.organization_json import (
    deleted_json,
    domain_json,
    invitation_json,
    membership_json,
    organization_json,
    permission_json,
    role_json,
)
from hookline.store.organization_domains import DomainRow
from hookline.store.organization_members import InvitationRow, MembershipRow, PublicUser
from hookline.store.organization_roles import PermissionRow, RoleRow
from hookline.store.organizations import OrganizationRow

_AT = 1_716_883_200_000
_BASE = "https://hookline.example.org"
_ORG = OrganizationRow("org_2g7np7Hrk0SN6kj5EDMLDaKNL0S", "Acme", "acme", 0, True, "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
                       None, _AT, _AT, {"plan": "team"}, {})  # fmt: skip
_PERM = PermissionRow("perm_2g7np7Hrk0SN6kj5EDMLDaKNL0S", "org:invoices:read", "Read invoices", "Read the invoices.",
                      "user", _AT, _AT)  # fmt: skip
_ROLE = RoleRow("role_2g7np7Hrk0SN6kj5EDMLDaKNL0S", "org:billing", "Billing", "Reads invoices.", False, _AT, _AT,
                (_PERM,))  # fmt: skip
_USER = PublicUser("user_2g7np7Hrk0SN6kj5EDMLDaKNL0S", "Example", "User", None, "example@example.org", False)
_MEMBERSHIP = membership_json(
    MembershipRow("orgmem_2g7np7Hrk0SN6kj5EDMLDaKNL0S", _ORG.id, _USER.user_id, _ROLE.key, _AT, _AT), _ORG, _ROLE,
    _USER, _BASE,
)  # fmt: skip
_INVITATION = invitation_json(
    InvitationRow("orginv_2g7np7Hrk0SN6kj5EDMLDaKNL0S", _ORG.id, "new@example.org", _ROLE.key, "pending",
                  _USER.user_id, None, None, _AT + 30 * 86_400_000, _AT, _AT),
    _ORG, _ROLE, _BASE, _AT, None, _USER,
)  # fmt: skip
_DOMAIN = domain_json(
    DomainRow("orgdmn_2g7np7Hrk0SN6kj5EDMLDaKNL0S", _ORG.id, "example.org", "automatic_invitation", True, None, _AT,
              _AT), _ORG, _BASE,
)  # fmt: skip
_ORG_REQUIRED = ["object", "id", "name", "slug", "created_at", "updated_at"]
_MEMBERSHIP_REQUIRED = [
    "object",
    "id",
    "role",
    "organization",
    "public_user_data",
    "created_at",
    "updated_at",
]
_INVITATION_REQUIRED = ["object", "id", "email_address", "role", "organization_id", "status", "created_at"]
_DOMAIN_REQUIRED = ["object", "id", "organization_id", "name", "enrollment_mode", "created_at"]
_ROLE_REQUIRED = ["object", "id", "key", "name", "permissions", "created_at", "updated_at"]
_PERM_REQUIRED = ["object", "id", "key", "name", "type", "created_at", "updated_at"]
_DELETED = ["object", "id", "deleted"]

ORGANIZATION_CATALOG: dict[str, tuple[str, str, list[str], dict[str, Any]]] = {
    "organization.created": ("An organization was created.", "organization", _ORG_REQUIRED,
                             organization_json(_ORG, _BASE)),
    "organization.updated": ("An organization's name, slug, logo, metadata or settings changed.", "organization",
                             _ORG_REQUIRED, organization_json(_ORG, _BASE)),
    "organization.deleted": ("An organization was deleted; data is the deleted-object stub.", "organization",
                             _DELETED, deleted_json("organization", _ORG.id)),
    "organizationMembership.created": ("A user joined an organization (added, or accepted an invitation).",
                                       "organization_membership", _MEMBERSHIP_REQUIRED, _MEMBERSHIP),
    "organizationMembership.updated": ("A member's role or metadata changed.", "organization_membership",
                                       _MEMBERSHIP_REQUIRED, _MEMBERSHIP),
    "organizationMembership.deleted": ("A member was removed from an organization.", "organization_membership",
                                       _MEMBERSHIP_REQUIRED, _MEMBERSHIP),
    "organizationInvitation.created": ("An address was invited to an organization.", "organization_invitation",
                                       _INVITATION_REQUIRED, _INVITATION),
    "organizationInvitation.accepted": ("An invitation was accepted; its user joined.", "organization_invitation",
                                        _INVITATION_REQUIRED, {**_INVITATION, "status": "accepted"}),
    "organizationInvitation.revoked": ("An invitation was revoked.", "organization_invitation", _INVITATION_REQUIRED,
                                       {**_INVITATION, "status": "revoked"}),
    "organizationDomain.created": ("A domain was added to an organization.", "organization_domain", _DOMAIN_REQUIRED,
                                   _DOMAIN),
    "organizationDomain.updated": ("A domain's enrollment mode or verification changed.", "organization_domain",
                                   _DOMAIN_REQUIRED, _DOMAIN),
    "organizationDomain.deleted": ("A domain was removed; data is the deleted-object stub.", "organization_domain",
                                   _DELETED, deleted_json("organization_domain", _DOMAIN["id"])),
    "role.created": ("An organization role was created.", "role", _ROLE_REQUIRED, role_json(_ROLE)),
    "role.updated": ("A role's name, key, description or permissions changed.", "role", _ROLE_REQUIRED,
                     role_json(_ROLE)),
    "role.deleted": ("A role was deleted; data is the deleted-object stub.", "role", _DELETED,
                     deleted_json("role", _ROLE.id)),
    "permission.created": ("An organization permission was created.", "permission", _PERM_REQUIRED,
                           permission_json(_PERM)),
    "permission.updated": ("A permission's name, key or description changed.", "permission", _PERM_REQUIRED,
                           permission_json(_PERM)),
    "permission.deleted": ("A permission was deleted; data is the deleted-object stub.", "permission", _DELETED,
                           deleted_json("permission", _PERM.id)),
}  # fmt: skip
