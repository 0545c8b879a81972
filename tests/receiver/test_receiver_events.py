"""Typed Clerk event models: parsing, tolerance of unknown and missing fields, generic events."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from hookline.receiver import (
    EVENT_CLASSES,
    DeletedObject,
    EmailEvent,
    Event,
    MalformedEventError,
    OrganizationDeletedEvent,
    OrganizationDomainEvent,
    OrganizationEvent,
    OrganizationInvitationEvent,
    OrganizationMembershipEvent,
    PermissionDeletedEvent,
    PermissionEvent,
    RoleDeletedEvent,
    RoleEvent,
    SessionEvent,
    SmsEvent,
    User,
    UserDeletedEvent,
    UserEvent,
    WaitlistEntryEvent,
    parse_event,
    to_datetime,
)

MakeEvent = Callable[..., dict[str, Any]]

ORGANIZATION = {
    "object": "organization",
    "id": "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
    "name": "Acme Corp",
    "slug": "acme-corp",
    "image_url": "https://img.clerk.com/xxxxxx",
    "has_image": True,
    "members_count": 1,
    "missing_member_with_elevated_permissions": False,
    "pending_invitations_count": 0,
    "max_allowed_memberships": 5,
    "admin_delete_enabled": True,
    "public_metadata": {},
    "private_metadata": {},
    "created_by": "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
    "created_at": 1716883200000,
    "updated_at": 1716883200000,
}
PERMISSION = {
    "object": "permission",
    "id": "perm_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
    "name": "Create Posts",
    "key": "org:posts:create",
    "description": "Ability to create new posts in the organization",
    "type": "custom",
    "created_at": 1716883200000,
    "updated_at": 1716883200000,
}

# (event type, data, expected class, a check on the typed data) from Clerk's published examples
EXAMPLES: list[tuple[str, dict[str, Any], type[Event[Any]], Callable[[Any], object]]] = [
    (
        "email.created",
        {
            "object": "email",
            "id": "ema_abcd",
            "slug": "verification_code",
            "from_email_name": "notifications",
            "to_email_address": "johndoe@acme.com",
            "email_address_id": "idn_abcd",
            "user_id": "user_abcd",
            "subject": "123456 is your verification code",
            "body": "<html>...</html>",
            "body_plain": "123456 is your OTP code for Acme.",
            "status": "queued",
            "data": {"otp_code": "123456", "app": {"name": "Acme"}},
            "delivered_by_clerk": True,
        },
        EmailEvent,
        lambda d: (d.to_email_address, d.data["otp_code"], d.delivered_by_clerk),
    ),
    (
        "sms.created",
        {
            "object": "sms_message",
            "id": "sms_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
            "slug": "verification_code",
            "from_phone_number": "+12345678901",
            "to_phone_number": "+19876543210",
            "phone_number_id": "idn_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
            "user_id": "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
            "message": "Your verification code is 123456",
            "status": "queued",
            "data": {},
            "delivered_by_clerk": True,
            "created_at": 1716883200000,
        },
        SmsEvent,
        lambda d: (d.to_phone_number, d.message, d.created_at),
    ),
    ("organization.created", ORGANIZATION, OrganizationEvent, lambda d: (d.slug, d.members_count)),
    (
        "organization.deleted",
        {
            "object": "organization",
            "id": "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
            "slug": "acme-corp",
            "deleted": True,
        },
        OrganizationDeletedEvent,
        lambda d: (d.id, d.slug, d.deleted),
    ),
    (
        "organizationDomain.updated",
        {
            "object": "organization_domain",
            "id": "orgdm_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
            "organization_id": "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
            "name": "acme.com",
            "enrollment_mode": "automatic_suggestion",
            "affiliation_email_address": "admin@acme.com",
            "verification": {
                "status": "verified",
                "strategy": "email_code",
                "attempts": 1,
                "expire_at": None,
            },
            "total_pending_invitations": 2,
            "total_pending_suggestions": 5,
            "created_at": 1716883200000,
            "updated_at": 1716883500000,
        },
        OrganizationDomainEvent,
        lambda d: (d.name, d.verification.status),
    ),
    (
        "organizationMembership.created",
        {
            "object": "organization_membership",
            "id": "orgmem_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
            "role": "org:member",
            "role_name": "Member",
            "permissions": ["org:posts:read", "org:posts:write"],
            "public_metadata": {},
            "private_metadata": {},
            "organization": ORGANIZATION,
            "public_user_data": {
                "user_id": "user_2h8op3Isl1QR7tKu5FGNfaLKEoU",
                "first_name": "Jane",
                "last_name": "Doe",
                "profile_image_url": "https://img.clerk.com/yyyyy",
                "image_url": "https://img.clerk.com/yyyyy",
                "has_image": True,
                "identifier": "jane.doe@acme.com",
            },
            "created_at": 1716883200000,
            "updated_at": 1716883200000,
        },
        OrganizationMembershipEvent,
        lambda d: (d.organization.slug, d.public_user_data.identifier, d.permissions[1]),
    ),
    (
        "organizationInvitation.accepted",
        {
            "object": "organization_invitation",
            "id": "orginv_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
            "email_address": "jane.doe@acme.com",
            "role": "org:member",
            "role_name": "Member",
            "organization_id": "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
            "status": "accepted",
            "public_metadata": {},
            "private_metadata": {},
            "url": "https://accounts.acme.com/accept-invitation?token=abc123",
            "user_id": "user_2h8op3Isl1QR7tKu5FGNfaLKEoU",
            "expires_at": 1717487999000,
            "created_at": 1716883200000,
            "updated_at": 1716883500000,
        },
        OrganizationInvitationEvent,
        lambda d: (d.status, d.user_id, d.expires_at),
    ),
    (
        "role.updated",
        {
            "object": "role",
            "id": "role_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
            "name": "Editor",
            "key": "editor",
            "description": "Can edit and publish content",
            "permissions": [PERMISSION],
            "created_at": 1716883200000,
            "updated_at": 1716883500000,
        },
        RoleEvent,
        lambda d: (d.key, d.permissions[0].key),
    ),
    (
        "role.deleted",
        {"object": "role", "id": "role_2g7np7Hrk0SN6kj5EDMLDaKNL0S", "slug": None, "deleted": True},
        RoleDeletedEvent,
        lambda d: (d.id, d.deleted),
    ),
    ("permission.created", PERMISSION, PermissionEvent, lambda d: (d.key, d.type)),
    (
        "permission.deleted",
        {"object": "permission", "id": "perm_2g7np7Hrk0SN6kj5EDMLDaKNL0S", "deleted": True},
        PermissionDeletedEvent,
        lambda d: (d.id, d.deleted),
    ),
    (
        "waitlistEntry.updated",
        {
            "object": "waitlistEntry",
            "id": "wle_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
            "email_address": "john.doe@example.com",
            "status": "invited",
            "is_locked": False,
            "created_at": 1716883200000,
            "updated_at": 1716883500000,
            "invitation": {
                "object": "invitation",
                "id": "inv_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
                "email_address": "john.doe@example.com",
                "status": "pending",
                "created_at": 1716883500000,
                "updated_at": 1716883500000,
            },
        },
        WaitlistEntryEvent,
        lambda d: (d.status, d.invitation.id),
    ),
]


def test_user_created_parses_into_a_typed_user(make_event: MakeEvent, user_data: dict[str, Any]) -> None:
    event = parse_event(make_event("user.created", user_data), message_id="msg_1")
    assert isinstance(event, UserEvent)
    user = event.data
    assert isinstance(user, User)
    assert (user.id, user.first_name, user.last_name) == ("user_2g7np7Hrk0SN6kj5EDMLDaKNL0S", "John", "Doe")
    assert user.primary_email_address == "john.doe@acme.com"
    assert user.email_addresses[0].verification is not None
    assert user.email_addresses[0].verification.status == "verified"
    assert user.private_metadata is None
    assert event.message_id == "msg_1"
    assert event.instance_id == "ins_2g7np7Hrk0SN6kj5EDMLDaKNL0S"
    assert event.event_attributes is not None and event.event_attributes.http_request is not None
    assert event.event_attributes.http_request.client_ip == "192.168.1.100"
    assert event.occurred_at == datetime(2024, 5, 28, 8, 0, tzinfo=UTC)


def test_unknown_fields_are_kept_in_extra(make_event: MakeEvent, user_data: dict[str, Any]) -> None:
    user_data["favourite_colour"] = "teal"
    user_data["email_addresses"][0]["new_flag"] = True
    payload = make_event("user.updated", user_data, api_version="2030-01-01")

    event = parse_event(payload)

    assert event.data.extra == {"favourite_colour": "teal"}
    assert event.data.email_addresses[0].extra == {"new_flag": True}
    assert event.extra == {"api_version": "2030-01-01"}
    assert event.data.to_dict()["favourite_colour"] == "teal"


def test_missing_optional_fields_take_their_defaults() -> None:
    event = parse_event({"type": "user.created", "data": {"id": "user_1"}})

    assert isinstance(event, UserEvent)
    assert event.data.id == "user_1"
    assert event.data.first_name is None
    assert event.data.email_addresses == []
    assert event.data.primary_email_address is None
    assert (event.timestamp, event.instance_id, event.event_attributes) == (None, None, None)


def test_a_mistyped_field_falls_back_to_its_default_and_raw_keeps_it() -> None:
    payload = {
        "type": "user.created",
        "data": {"id": "user_1", "first_name": 42, "banned": "yes", "email_addresses": {"not": "a list"}},
    }
    event = parse_event(payload)

    assert event.data.first_name is None
    assert event.data.banned is False
    assert event.data.email_addresses == []
    assert event.raw["data"]["first_name"] == 42


def test_user_deleted_carries_the_stub_with_external_id(make_event: MakeEvent) -> None:
    payload = make_event(
        "user.deleted", {"object": "user", "id": "user_1", "deleted": True, "external_id": "ex_123456789"}
    )
    event = parse_event(payload)

    assert isinstance(event, UserDeletedEvent)
    assert isinstance(event.data, DeletedObject)
    assert (event.data.object, event.data.id, event.data.deleted) == ("user", "user_1", True)
    assert event.data.external_id == "ex_123456789"


def test_session_event_embeds_the_full_user(make_event: MakeEvent, user_data: dict[str, Any]) -> None:
    session = {
        "object": "session",
        "id": "sess_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
        "user_id": user_data["id"],
        "client_id": "client_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
        "actor": None,
        "status": "active",
        "last_active_organization_id": None,
        "last_active_at": 1716883200000,
        "latest_activity": {
            "object": "session_activity",
            "id": "activity_1",
            "device_type": "desktop",
            "is_mobile": False,
            "browser_name": "Chrome",
            "city": "San Francisco",
            "country": "US",
        },
        "expire_at": 1716969600000,
        "abandon_at": 1719475200000,
        "updated_at": 1716883200000,
        "created_at": 1716883200000,
        "user": user_data,
    }
    for event_type in ("session.created", "session.ended", "session.removed", "session.revoked"):
        event = parse_event(make_event(event_type, session))
        assert isinstance(event, SessionEvent)
        assert event.data.user is not None
        assert event.data.user.primary_email_address == "john.doe@acme.com"
        assert event.data.latest_activity is not None and event.data.latest_activity.city == "San Francisco"


@pytest.mark.parametrize(
    ("event_type", "data", "cls", "check"), EXAMPLES, ids=[example[0] for example in EXAMPLES]
)
def test_each_clerk_example_parses_into_its_class(
    make_event: MakeEvent,
    event_type: str,
    data: dict[str, Any],
    cls: type[Event[Any]],
    check: Callable[[Any], object],
) -> None:
    event = parse_event(make_event(event_type, data))

    assert type(event) is cls
    assert EVENT_CLASSES[event_type] is cls
    assert all(value is not None for value in check(event.data))  # type: ignore[attr-defined]
    assert event.data.extra == {}


def test_unknown_event_type_parses_as_a_generic_event(make_event: MakeEvent) -> None:
    payload = make_event("subscription.created", {"object": "commerce_subscription", "id": "csub_1"})
    event = parse_event(json.dumps(payload).encode(), message_id="msg_x")

    assert type(event) is Event
    assert event.type == "subscription.created"
    assert event.data == {"object": "commerce_subscription", "id": "csub_1"}
    assert (event.object, event.timestamp, event.instance_id) == (
        "event",
        1716883200000,
        payload["instance_id"],
    )
    assert event.message_id == "msg_x"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'"user.created"',
        b"{}",
        b'{"data": {}}',
        b'{"type": ""}',
        b'{"type": 7}',
        b'{"type": "user.created", "data": [1]}',
        b"[" * 100_000,
    ],
    ids=[
        "not-json",
        "not-utf8",
        "array",
        "string",
        "empty-object",
        "no-type",
        "empty-type",
        "number-type",
        "data-not-object",
        "deeply-nested",
    ],
)
def test_a_body_that_is_not_an_event_raises_malformed_event(body: bytes) -> None:
    with pytest.raises(MalformedEventError) as caught:
        parse_event(body)
    assert caught.value.code == "malformed_event"


def test_non_finite_timestamps_are_ignored() -> None:
    event = parse_event(b'{"type": "x.y", "timestamp": Infinity, "data": {}}')
    assert event.timestamp is None
    assert event.occurred_at is None


def test_to_datetime_reads_milliseconds_and_seconds() -> None:
    expected = datetime(2024, 5, 28, 8, 0, tzinfo=UTC)
    assert to_datetime(1716883200000) == expected
    assert to_datetime(1716883200) == expected
    assert to_datetime(None) is None
    with pytest.raises(ValueError):
        to_datetime(10**30)


def _contains(whole: Any, part: Any) -> bool:
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(k in whole and _contains(whole[k], v) for k, v in part.items())
    if isinstance(part, list):
        return isinstance(whole, list) and len(whole) == len(part) and all(map(_contains, whole, part))
    return bool(whole == part)


def test_to_dict_gives_back_every_key_of_the_payload(user_data: dict[str, Any]) -> None:
    user_data["future_field"] = {"nested": [1, 2]}
    assert _contains(User.from_dict(user_data).to_dict(), user_data)
