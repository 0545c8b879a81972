"""The identity service: every change to users, email addresses and sessions, each with its events.

A change and its events commit in one transaction (the delivery outbox); workers are woken after.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from hookline import metrics
from hookline.config import Settings
from hookline.delivery import Wakeup
from hookline.identity import (
    catalog,
    emails,
    field_limits,
    lockout,
    passwords,
    redact,
    restrictions,
    sessions,
    users,
)
from hookline.identity.avatars import ImageUrls
from hookline.identity.email_changes import EmailAddresses, identifier_exists
from hookline.identity.errors import (
    IdentityError,
    SecondFactorRequired,
    invalid,
    not_found,
    password_compromised,
)
from hookline.identity.events import APP_UID, Outbox, RequestInfo
from hookline.identity.hashing import PasswordHashing
from hookline.identity.mail import NoMailer, Postman, mailer_from_env
from hookline.identity.password_checks import PasswordChecks
from hookline.identity.policy import Policy
from hookline.identity.redirects import normalized_origin
from hookline.identity.resources import EmailAddress, Session, User, now_ms, session_api, user_api
from hookline.identity.session_tokens import SessionTokens
from hookline.identity.throttle import Attempt, Throttle
from hookline.identity.tokens import Signer
from hookline.identity.user_hooks import UserHooks
from hookline.ids import new_id
from hookline.store.db import Conn
from hookline.store.errors import ConflictError, NotFoundError
from hookline.store.records import Application
from hookline.store.store import Store
from hookline.websafety import origin_of

T = TypeVar("T")
SECRET_KEY_SETTING = "identity_secret_key_sha256"
INSTANCE_SETTING = "identity_instance_id"


def _names(fields: dict[str, Any]) -> list[str]:
    return [str(fields[k]) for k in ("first_name", "last_name", "username") if fields.get(k)]


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def sign_in_refused() -> IdentityError:
    """The one answer for an unknown email address and a wrong password alike."""
    return IdentityError(
        422, "form_password_incorrect", "Invalid email address or password.",
        "The email address or the password is incorrect. Try again, or use another method.",
        {"param_name": "password"},
    )  # fmt: skip


@dataclass
class SignedIn:
    """The result of a sign-up or sign-in: the user, its new session, a session token and the client secret."""

    user: User
    session: Session
    token: str
    client_token: str  # ``{session_id}.{secret}``: the long-lived credential a client keeps in a cookie


class Identity(EmailAddresses, SessionTokens):
    """Users, email addresses and sessions, with Clerk's events. ``await Identity.start(rt)`` prepares it."""

    def __init__(
        self,
        store: Store,
        wakeup: Wakeup,
        instance_id: str,
        signer: Signer,
        secret_key_digest: str,
        policy: Policy,
    ) -> None:
        self.store = store
        self.wakeup = wakeup
        self.instance_id = instance_id
        self.signer = signer
        self.secret_key_digest = secret_key_digest
        self.throttle = Throttle(store.db, policy)
        self.hashing = PasswordHashing()
        self.passwords = PasswordChecks(self.throttle, self.hashing)
        self.policy = policy
        self.generated_secret_key: str | None = None
        self.postman = Postman(NoMailer())  # emails besides their events (identity/mail.py)
        self.base_url = ""  # where this server's pages are reached (links in emails)
        self.images = ImageUrls("", instance_id)  # users' picture URLs (identity/avatars.py)
        # origins whose pages may sign users in and hold their tokens (``azp``): this server's and configured ones
        self.authorized_parties: frozenset[str] = frozenset()
        # origins hosted pages may redirect to (this server's and HOOKLINE_ALLOWED_REDIRECT_ORIGINS)
        self.redirect_origins: frozenset[str] = frozenset()
        self._delivery_ready = False
        # what other parts (organizations) do inside a change to a user's account (identity/user_hooks.py)
        self.user_hooks: list[UserHooks] = []

    @property
    def policy(self) -> Policy:
        """The sign-in and session policy (the throttle follows a change of it)."""
        return self._policy

    @policy.setter
    def policy(self, policy: Policy) -> None:
        self._policy = policy
        self.throttle.policy = policy

    def close(self) -> None:
        """Stop the hashing threads."""
        self.hashing.close()

    async def ensure_delivery(self, *, again: bool = False) -> None:
        """Create the ``identity`` application and the catalog's event types if missing.

        Done on the first change (or ``POST /v1/webhooks/svix``) rather than at start, so a server that never
        uses identity shows no application it did not ask for. ``again`` checks even if this was done before.
        """
        if self._delivery_ready and not again:
            return
        if await self.store.get_app(APP_UID) is None:
            now = time.time()
            with contextlib.suppress(ConflictError):  # another process created it first
                await self.store.create_app(
                    Application(
                        id=new_id("app"), name="Identity", uid=APP_UID, created_at=now, updated_at=now
                    )
                )
        await catalog.register(self.store)
        self._delivery_ready = True

    @classmethod
    async def start(
        cls, settings: Settings, store: Store, wakeup: Wakeup, policy: Policy | None = None
    ) -> Identity:
        """Load (or make, on the first start) the instance id, the signing key and the secret key."""
        redact.install()
        instance_id, _ = await store.setting_or_default(INSTANCE_SETTING, new_id("ins"))
        signer = await Signer.load(store, instance_id, settings.base_url)
        generated = None
        if settings.secret_key:
            digest = _digest(settings.secret_key)
        else:
            candidate = "sk_test_" + secrets.token_urlsafe(32)
            digest, created = await store.setting_or_default(SECRET_KEY_SETTING, _digest(candidate))
            generated = candidate if created else None
        identity = cls(store, wakeup, instance_id, signer, digest, policy or Policy.from_env())
        identity.generated_secret_key = generated
        identity.postman = Postman(mailer_from_env())
        identity.base_url = settings.base_url.rstrip("/")
        identity.images = ImageUrls(identity.base_url, instance_id)
        identity.authorized_parties = frozenset({origin_of(settings.base_url), *settings.authorized_parties})
        identity.redirect_origins = frozenset(
            o for o in map(normalized_origin, (settings.base_url, *settings.allowed_redirect_origins)) if o
        )
        return identity

    def secret_key_ok(self, key: str) -> bool:
        """Constant-time check of a ``/v1`` bearer secret key."""
        return hmac.compare_digest(_digest(key), self.secret_key_digest)

    # -- the transactional core -------------------------------------------------------------------
    async def change(self, request: RequestInfo, fn: Callable[[Conn, Outbox], Awaitable[T]]) -> T:
        """Run ``fn`` in a transaction with an outbox; its events commit with it, then workers are woken."""
        await self.ensure_delivery()
        outbox = Outbox(self.store, self.instance_id, request)
        try:
            result = await self._commit(fn, outbox)
        except NotFoundError:
            # the identity application was deleted through the Svix API: make it again and retry once
            self._delivery_ready = False
            await self.ensure_delivery()
            outbox = Outbox(self.store, self.instance_id, request)
            result = await self._commit(fn, outbox)
        if outbox.events:
            await self.wakeup.announce()
        return result

    async def _commit(self, fn: Callable[[Conn, Outbox], Awaitable[T]], outbox: Outbox) -> T:
        try:
            async with self.store.db.transaction() as tx:
                result = await fn(tx, outbox)
                await outbox.flush(tx)
        except ConflictError:
            raise identifier_exists() from None
        return result

    async def _require_user(self, c: Conn, user_id: str) -> User:
        user = await users.get(c, user_id)
        if user is None:
            raise not_found("user")
        return user

    def user_json(self, user: User) -> dict[str, Any]:
        """A user as the Backend API returns it."""
        return user_api(user, max_attempts=self.policy.max_attempts, images=self.images)

    def session_json(self, session: Session, user: User | None = None) -> dict[str, Any]:
        """A session as the Backend API returns it (events embed the user)."""
        return session_api(session, user, self.policy.max_attempts, self.images)

    async def revoke_sessions(
        self, tx: Conn, out: Outbox, user: User, at: int, keep: str | None = None
    ) -> None:
        """Revoke every active session of ``user`` but ``keep``, each with a ``session.revoked`` event."""
        for s in await sessions.active_for_user(tx, user.id, at):
            if s.id != keep:
                await sessions.set_status(tx, s.id, "revoked", at)
                out.add(
                    "session.revoked", self.session_json(replace(s, status="revoked", updated_at=at), user)
                )

    async def email_verified(self, tx: Conn, out: Outbox, user_id: str, address: str) -> None:
        """Run the ``user_hooks`` for an address verified in this transaction."""
        for hooks in self.user_hooks:
            await hooks.email_verified(tx, out, user_id, address)

    # -- reads ------------------------------------------------------------------------------------
    async def get_user(self, user_id: str) -> User:
        """One user, or 404."""
        async with self.store.db.reader() as c:
            return await self._require_user(c, user_id)

    async def list_users(
        self, f: users.UserQuery, order_by: str | None, limit: int, offset: int
    ) -> list[User]:
        """A page of users matching a filter."""
        async with self.store.db.reader() as c:
            return await users.search(c, f, order_by, limit, offset)

    async def count_users(self, f: users.UserQuery) -> int:
        """How many users match a filter."""
        async with self.store.db.reader() as c:
            return await users.count(c, f)

    async def get_email(self, email_id: str) -> EmailAddress:
        """One email address, or 404."""
        async with self.store.db.reader() as c:
            email = await emails.get(c, email_id)
        if email is None:
            raise not_found("email address")
        return email

    async def get_session(self, session_id: str) -> Session:
        """One session, or 404."""
        async with self.store.db.reader() as c:
            s = await sessions.get(c, session_id)
        if s is None:
            raise not_found("session")
        return s

    async def list_sessions(self, **filters: Any) -> tuple[list[Session], int]:
        """A page of sessions filtered by user, client and status, newest first, and the total that match."""
        async with self.store.db.reader() as c:
            return await sessions.list_sessions(c, at_ms=now_ms(), **filters)

    # -- users ------------------------------------------------------------------------------------
    async def create_user(
        self,
        request: RequestInfo,
        *,
        email_addresses: list[str],
        password: str | None = None,
        skip_password_checks: bool = False,
        verification_strategy: str = "admin",
        fields: dict[str, Any] | None = None,
    ) -> User:
        """Create a user with its email addresses (the first is primary); emits ``user.created``."""
        fields = dict(fields or {})
        field_limits.check_fields(fields)
        addresses = [emails.normalize(a) for a in email_addresses]
        for i, a in enumerate(addresses):
            field_limits.check_email(a)
            if not emails.looks_valid(a):
                raise invalid(
                    "email_address", f"{a!r} is not a valid email address", "form_param_format_invalid"
                )
            if a in addresses[:i]:
                raise identifier_exists()
        if password is not None and not skip_password_checks:
            passwords.check_password(password, user_inputs=[*addresses, *_names(fields)])
        password_hash = await self.hashing.hash(password) if password is not None else None

        async def run(tx: Conn, out: Outbox) -> User:
            for a in addresses:
                if await emails.find(tx, a) is not None:
                    raise identifier_exists()
            if fields.get("username") and (
                await users.search(tx, users.UserQuery(username=(fields["username"],)), None, 1, 0)
            ):
                raise IdentityError(422, "form_identifier_exists", "That username is taken. Please try another.",
                                    "That username is taken. Please try another.", {"param_name": "username"})  # fmt: skip
            now = now_ms()
            user_id = new_id("user")
            mails = tuple(
                EmailAddress(new_id("idn"), user_id, a, "verified" if verification_strategy == "admin" else "unverified",
                             verification_strategy, now, now)
                for a in addresses
            )  # fmt: skip
            user = User(
                id=user_id, external_id=fields.get("external_id"), username=fields.get("username"),
                first_name=fields.get("first_name"), last_name=fields.get("last_name"), locale=fields.get("locale"),
                primary_email_address_id=mails[0].id if mails else None, password_hash=password_hash,
                password_last_updated_at=now if password_hash else None,
                public_metadata=fields.get("public_metadata") or {}, private_metadata=fields.get("private_metadata") or {},
                unsafe_metadata=fields.get("unsafe_metadata") or {}, banned=bool(fields.get("banned")),
                locked=bool(fields.get("locked")), lockout_until=None, failed_attempts=0,
                delete_self_enabled=fields.get("delete_self_enabled", True) is not False,
                create_organization_enabled=fields.get("create_organization_enabled", True) is not False,
                legal_accepted_at=None, last_sign_in_at=None, last_active_at=None, created_at=now, updated_at=now,
                email_addresses=mails,
            )  # fmt: skip
            await users.insert(tx, user)
            for m in mails:
                await emails.insert(tx, m)
            out.add("user.created", self.user_json(user))
            for m in mails:
                if m.verification_status == "verified":
                    await self.email_verified(tx, out, user_id, m.email_address)
            return user

        return await self.change(request, run)

    async def update_user(
        self, request: RequestInfo, user_id: str, body: dict[str, Any], *, keep_session_id: str | None = None
    ) -> User:
        """Change a user's fields (only those present in ``body``); emits ``user.updated``.

        With ``sign_out_of_other_sessions``, a new password revokes the user's sessions but
        ``keep_session_id`` (the one changing it).
        """
        field_limits.check_fields(body)
        password = body.get("password")
        if password is not None and not body.get("skip_password_checks"):
            passwords.check_password(password)
        password_hash = await self.hashing.hash(password) if password is not None else None

        async def run(tx: Conn, out: Outbox) -> User:
            user = await self._require_user(tx, user_id)
            changes: dict[str, Any] = {}
            for key in ("external_id", "first_name", "last_name", "locale", "username"):
                if key in body:
                    changes[key] = body[key]
            for key in ("delete_self_enabled", "create_organization_enabled"):
                if body.get(key) is not None:
                    changes[key] = bool(body[key])
            for key in ("public_metadata", "private_metadata", "unsafe_metadata"):
                if isinstance(body.get(key), dict):
                    changes[key] = body[key]
            if body.get("primary_email_address_id"):
                target = body["primary_email_address_id"]
                if target not in {e.id for e in user.email_addresses}:
                    raise invalid("primary_email_address_id", "primary_email_address_id must be one of the user's "
                                  "email addresses", "form_param_value_invalid")  # fmt: skip
                changes["primary_email_address_id"] = target
            now = now_ms()
            if password_hash is not None:
                changes["password_hash"] = password_hash
                changes["password_last_updated_at"] = now
                changes["password_compromised_at"] = None
            updated = replace(user, **changes, updated_at=now)
            await users.save(tx, updated)
            if password_hash is not None and body.get("sign_out_of_other_sessions"):
                await self.revoke_sessions(tx, out, updated, now, keep=keep_session_id)
            out.add("user.updated", self.user_json(updated))
            old_primary = next(
                (e for e in user.email_addresses if e.id == user.primary_email_address_id), None
            )
            primary_changed = updated.primary_email_address_id != user.primary_email_address_id
            if (
                primary_changed
                and old_primary is not None
                and body.get("notify_primary_email_address_changed")
            ):
                self._notify_primary_changed(out, updated, old_primary.email_address, old_primary.id)
            return updated

        return await self.change(request, run)

    async def update_metadata(
        self, request: RequestInfo, user_id: str, body: dict[str, Any], merge: bool
    ) -> User:
        """Merge (deep; ``null`` removes a key) or replace the user's metadata; emits ``user.updated``."""

        def deep_merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
            out = dict(old)
            for k, v in new.items():
                if v is None:
                    out.pop(k, None)
                elif isinstance(v, dict) and isinstance(out.get(k), dict):
                    out[k] = deep_merge(out[k], v)
                else:
                    out[k] = v
            return out

        async def run(tx: Conn, out: Outbox) -> User:
            user = await self._require_user(tx, user_id)
            changes: dict[str, Any] = {}
            for key in ("public_metadata", "private_metadata", "unsafe_metadata"):
                if key in body and isinstance(body[key], dict | type(None)):
                    new = body[key] or {}
                    changes[key] = deep_merge(getattr(user, key), new) if merge else new
            field_limits.check_fields(changes)
            updated = replace(user, **changes, updated_at=now_ms())
            await users.save(tx, updated)
            out.add("user.updated", self.user_json(updated))
            return updated

        return await self.change(request, run)

    async def delete_user(self, request: RequestInfo, user_id: str) -> dict[str, Any]:
        """Delete a user; its active sessions are removed (``session.removed``), then ``user.deleted``."""

        async def run(tx: Conn, out: Outbox) -> dict[str, Any]:
            user = await self._require_user(tx, user_id)
            now = now_ms()
            for s in await sessions.active_for_user(tx, user_id, now):
                out.add(
                    "session.removed", self.session_json(replace(s, status="removed", updated_at=now), user)
                )
            for hooks in self.user_hooks:
                await hooks.user_deleting(tx, out, user_id)
            await users.delete(tx, user_id)
            stub: dict[str, Any] = {"object": "user", "id": user_id, "deleted": True}
            if user.external_id:
                stub["external_id"] = user.external_id
            out.add("user.deleted", stub)
            return stub

        return await self.change(request, run)

    async def set_banned(self, request: RequestInfo, user_id: str, banned: bool) -> User:
        """Ban (revoking every active session) or unban a user; emits ``user.updated``."""

        async def run(tx: Conn, out: Outbox) -> User:
            user = await self._require_user(tx, user_id)
            now = now_ms()
            updated = replace(user, banned=banned, updated_at=now)
            await users.save(tx, updated)
            if banned:
                await self.revoke_sessions(tx, out, updated, now)
            out.add("user.updated", self.user_json(updated))
            return updated

        return await self.change(request, run)

    async def set_locked(self, request: RequestInfo, user_id: str, locked: bool) -> User:
        """Lock a user out of signing in, or unlock (which also clears failed attempts); emits ``user.updated``."""

        async def run(tx: Conn, out: Outbox) -> User:
            user = await self._require_user(tx, user_id)
            updated = replace(user, locked=locked, lockout_until=None, failed_attempts=0 if not locked else
                              user.failed_attempts, updated_at=now_ms())  # fmt: skip
            await users.save(tx, updated)
            out.add("user.updated", self.user_json(updated))
            return updated

        return await self.change(request, run)

    async def check_password(self, request: RequestInfo, user_id: str, password: str) -> bool:
        """True if ``password`` is the user's (404 for an unknown user); throttled like a sign-in."""
        user = await self.get_user(user_id)
        return await self.passwords.check(self.attempt(request, user), user.password_hash, password)

    def attempt(self, request: RequestInfo, user: User | str) -> Attempt:
        """The throttle's key of a password check of ``user`` (or of an identifier as typed)."""
        account = user if isinstance(user, str) else (user.primary_email or user.id)
        return Attempt(emails.normalize(account), request.client_ip)

    # -- sessions ---------------------------------------------------------------------------------
    async def end_session(self, request: RequestInfo, session_id: str, status: str) -> Session:
        """Mark an active session ``revoked`` or ``ended``; emits ``session.revoked`` / ``session.ended``."""

        async def run(tx: Conn, out: Outbox) -> Session:
            s = await sessions.get(tx, session_id)
            if s is None:
                raise not_found("session")
            if s.status != "active":
                return s
            now = now_ms()
            await sessions.set_status(tx, session_id, status, now)
            ended = replace(s, status=status, updated_at=now)
            user = await users.get(tx, s.user_id)
            out.add(f"session.{status}", self.session_json(ended, user))
            return ended

        return await self.change(request, run)

    async def _open_session(
        self, tx: Conn, out: Outbox, user: User, request: RequestInfo
    ) -> tuple[Session, str]:
        now = now_ms()
        secret = secrets.token_urlsafe(32)
        s = Session(
            id=new_id("sess"), user_id=user.id, client_id=new_id("client"), secret_hash=sessions.secret_digest(secret),
            status="active", client_ip=request.client_ip or None, user_agent=request.user_agent or None,
            last_active_at=now, expire_at=now + self.policy.session_seconds * 1000,
            abandon_at=now + self.policy.abandon_seconds * 1000, created_at=now, updated_at=now,
        )  # fmt: skip
        await sessions.insert(tx, s)
        out.add("session.created", self.session_json(s, user))
        return s, f"{s.id}.{secret}"

    async def create_session(self, request: RequestInfo, user_id: str) -> SignedIn:
        """Open a session for a user without a password (the Backend API's ``POST /v1/sessions``)."""

        async def run(tx: Conn, out: Outbox) -> SignedIn:
            user = await self._require_user(tx, user_id)
            s, client_token = await self._open_session(tx, out, user, request)
            return SignedIn(user, s, self.signer.issue(user.id, s.id), client_token)

        return await self.change(request, run)

    async def sign_up(
        self, request: RequestInfo, email_address: str, password: str, first_name: str | None = None,
        last_name: str | None = None,
    ) -> SignedIn:  # fmt: skip
        """Create a user and sign them in: ``user.created`` then ``session.created``; limited per address,
        and refused for an address the allowlist or blocklist keeps out (identity/restrictions.py)."""
        async with self.store.db.reader() as c:
            await restrictions.check_sign_up(c, email_address)
        await self.throttle.sign_up(request.client_ip)
        user = await self.create_user(
            request, email_addresses=[email_address], password=password, verification_strategy="email_code",
            fields={"first_name": first_name or None, "last_name": last_name or None},
        )  # fmt: skip
        return await self.create_session(request, user.id)

    async def sign_in(
        self, request: RequestInfo, email_address: str, password: str, azp: str | None = None
    ) -> SignedIn:
        """Check the password and open a session; failures are rate limited and lock the account when repeated.

        Every failure (unknown address, wrong password, locked or banned account) gets the same answer
        after the same work: a hash is always checked, and a lock or ban is only looked at after it.
        """
        async with self.store.db.reader() as c:
            user = await users.find_by_email(c, email_address)
        ok = await self.passwords.check(
            self.attempt(request, email_address), user.password_hash if user else None, password
        )
        if not ok or user is None or user.banned or user.locked_now(now_ms(), self.policy.max_attempts):
            await self._record_failure(request, user.id if user is not None and not ok else "")
            metrics.SIGN_INS.labels("refused").inc()
            raise sign_in_refused()
        if user.password_compromised_at is not None:  # the right password, but it must be reset first
            raise password_compromised()
        if user.two_factor_enabled:  # identity/mfa.py holds the sign-in until the second factor comes
            raise SecondFactorRequired(user.id, azp)
        return await self.complete_sign_in(request, user.id, azp)

    async def complete_sign_in(self, request: RequestInfo, user_id: str, azp: str | None = None) -> SignedIn:
        """Open the session of a sign-in whose factors were all checked; clears failed attempts."""

        async def run(tx: Conn, out: Outbox) -> SignedIn:
            current = await self._require_user(tx, user_id)
            at = now_ms()
            if current.banned or current.locked_now(at, self.policy.max_attempts):
                raise sign_in_refused()  # banned or locked while the second factor was awaited
            current = replace(current, failed_attempts=0, lockout_until=None,
                              locked=current.locked and current.lockout_until is None, last_sign_in_at=at,
                              last_active_at=at)  # fmt: skip
            await users.save(tx, current)
            s, client_token = await self._open_session(tx, out, current, request)
            return SignedIn(current, s, self.signer.issue(current.id, s.id, azp), client_token)

        signed_in = await self.change(request, run)
        metrics.SIGN_INS.labels("succeeded").inc()
        return signed_in

    async def _record_failure(self, request: RequestInfo, user_id: str) -> None:
        """Count a wrong password (see ``lockout``); called with no user too (an unknown address, a lock or
        a ban), so that every failure does the same database work and takes the same time."""
        await self.change(request, lockout.count_failure(user_id, self.policy, self.user_json))
