"""Receive Clerk, Svix and Standard Webhooks: verify, parse, de-duplicate, dispatch.

    receiver = Receiver("whsec_...")

    @receiver.on("user.created")
    async def created(event: UserEvent) -> None: ...

    result = await receiver.handle(raw_body, headers)

Framework adapters live in ``hookline.receiver.adapters``; the durable background inbox is
:class:`Inbox`. Nothing here imports a web framework or a database driver.
"""

from __future__ import annotations

from hookline.receiver._errors import HandlerError, InboxError, MalformedEventError, ReceiverError
from hookline.receiver._postgres_inbox import PostgresBackend
from hookline.receiver._receiver import Handler, Receiver, Result, normalize_headers
from hookline.receiver._sqlite_inbox import SQLiteBackend
from hookline.receiver._stored import Delivery
from hookline.receiver.dedupe import DedupeStore, MemoryDedupe
from hookline.receiver.events import (
    EVENT_CLASSES,
    DeletedObject,
    Email,
    EmailAddress,
    EmailEvent,
    EnterpriseAccount,
    Event,
    EventAttributes,
    ExternalAccount,
    HttpRequest,
    IdentificationLink,
    Invitation,
    Organization,
    OrganizationDeletedEvent,
    OrganizationDomain,
    OrganizationDomainDeletedEvent,
    OrganizationDomainEvent,
    OrganizationDomainVerification,
    OrganizationEvent,
    OrganizationInvitation,
    OrganizationInvitationEvent,
    OrganizationMembership,
    OrganizationMembershipEvent,
    Passkey,
    Permission,
    PermissionDeletedEvent,
    PermissionEvent,
    PhoneNumber,
    PublicOrganizationData,
    PublicUserData,
    Role,
    RoleDeletedEvent,
    RoleEvent,
    SamlAccount,
    Session,
    SessionActivity,
    SessionEvent,
    SmsEvent,
    SmsMessage,
    User,
    UserDeletedEvent,
    UserEvent,
    Verification,
    WaitlistEntry,
    WaitlistEntryEvent,
    Web3Wallet,
    parse_event,
    to_datetime,
)
from hookline.receiver.inbox import Backoff, Inbox, InboxBackend, InboxRecord
from hookline.signing import WebhookVerificationError

__all__ = [
    "EVENT_CLASSES",
    "Backoff",
    "DedupeStore",
    "DeletedObject",
    "Delivery",
    "Email",
    "EmailAddress",
    "EmailEvent",
    "EnterpriseAccount",
    "Event",
    "EventAttributes",
    "ExternalAccount",
    "Handler",
    "HandlerError",
    "HttpRequest",
    "IdentificationLink",
    "Inbox",
    "InboxBackend",
    "InboxError",
    "InboxRecord",
    "Invitation",
    "MalformedEventError",
    "MemoryDedupe",
    "Organization",
    "OrganizationDeletedEvent",
    "OrganizationDomain",
    "OrganizationDomainDeletedEvent",
    "OrganizationDomainEvent",
    "OrganizationDomainVerification",
    "OrganizationEvent",
    "OrganizationInvitation",
    "OrganizationInvitationEvent",
    "OrganizationMembership",
    "OrganizationMembershipEvent",
    "Passkey",
    "Permission",
    "PermissionDeletedEvent",
    "PermissionEvent",
    "PhoneNumber",
    "PostgresBackend",
    "PublicOrganizationData",
    "PublicUserData",
    "Receiver",
    "ReceiverError",
    "Result",
    "Role",
    "RoleDeletedEvent",
    "RoleEvent",
    "SQLiteBackend",
    "SamlAccount",
    "Session",
    "SessionActivity",
    "SessionEvent",
    "SmsEvent",
    "SmsMessage",
    "User",
    "UserDeletedEvent",
    "UserEvent",
    "Verification",
    "WaitlistEntry",
    "WaitlistEntryEvent",
    "Web3Wallet",
    "WebhookVerificationError",
    "normalize_headers",
    "parse_event",
    "to_datetime",
]
