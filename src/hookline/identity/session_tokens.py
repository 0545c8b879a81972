"""Session tokens of the identity service: issue a fresh one, and check one (or a client's credential).

Mixed into ``Identity``, which provides the store, the signer and the session lookups.
"""

from __future__ import annotations

from typing import Any

from hookline.identity import organization_claims, sessions, users
from hookline.identity.errors import IdentityError
from hookline.identity.resources import Session, User, now_ms
from hookline.identity.tokens import TOKEN_SECONDS, Signer
from hookline.store.store import Store


class SessionTokens:
    """Token operations; ``Identity`` provides ``store``, ``signer``, ``authorized_parties``, ``get_session``
    and ``session_json``."""

    store: Store
    signer: Signer
    authorized_parties: frozenset[str]

    async def get_session(self, session_id: str) -> Session:
        """One session, or a 404 (``Identity.get_session``)."""
        raise NotImplementedError

    def session_json(self, session: Session, user: User | None = None) -> dict[str, Any]:
        """A session as the Backend API returns it (``Identity.session_json``)."""
        raise NotImplementedError

    async def refresh_token(
        self, session_id: str, azp: str | None = None, lifetime: int | None = None
    ) -> str:
        """A fresh session token (valid ``lifetime`` seconds, 60 by default) with the active organization's
        claims, only while the session is active (revoked and ended sessions get none)."""
        s = await self.get_session(session_id)
        at = now_ms()
        if not s.active_at(at):
            raise IdentityError(401, "session_inactive", "Session is no longer active",
                                f"The session is {self.session_json(s)['status']}.")  # fmt: skip
        async with self.store.db.transaction() as tx:
            await sessions.touch(tx, s.id, at)
            org = await organization_claims.session_claims(tx, s.id, s.user_id)
        return self.signer.issue(s.user_id, s.id, azp, lifetime or TOKEN_SECONDS, act=s.actor, extra=org)

    async def verify_token(self, token: str, origin: str | None = None) -> tuple[Session, User]:
        """Check a session token (signature, times, issuer, ``azp``) and that its session is still active.

        A token made for one authorized party is refused when presented from another origin.
        """
        claims = self.signer.verify(token, self.authorized_parties)
        if claims.azp and origin and origin.lower() != claims.azp.lower():
            raise IdentityError(401, "token_invalid", "Invalid session token",
                                "The session token was issued to another origin (azp).")  # fmt: skip
        return await self._active(claims.sid, claims.sub)

    async def verify_client_token(self, client_token: str) -> tuple[Session, User]:
        """Check a client's ``{session_id}.{secret}`` credential; 401 unless its session is active."""
        sid, _, secret = client_token.partition(".")
        async with self.store.db.reader() as c:
            s = await sessions.get(c, sid)
        if s is None or not secret or not sessions.secret_matches(s, secret):
            raise IdentityError(401, "authentication_invalid", "Not signed in", "Sign in to continue.")
        return await self._active(sid, s.user_id)

    async def _active(self, sid: str, user_id: str) -> tuple[Session, User]:
        async with self.store.db.reader() as c:
            s = await sessions.get(c, sid)
            user = await users.get(c, user_id)
        if s is None or user is None or s.user_id != user_id:
            raise IdentityError(
                401, "session_inactive", "Session is no longer active", "The session does not exist."
            )
        if not s.active_at(now_ms()):
            raise IdentityError(401, "session_inactive", "Session is no longer active",
                                f"The session is {self.session_json(s)['status']}.")  # fmt: skip
        return s, user
