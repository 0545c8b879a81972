"""Email address changes of the identity service: add, delete, replace the primary one, notify the old one.

Mixed into ``Identity``, whose transactional ``change`` each of them runs in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

from hookline.identity import emails, field_limits, users
from hookline.identity.errors import IdentityError, invalid, not_found
from hookline.identity.events import Outbox, RequestInfo
from hookline.identity.resources import EmailAddress, User, now_ms
from hookline.ids import new_id
from hookline.store.db import Conn

T = TypeVar("T")


def identifier_exists(param: str = "email_address") -> IdentityError:
    """422 ``form_identifier_exists``: the email address belongs to another user."""
    return IdentityError(
        422, "form_identifier_exists", "That email address is taken. Please try another.",
        "That email address is taken. Please try another.", {"param_name": param},
    )  # fmt: skip


def checked_address(address: str) -> str:
    """``address`` normalized, within Clerk's length limit and of an address's shape; else a 422."""
    address = emails.normalize(address)
    field_limits.check_email(address)
    if not emails.looks_valid(address):
        raise invalid("email_address", f"{address!r} is not a valid email address")
    return address


class EmailAddresses:
    """The email-address operations; ``Identity`` provides ``change``, ``_require_user`` and ``user_json``."""

    async def change(self, request: RequestInfo, fn: Callable[[Conn, Outbox], Awaitable[T]]) -> T:
        """Run ``fn`` in a transaction with an outbox (``Identity.change``)."""
        raise NotImplementedError

    async def _require_user(self, c: Conn, user_id: str) -> User:
        raise NotImplementedError

    def user_json(self, user: User) -> dict[str, Any]:
        """A user as the Backend API returns it (``Identity.user_json``)."""
        raise NotImplementedError

    async def email_verified(self, tx: Conn, out: Outbox, user_id: str, address: str) -> None:
        """Run the hooks for an address verified in this transaction (``Identity.email_verified``)."""
        raise NotImplementedError

    async def add_email(
        self, request: RequestInfo, user_id: str, address: str, *, verified: bool = True, primary: bool = False,
        notify: bool = False,
    ) -> EmailAddress:  # fmt: skip
        """Add an email address to a user; emits ``user.updated`` (and ``email.created`` when notifying)."""
        address = checked_address(address)

        async def run(tx: Conn, out: Outbox) -> EmailAddress:
            user = await self._require_user(tx, user_id)
            if await emails.find(tx, address) is not None:
                raise identifier_exists()
            now = now_ms()
            email = EmailAddress(new_id("idn"), user_id, address, "verified" if verified else "unverified",
                                 "admin" if verified else "email_code", now, now)  # fmt: skip
            await emails.insert(tx, email)
            old_primary, old_primary_id = user.primary_email, user.primary_email_address_id
            make_primary = primary or user.primary_email_address_id is None
            updated = replace(
                user, email_addresses=(*user.email_addresses, email), updated_at=now,
                primary_email_address_id=email.id if make_primary else user.primary_email_address_id,
            )  # fmt: skip
            await users.save(tx, updated)
            out.add("user.updated", self.user_json(updated))
            if verified:
                await self.email_verified(tx, out, user_id, address)
            if make_primary and notify and old_primary:
                self._notify_primary_changed(out, updated, old_primary, old_primary_id)
            return email

        return await self.change(request, run)

    def _notify_primary_changed(self, out: Outbox, user: User, old: str, old_id: str | None) -> None:
        new = user.primary_email or ""
        out.add("email.created", {
            "object": "email", "id": new_id("ema"), "slug": "primary_email_address_changed",
            "from_email_name": "notifications", "reply_to_email_name": None, "to_email_address": old,
            "email_address_id": old_id, "user_id": user.id, "subject": "Your primary email address was changed",
            "body": f"<p>The primary email address of your account was changed to {new}.</p>",
            "body_plain": f"The primary email address of your account was changed to {new}.",
            "status": "queued", "data": {"new_email_address": new}, "delivered_by_clerk": False,
        })  # fmt: skip

    async def delete_email(self, request: RequestInfo, email_id: str) -> dict[str, Any]:
        """Remove an email address that is not its user's primary one; emits ``user.updated``."""

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            email = await emails.get(tx, email_id)
            if email is None:
                raise not_found("email address")
            user = await self._require_user(tx, email.user_id)
            if user.primary_email_address_id == email_id and len(user.email_addresses) > 1:
                raise IdentityError(422, "form_param_value_invalid", "Cannot delete the primary email address",
                                    "Make another email address primary before deleting this one.",
                                    {"param_name": "email_address_id"})  # fmt: skip
            await emails.delete(tx, email_id)
            rest = tuple(e for e in user.email_addresses if e.id != email_id)
            primary = user.primary_email_address_id if user.primary_email_address_id != email_id else None
            updated = replace(
                user, email_addresses=rest, primary_email_address_id=primary, updated_at=now_ms()
            )
            await users.save(tx, updated)
            out.add("user.updated", self.user_json(updated))
            return {"object": "email_address", "id": email_id, "deleted": True}

        return await self.change(request, run)

    async def change_email(self, request: RequestInfo, user: User, address: str) -> User:
        """Replace the user's primary email address: the new one becomes primary, the old one goes.

        Emits ``user.updated`` and an ``email.created`` notification to the old address.
        """
        address = checked_address(address)

        async def run(tx: Conn, out: Outbox) -> User:
            current = await self._require_user(tx, user.id)
            if await emails.find(tx, address) is not None:
                raise identifier_exists()
            now = now_ms()
            email = EmailAddress(new_id("idn"), user.id, address, "unverified", "email_code", now, now)
            await emails.insert(tx, email)
            old = next((e for e in current.email_addresses if e.id == current.primary_email_address_id), None)
            if old is not None:
                await emails.delete(tx, old.id)
            rest = tuple(e for e in current.email_addresses if old is None or e.id != old.id)
            updated = replace(
                current, email_addresses=(*rest, email), primary_email_address_id=email.id, updated_at=now
            )
            await users.save(tx, updated)
            out.add("user.updated", self.user_json(updated))
            if old is not None:
                self._notify_primary_changed(out, updated, old.email_address, old.id)
            return updated

        return await self.change(request, run)

    async def replace_emails(
        self,
        request: RequestInfo,
        user_id: str,
        address: str,
        *,
        reserved: bool = False,
        notify: bool = False,
    ) -> EmailAddress:
        """Replace every email address of a user with one primary address (verified, or unverified when
        ``reserved``); emits ``user.updated`` (and ``email.created`` to the old primary when notifying)."""
        address = checked_address(address)

        async def run(tx: Conn, out: Outbox) -> EmailAddress:
            user = await self._require_user(tx, user_id)
            taken = await emails.find(tx, address)
            if taken is not None and taken.user_id != user_id:
                raise identifier_exists()
            for e in user.email_addresses:
                await emails.delete(tx, e.id)
            now = now_ms()
            email = EmailAddress(new_id("idn"), user_id, address, "unverified" if reserved else "verified",
                                 "email_code" if reserved else "admin", now, now)  # fmt: skip
            await emails.insert(tx, email)
            updated = replace(
                user, email_addresses=(email,), primary_email_address_id=email.id, updated_at=now
            )
            await users.save(tx, updated)
            out.add("user.updated", self.user_json(updated))
            old = user.primary_email
            if notify and old and old != address:
                self._notify_primary_changed(out, updated, old, user.primary_email_address_id)
            return email

        return await self.change(request, run)
