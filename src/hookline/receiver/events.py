"""Typed models of Clerk's webhook events, built from Clerk's published payload shapes.

Every model is a frozen stdlib dataclass. ``from_dict`` keeps unknown keys in ``extra`` and gives
missing ones their default, so payloads from a newer sender still parse. Times are epoch
milliseconds, as Clerk sends them; :func:`to_datetime` turns one into an aware ``datetime``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar

from hookline.receiver._errors import MalformedEventError
from hookline.receiver._model import Model
from hookline.receiver.models import (
    DeletedObject,
    Email,
    EmailAddress,
    EnterpriseAccount,
    ExternalAccount,
    IdentificationLink,
    Invitation,
    Organization,
    OrganizationDomain,
    OrganizationDomainVerification,
    OrganizationInvitation,
    OrganizationMembership,
    Passkey,
    Permission,
    PhoneNumber,
    PublicOrganizationData,
    PublicUserData,
    Role,
    SamlAccount,
    Session,
    SessionActivity,
    SmsMessage,
    User,
    Verification,
    WaitlistEntry,
    Web3Wallet,
)

# the resource models are re-exported so one import serves a handler module
__all__ = [
    "EVENT_CLASSES",
    "DeletedObject",
    "Email",
    "EmailAddress",
    "EmailEvent",
    "EnterpriseAccount",
    "Event",
    "EventAttributes",
    "ExternalAccount",
    "HttpRequest",
    "IdentificationLink",
    "Invitation",
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
    "PublicOrganizationData",
    "PublicUserData",
    "Role",
    "RoleDeletedEvent",
    "RoleEvent",
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
    "parse_event",
    "to_datetime",
]

D = TypeVar("D")
# an alias, because inside Event the name ``type`` is the event-type field
ModelClass = type[Model]

# An epoch in milliseconds passes this around 1973; in seconds, not before the year 5138.
_MS_THRESHOLD = 100_000_000_000


def to_datetime(epoch: int | float | None) -> datetime | None:
    """Turn an epoch time (milliseconds as Clerk sends; seconds accepted too) into a UTC datetime.

    Raises ``ValueError`` for a time outside what ``datetime`` can hold.
    """
    if epoch is None:
        return None
    seconds = epoch / 1000 if abs(epoch) >= _MS_THRESHOLD else epoch
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError) as exc:
        raise ValueError(f"epoch {epoch!r} is out of range") from exc


# --- the envelope -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class HttpRequest(Model):
    """The end user's request that caused the event."""

    client_ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True, kw_only=True)
class EventAttributes(Model):
    """Context Clerk attaches to an event."""

    http_request: HttpRequest | None = None


@dataclass(frozen=True, kw_only=True)
class Event(Generic[D]):
    """One webhook event. The base class serves unknown types, with ``data`` as a plain dict.

    ``message_id`` is the ``webhook-id`` header (the body carries no event id); ``raw`` is the
    whole payload as received.
    """

    type: str
    data: D
    object: str = "event"
    timestamp: int | None = None
    instance_id: str | None = None
    event_attributes: EventAttributes | None = None
    message_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    data_model: ClassVar[ModelClass | None] = None
    event_types: ClassVar[tuple[str, ...]] = ()

    @property
    def occurred_at(self) -> datetime | None:
        """The envelope's ``timestamp`` as an aware UTC datetime."""
        return to_datetime(self.timestamp)


class UserEvent(Event[User]):
    """``user.created`` / ``user.updated``: ``data`` is the full :class:`User`."""

    data_model = User
    event_types = ("user.created", "user.updated")


class UserDeletedEvent(Event[DeletedObject]):
    """``user.deleted``: ``data`` is the stub ``{"object", "id", "deleted", "external_id"?}``."""

    data_model = DeletedObject
    event_types = ("user.deleted",)


class SessionEvent(Event[Session]):
    """``session.*``: ``data`` is the :class:`Session`, with the user embedded when sent."""

    data_model = Session
    event_types = (
        "session.created",
        "session.ended",
        "session.removed",
        "session.revoked",
        "session.pending",
    )


class EmailEvent(Event[Email]):
    """``email.created``: ``data`` is the :class:`Email`."""

    data_model = Email
    event_types = ("email.created",)


class SmsEvent(Event[SmsMessage]):
    """``sms.created``: ``data`` is the :class:`SmsMessage`."""

    data_model = SmsMessage
    event_types = ("sms.created",)


class OrganizationEvent(Event[Organization]):
    """``organization.created`` / ``organization.updated``."""

    data_model = Organization
    event_types = ("organization.created", "organization.updated")


class OrganizationDeletedEvent(Event[DeletedObject]):
    """``organization.deleted``: ``data`` is the deleted stub."""

    data_model = DeletedObject
    event_types = ("organization.deleted",)


