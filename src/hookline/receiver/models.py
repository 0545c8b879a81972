"""Clerk's resources as webhook events carry them: users, sessions, organizations and the rest.

Built from Clerk's published webhook schema (``clerk/openapi-specs`` ``webhooks/2025-04-15.yml``)
and the ``@clerk/backend`` JSON types. Every model is a frozen stdlib dataclass whose
``from_dict`` keeps unknown keys in ``extra`` and gives missing ones their default. Times are
epoch milliseconds, as Clerk sends them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hookline.receiver._model import Model

# --- pieces shared by several resources -------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Verification(Model):
    """How an identifier was verified (``verification_otp``, ``verification_oauth``, ...)."""

    object: str | None = None
    status: str | None = None
    strategy: str | None = None
    attempts: int | None = None
    expire_at: int | None = None
    verified_at_client: str | None = None
    external_verification_redirect_url: str | None = None
    nonce: str | None = None
    message: str | None = None
    error: dict[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class IdentificationLink(Model):
    """A link from an identifier to the account that vouches for it (``oauth_google``, ...)."""

    type: str = ""
    id: str = ""


@dataclass(frozen=True, kw_only=True)
class EmailAddress(Model):
    """One of a user's email addresses (``idn_...``)."""

    object: str = "email_address"
    id: str = ""
    email_address: str = ""
    reserved: bool = False
    verification: Verification | None = None
    linked_to: list[IdentificationLink] = field(default_factory=list)
    matches_sso_connection: bool | None = None
    created_at: int = 0
    updated_at: int = 0


@dataclass(frozen=True, kw_only=True)
class PhoneNumber(Model):
    """One of a user's phone numbers (``idn_...``)."""

    object: str = "phone_number"
    id: str = ""
    phone_number: str = ""
    reserved_for_second_factor: bool = False
    default_second_factor: bool = False
    reserved: bool = False
    verification: Verification | None = None
    linked_to: list[IdentificationLink] = field(default_factory=list)
    backup_codes: list[str] | None = None
    created_at: int = 0
    updated_at: int = 0


@dataclass(frozen=True, kw_only=True)
class Web3Wallet(Model):
    """A web3 wallet address attached to a user."""

    object: str = "web3_wallet"
    id: str = ""
    web3_wallet: str = ""
    verification: Verification | None = None
    created_at: int = 0
    updated_at: int = 0


@dataclass(frozen=True, kw_only=True)
class Passkey(Model):
    """A passkey registered by a user."""

    object: str = "passkey"
    id: str = ""
    name: str = ""
    last_used_at: int | None = None
    verification: Verification | None = None


@dataclass(frozen=True, kw_only=True)
class ExternalAccount(Model):
    """An OAuth account (Google, GitHub, ...) linked to a user."""

    object: str = "external_account"
    id: str = ""
    provider: str = ""
    identification_id: str = ""
    provider_user_id: str = ""
    approved_scopes: str = ""
    email_address: str = ""
    first_name: str = ""
    last_name: str = ""
    avatar_url: str | None = None
    image_url: str | None = None
    username: str | None = None
    phone_number: str | None = None
    public_metadata: dict[str, Any] = field(default_factory=dict)
    label: str | None = None
    verification: Verification | None = None
    created_at: int = 0
    updated_at: int = 0