class OrganizationDomainEvent(Event[OrganizationDomain]):
    """``organizationDomain.created`` / ``organizationDomain.updated``."""

    data_model = OrganizationDomain
    event_types = ("organizationDomain.created", "organizationDomain.updated")


class OrganizationDomainDeletedEvent(Event[DeletedObject]):
    """``organizationDomain.deleted``: ``data`` is the deleted stub."""

    data_model = DeletedObject
    event_types = ("organizationDomain.deleted",)


class OrganizationMembershipEvent(Event[OrganizationMembership]):
    """``organizationMembership.created`` / ``.updated`` / ``.deleted`` (the full membership)."""

    data_model = OrganizationMembership
    event_types = (
        "organizationMembership.created",
        "organizationMembership.updated",
        "organizationMembership.deleted",
    )


class OrganizationInvitationEvent(Event[OrganizationInvitation]):
    """``organizationInvitation.created`` / ``.accepted`` / ``.revoked``."""

    data_model = OrganizationInvitation
    event_types = (
        "organizationInvitation.created",
        "organizationInvitation.accepted",
        "organizationInvitation.revoked",
    )


class RoleEvent(Event[Role]):
    """``role.created`` / ``role.updated``."""

    data_model = Role
    event_types = ("role.created", "role.updated")


class RoleDeletedEvent(Event[DeletedObject]):
    """``role.deleted``: ``data`` is the deleted stub."""

    data_model = DeletedObject
    event_types = ("role.deleted",)


class PermissionEvent(Event[Permission]):
    """``permission.created`` / ``permission.updated``."""

    data_model = Permission
    event_types = ("permission.created", "permission.updated")


class PermissionDeletedEvent(Event[DeletedObject]):
    """``permission.deleted``: ``data`` is the deleted stub."""

    data_model = DeletedObject
    event_types = ("permission.deleted",)


class WaitlistEntryEvent(Event[WaitlistEntry]):
    """``waitlistEntry.created`` / ``waitlistEntry.updated``."""

    data_model = WaitlistEntry
    event_types = ("waitlistEntry.created", "waitlistEntry.updated")


EVENT_CLASSES: dict[str, type[Event[Any]]] = {
    event_type: cls
    for cls in (
        UserEvent,
        UserDeletedEvent,
        SessionEvent,
        EmailEvent,
        SmsEvent,
        OrganizationEvent,
        OrganizationDeletedEvent,
        OrganizationDomainEvent,
        OrganizationDomainDeletedEvent,
        OrganizationMembershipEvent,
        OrganizationInvitationEvent,
        RoleEvent,
        RoleDeletedEvent,
        PermissionEvent,
        PermissionDeletedEvent,
        WaitlistEntryEvent,
    )
    for event_type in cls.event_types
}
"""The typed class for each known event type; any other type parses as a plain :class:`Event`."""

_ENVELOPE_KEYS = frozenset({"type", "data", "object", "timestamp", "instance_id", "event_attributes"})


def parse_event(payload: Mapping[str, Any] | bytes | str, *, message_id: str | None = None) -> Event[Any]:
    """Parse an event envelope into its typed class (a plain :class:`Event` for unknown types).

    Raises :class:`MalformedEventError` when the payload is not a JSON object with a string ``type``.
    """
    if isinstance(payload, bytes | bytearray | memoryview | str):
        try:
            payload = json.loads(bytes(payload) if not isinstance(payload, str) else payload)
        except (ValueError, RecursionError) as exc:
            raise MalformedEventError(f"body is not valid JSON ({type(exc).__name__})") from None
    if not isinstance(payload, Mapping):
        raise MalformedEventError(f"event must be a JSON object, not {type(payload).__name__}")
    event_type = payload.get("type")
    if not isinstance(event_type, str) or not event_type:
        raise MalformedEventError("event has no 'type' (a non-empty string)")
    data = payload.get("data", {})
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise MalformedEventError(f"event 'data' must be a JSON object, not {type(data).__name__}")

    cls: type[Event[Any]] = EVENT_CLASSES.get(event_type, Event)
    typed_data: Any = cls.data_model.from_dict(data) if cls.data_model is not None else dict(data)
    timestamp = payload.get("timestamp")
    # JSON allows Infinity and NaN in Python's parser; neither is a time
    if isinstance(timestamp, bool) or not isinstance(timestamp, int | float) or not math.isfinite(timestamp):
        timestamp = None
    instance_id = payload.get("instance_id")
    attributes = payload.get("event_attributes")
    obj = payload.get("object")
    return cls(
        type=event_type,
        data=typed_data,
        object=obj if isinstance(obj, str) else "event",
        timestamp=int(timestamp) if timestamp is not None else None,
        instance_id=instance_id if isinstance(instance_id, str) else None,
        event_attributes=EventAttributes.from_dict(attributes) if isinstance(attributes, Mapping) else None,
        message_id=message_id,
        extra={k: v for k, v in payload.items() if k not in _ENVELOPE_KEYS},
        raw=dict(payload),
    )