@dataclass(frozen=True, kw_only=True)
class SamlAccount(Model):
    """A SAML identity linked to a user."""

    object: str = "saml_account"
    id: str = ""
    provider: str = ""
    active: bool = False
    email_address: str = ""
    first_name: str | None = None
    last_name: str | None = None
    provider_user_id: str | None = None
    last_authenticated_at: int | None = None
    public_metadata: dict[str, Any] = field(default_factory=dict)
    verification: Verification | None = None
    saml_connection: dict[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class EnterpriseAccount(Model):
    """An enterprise (SAML or OAuth) identity linked to a user."""

    object: str = "enterprise_account"
    id: str = ""
    protocol: str = ""
    provider: str = ""
    active: bool = False
    email_address: str = ""
    first_name: str | None = None
    last_name: str | None = None
    provider_user_id: str | None = None
    enterprise_connection_id: str | None = None
    public_metadata: dict[str, Any] = field(default_factory=dict)
    verification: Verification | None = None
    enterprise_connection: dict[str, Any] | None = None
    last_authenticated_at: int | None = None


# --- organizations ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Organization(Model):
    """An organization (``org_...``)."""

    object: str = "organization"
    id: str = ""
    name: str = ""
    slug: str = ""
    image_url: str | None = None
    has_image: bool = False
    members_count: int | None = None
    missing_member_with_elevated_permissions: bool | None = None
    pending_invitations_count: int | None = None
    max_allowed_memberships: int = 0
    admin_delete_enabled: bool = False
    public_metadata: dict[str, Any] = field(default_factory=dict)
    private_metadata: dict[str, Any] = field(default_factory=dict)
    created_by: str | None = None
    created_at: int = 0
    updated_at: int = 0


@dataclass(frozen=True, kw_only=True)
class PublicOrganizationData(Model):
    """The public face of an organization, embedded in invitations and domains."""

    id: str = ""
    name: str = ""
    slug: str = ""
    image_url: str | None = None
    has_image: bool = False


@dataclass(frozen=True, kw_only=True)
class PublicUserData(Model):
    """The public face of a user, embedded in organization memberships."""

    user_id: str = ""
    first_name: str | None = None
    last_name: str | None = None
    profile_image_url: str | None = None
    image_url: str | None = None
    has_image: bool = False
    identifier: str | None = None
    username: str | None = None


@dataclass(frozen=True, kw_only=True)
class OrganizationMembership(Model):
    """A user's membership of an organization (``orgmem_...``), with its role and permissions."""

    object: str = "organization_membership"
    id: str = ""
    role: str = ""
    role_name: str | None = None
    permissions: list[str] = field(default_factory=list)
    public_metadata: dict[str, Any] = field(default_factory=dict)
    private_metadata: dict[str, Any] = field(default_factory=dict)
    organization: Organization | None = None
    public_user_data: PublicUserData | None = None
    created_at: int = 0
    updated_at: int = 0


@dataclass(frozen=True, kw_only=True)
class OrganizationInvitation(Model):
    """An invitation to join an organization (``orginv_...``); ``user_id`` is set once accepted."""

    object: str = "organization_invitation"
    id: str = ""
    email_address: str = ""
    role: str = ""
    role_name: str | None = None
    organization_id: str | None = None
    inviter_id: str | None = None
    status: str | None = None
    public_metadata: dict[str, Any] = field(default_factory=dict)
    private_metadata: dict[str, Any] = field(default_factory=dict)
    public_organization_data: PublicOrganizationData | None = None
    url: str | None = None
    user_id: str | None = None
    expires_at: int | None = None
    created_at: int = 0
    updated_at: int = 0


@dataclass(frozen=True, kw_only=True)
class OrganizationDomainVerification(Model):
    """How an organization's domain was verified."""

    status: str | None = None
    strategy: str | None = None
    attempts: int | None = None
    expire_at: int | None = None


@dataclass(frozen=True, kw_only=True)
class OrganizationDomain(Model):
    """An email domain attached to an organization (``orgdmn_...``)."""

    object: str = "organization_domain"
    id: str = ""
    organization_id: str = ""
    name: str = ""
    enrollment_mode: str = ""
    affiliation_email_address: str | None = None
    verification: OrganizationDomainVerification | None = None
    total_pending_invitations: int = 0
    total_pending_suggestions: int = 0
    public_organization_data: PublicOrganizationData | None = None
    created_at: int = 0
    updated_at: int = 0


# --- users and sessions -----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class User(Model):
    """A user (``user_...``), as Clerk's Backend API returns it."""

    object: str = "user"
    id: str = ""
    external_id: str | None = None
    primary_email_address_id: str | None = None
    primary_phone_number_id: str | None = None
    primary_web3_wallet_id: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    locale: str | None = None
    profile_image_url: str | None = None
    image_url: str | None = None
    has_image: bool = False
    public_metadata: dict[str, Any] = field(default_factory=dict)
    private_metadata: dict[str, Any] | None = None
    unsafe_metadata: dict[str, Any] = field(default_factory=dict)
    email_addresses: list[EmailAddress] = field(default_factory=list)
    phone_numbers: list[PhoneNumber] = field(default_factory=list)
    web3_wallets: list[Web3Wallet] = field(default_factory=list)
    passkeys: list[Passkey] = field(default_factory=list)
    external_accounts: list[ExternalAccount] = field(default_factory=list)
    saml_accounts: list[SamlAccount] = field(default_factory=list)
    enterprise_accounts: list[EnterpriseAccount] = field(default_factory=list)
    organization_memberships: list[OrganizationMembership] | None = None
    password_enabled: bool = False
    password_last_updated_at: int | None = None
    two_factor_enabled: bool = False
    totp_enabled: bool = False
    backup_code_enabled: bool = False
    mfa_enabled_at: int | None = None
    mfa_disabled_at: int | None = None
    last_sign_in_at: int | None = None
    banned: bool = False
    locked: bool = False
    lockout_expires_in_seconds: int | None = None
    verification_attempts_remaining: int | None = None
    delete_self_enabled: bool = False
    create_organization_enabled: bool = False
    create_organizations_limit: int | None = None
    last_active_at: int | None = None
    legal_accepted_at: int | None = None
    created_at: int = 0
    updated_at: int = 0

    @property
    def primary_email_address(self) -> str | None:
        """The primary email address as a string, or None."""
        for email in self.email_addresses:
            if email.id == self.primary_email_address_id:
                return email.email_address
        return None

    @property
    def primary_phone_number(self) -> str | None:
        """The primary phone number as a string, or None."""
        for phone in self.phone_numbers:
            if phone.id == self.primary_phone_number_id:
                return phone.phone_number
        return None


@dataclass(frozen=True, kw_only=True)
class DeletedObject(Model):
    """The stub a ``*.deleted`` event carries: ``{"object", "id", "deleted": true}``."""

    object: str = ""
    id: str | None = None
    slug: str | None = None
    deleted: bool = True
    external_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class SessionActivity(Model):
    """Where and on what a session was last active."""

    object: str = "session_activity"
    id: str = ""
    device_type: str | None = None
    is_mobile: bool = False
    browser_name: str | None = None
    browser_version: str | None = None
    ip_address: str | None = None
    city: str | None = None
    country: str | None = None


@dataclass(frozen=True, kw_only=True)
class Session(Model):
    """A session (``sess_...``); in ``session.*`` events it embeds the full ``user``."""

    object: str = "session"
    id: str = ""
    user_id: str = ""
    client_id: str = ""
    status: str = ""
    actor: dict[str, Any] | None = None
    last_active_organization_id: str | None = None
    latest_activity: SessionActivity | None = None
    user: User | None = None
    last_active_at: int = 0
    expire_at: int = 0
    abandon_at: int = 0
    created_at: int = 0
    updated_at: int = 0


# --- messages, roles, waitlist ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Email(Model):
    """An email Clerk sends (or asks you to send when ``delivered_by_clerk`` is false)."""

    object: str = "email"
    id: str = ""
    slug: str | None = None
    from_email_name: str = ""
    reply_to_email_name: str | None = None
    to_email_address: str | None = None
    email_address_id: str | None = None
    user_id: str | None = None
    subject: str | None = None
    body: str | None = None
    body_plain: str | None = None
    status: str | None = None
    data: dict[str, Any] | None = None
    delivered_by_clerk: bool = False


@dataclass(frozen=True, kw_only=True)
class SmsMessage(Model):
    """A text message Clerk sends (or asks you to send when ``delivered_by_clerk`` is false)."""

    object: str = "sms_message"
    id: str = ""
    slug: str | None = None
    from_phone_number: str = ""
    to_phone_number: str = ""
    phone_number_id: str | None = None
    user_id: str | None = None
    message: str = ""
    status: str = ""
    data: dict[str, Any] | None = None
    delivered_by_clerk: bool = False
    created_at: int | None = None


@dataclass(frozen=True, kw_only=True)
class Permission(Model):
    """A permission (``perm_...``) with its key, e.g. ``org:posts:create``."""

    object: str = "permission"
    id: str = ""
    name: str = ""
    key: str = ""
    description: str = ""
    type: str | None = None
    created_at: int = 0
    updated_at: int = 0


@dataclass(frozen=True, kw_only=True)
class Role(Model):
    """A role (``role_...``) and the permissions it grants."""

    object: str = "role"
    id: str = ""
    name: str = ""
    key: str = ""
    description: str = ""
    is_creator_eligible: bool = False
    permissions: list[Permission] = field(default_factory=list)
    created_at: int = 0
    updated_at: int = 0


@dataclass(frozen=True, kw_only=True)
class Invitation(Model):
    """An application invitation (``inv_...``), as embedded in a waitlist entry."""

    object: str = "invitation"
    id: str = ""
    email_address: str = ""
    public_metadata: dict[str, Any] = field(default_factory=dict)
    revoked: bool | None = None
    status: str = ""
    url: str | None = None
    expires_at: int | None = None
    created_at: int = 0
    updated_at: int = 0


@dataclass(frozen=True, kw_only=True)
class WaitlistEntry(Model):
    """A waitlist entry (``wle_...``) and the invitation sent for it, if any."""

    object: str = "waitlist_entry"
    id: str = ""
    email_address: str = ""
    status: str = ""
    is_locked: bool = False
    invitation: Invitation | None = None
    created_at: int = 0
    updated_at: int = 0
