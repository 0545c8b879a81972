"""The OAuth 2.0 / OpenID Connect provider's rules, on Authlib's server side, without blocking the loop.

Authlib's grants are synchronous and call back for clients, codes and tokens. Each request therefore
runs in three steps: ``load`` reads everything the request can touch into a ``Snapshot`` (async), Authlib
decides on those in-memory objects (sync, no I/O), and ``commit`` writes what it asked for in one
transaction (async). Single use of codes and refresh tokens is decided there, by a conditional
UPDATE, so two racing exchanges cannot both win; a replayed code or refresh token revokes its grant.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from authlib.oauth2 import AuthorizationServer, OAuth2Request, ResourceProtector
from authlib.oauth2.rfc6749 import InvalidRequestError, grants
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oidc.core import OpenIDCode
from joserfc.jwk import RSAKey

from hookline.identity import users
from hookline.identity.oauth_models import (
    TOKEN_AUTH_METHODS,
    Client,
    Clients,
    Code,
    Token,
    same_digest,
    user_claims,
)
from hookline.identity.resources import User, now_ms
from hookline.identity.service import Identity
from hookline.ids import new_id
from hookline.store import oauth as db
from hookline.store import organization_members as members
from hookline.store import organizations as orgs
from hookline.store.db import Conn
from hookline.store.oauth import OAuthCode, OAuthToken

CODE_SECONDS = 600  # RFC 6749 §4.1.2: codes expire shortly; ten minutes at most
ACCESS_SECONDS = 3600
REFRESH_SECONDS = 30 * 24 * 3600
ID_TOKEN_SECONDS = 3600
ORG_SCOPE = "user:org:read"  # Clerk's scope for the organization a client acts for


@dataclass(frozen=True)
class OrganizationClaim:
    """The organization a grant acts for, as its claims name it."""

    id: str
    name: str
    slug: str


@dataclass
class Snapshot:
    """What one request may read (loaded before Authlib runs) and what it asks to write (applied after)."""

    clients: Clients = field(default_factory=Clients)
    users: dict[str, User] = field(default_factory=dict)
    code: OAuthCode | None = None
    by_access: OAuthToken | None = None
    by_refresh: OAuthToken | None = None
    nonce_used: bool = False
    auth_time: int = 0  # when the signed-in user signed in (ms)
    codes: list[OAuthCode] = field(default_factory=list)
    tokens: list[OAuthToken] = field(default_factory=list)
    used_codes: list[str] = field(default_factory=list)
    used_refresh: list[str] = field(default_factory=list)
    revoked_grants: list[str] = field(default_factory=list)
    replayed_grant: str | None = None  # a used code or rotated refresh token was presented again
    active_organization_id: str | None = None  # of the authorizing session (kept with scope user:org:read)
    # the organizations the loaded code and tokens act for, while their user is still a member
    organizations: dict[str, OrganizationClaim] = field(default_factory=dict)

    def org_claims(self, organization_id: str | None, scope: str) -> dict[str, Any]:
        """Clerk's ``org_id``, ``org_name`` and ``org_slug`` for a grant with scope ``user:org:read``."""
        found = self.organizations.get(organization_id or "")
        if ORG_SCOPE not in scope.split() or found is None:
            return {}
        return {"org_id": found.id, "org_name": found.name, "org_slug": found.slug}

    def user(self, user_id: str) -> User | None:
        """A loaded user who may still get tokens (not banned)."""
        u = self.users.get(user_id)
        return u if u is not None and not u.banned else None

    def token(self, row: OAuthToken | None, refresh: bool) -> Token | None:
        """The loaded token ``row`` as Authlib's token (found by its refresh token if ``refresh``)."""
        if row is None:
            return None
        return Token(row, self.clients.get_app(row.application_id), self.users.get(row.user_id), refresh)


async def load(
    ident: Identity,
    *,
    client_ids: list[str | None],
    code: str | None = None,
    refresh: str | None = None,
    access: str | None = None,
    nonce: str | None = None,
) -> Snapshot:
    """Read what a request can touch: its clients, the code or tokens it presents, and their users."""
    snap = Snapshot()
    async with ident.store.db.reader() as c:
        # an id no database could hold (a NUL byte, control characters) names no client
        for client_id in dict.fromkeys(x for x in client_ids if x and x.isprintable() and len(x) <= 256):
            app = await db.app_by_client_id(c, client_id)
            if app is not None:
                snap.clients[client_id] = Client(app)
        if code:
            snap.code = await db.get_code(c, db.digest(code))
        if refresh:
            snap.by_refresh = await db.token_by_refresh(c, db.digest(refresh))
        if access:
            snap.by_access = await db.token_by_access(c, db.digest(access))
        for row in (snap.by_access, snap.by_refresh):
            if row is not None and snap.clients.get_app(row.application_id) is None:
                app = await db.get_app(c, row.application_id)
                if app is not None:
                    snap.clients[app.client_id] = Client(app)
        for user_id in {r.user_id for r in (snap.code, snap.by_access, snap.by_refresh) if r is not None}:
            await _load_user(c, snap, user_id)
        for r in (snap.code, snap.by_access, snap.by_refresh):
            if r is not None and r.organization_id and r.organization_id not in snap.organizations:
                await _load_organization(c, snap, r.organization_id, r.user_id)
        if nonce and len(snap.clients) == 1:
            snap.nonce_used = await db.nonce_used(c, next(iter(snap.clients.values())).app.id, nonce)
    return snap


async def _load_user(c: Conn, snap: Snapshot, user_id: str) -> None:
    user = await users.get(c, user_id)
    if user is not None:
        snap.users[user.id] = user


async def _load_organization(c: Conn, snap: Snapshot, organization_id: str, user_id: str) -> None:
    # a user who has left the organization since the consent no longer acts for it
    o = await orgs.get(c, organization_id)
    if o is not None and o.id == organization_id and await members.get_membership(c, o.id, user_id):
        snap.organizations[o.id] = OrganizationClaim(o.id, o.name, o.slug)


class Lost(Exception):
    """Another request used the same code or refresh token first."""


async def commit(ident: Identity, snap: Snapshot) -> None:
    """Write what Authlib asked for, in one transaction; ``Lost`` (and nothing written) if a code or
    refresh token was used by another request meanwhile."""
    if not (snap.codes or snap.tokens or snap.used_codes or snap.used_refresh or snap.revoked_grants):
        return
    at = now_ms()
    async with ident.store.db.transaction() as tx:
        for digest in snap.used_codes:
            if not await db.use_code(tx, digest, at):
                raise Lost
        for token_id in snap.used_refresh:
            if not await db.use_refresh(tx, token_id, at):
                raise Lost
        for code in snap.codes:
            await db.insert_code(tx, code)
        for token in snap.tokens:
            await db.insert_token(tx, token)
        for grant in snap.revoked_grants:
            await db.revoke_grant(tx, grant, at)
        if snap.codes:
            await db.drop_expired_codes(tx, at - CODE_SECONDS * 1000)


async def revoke_replayed(ident: Identity, snap: Snapshot) -> None:
    """RFC 6749 §4.1.2 / RFC 9700 §4.14: a code or refresh token presented twice revokes its grant."""
    if snap.replayed_grant:
        async with ident.store.db.transaction() as tx:
            await db.revoke_grant(tx, snap.replayed_grant, now_ms())


# -- Authlib's pieces, bound to one snapshot -------------------------------------------------------
class _CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    server: Server

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        self.server.snap.codes.append(OAuthCode(
            code_sha256=db.digest(code), application_id=request.client.app.id, user_id=request.user.id,
            redirect_uri=data.get("redirect_uri"), scope=request.scope or "", nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"), code_challenge_method=data.get("code_challenge_method"),
            auth_time=self.server.snap.auth_time, expires_at=now_ms() + CODE_SECONDS * 1000, used_at=None,
            organization_id=self.server.snap.active_organization_id if ORG_SCOPE in (request.scope or "").split()
            else None,
        ))  # fmt: skip

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        row = self.server.snap.code
        if row is None or not same_digest(row.code_sha256, code) or row.application_id != client.app.id:
            return None
        if row.used_at is not None:
            self.server.snap.replayed_grant = row.code_sha256
            return None
        return Code(row) if row.expires_at > now_ms() else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        self.server.snap.used_codes.append(authorization_code.row.code_sha256)

    def authenticate_user(self, authorization_code: Code) -> User | None:
        return self.server.snap.user(authorization_code.row.user_id)


class _RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # refresh tokens rotate: each is good for one use
    server: Server

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        snap = self.server.snap
        token = snap.token(snap.by_refresh, refresh=True)
        if token is None or not same_digest(token.row.refresh_token_sha256, refresh_token):
            return None
        if token.row.refreshed_at is not None and token.row.revoked_at is None:
            snap.replayed_grant = token.row.grant_id
        return None if token.is_expired() or token.is_revoked() else token

    def authenticate_user(self, refresh_token: Token) -> User | None:
        return self.server.snap.user(refresh_token.row.user_id)

    def revoke_old_credential(self, refresh_token: Token) -> None:
        self.server.snap.used_refresh.append(refresh_token.row.id)


class _PKCE(CodeChallenge):
    """PKCE with S256 only, required for public clients and for applications that ask for it."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        app = grant.request.client.app
        if (app.public or app.pkce_required) and not data.get("code_challenge"):
            raise InvalidRequestError(
                "This client must use PKCE: send code_challenge with code_challenge_method=S256."
            )
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is supported.")
        super().validate_code_challenge(grant, redirect_uri)


class _OpenID(OpenIDCode):
    def __init__(self, server: Server) -> None:
        super().__init__(require_nonce=False)
        self.server = server

    def resolve_client_private_key(self, client: Client) -> RSAKey:
        return self.server.key

    def get_client_algorithm(self, client: Client) -> str:
        return "RS256"

    def get_encode_header(self, client: Client) -> dict[str, str]:
        return {"alg": "RS256", "kid": self.server.kid, "typ": "JWT"}

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": self.server.issuer,
            "aud": [client.app.client_id],
            "iat": now,
            "exp": now + ID_TOKEN_SECONDS,
        }

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return self.server.snap.nonce_used

    def generate_user_info(self, user: User, scope: str) -> dict[str, Any]:
        # ID tokens come from the authorization code only: the organization is the code's
        code = self.server.snap.code
        return {
            **user_claims(user, scope),
            **self.server.snap.org_claims(code.organization_id if code else None, scope),
        }


class _Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
    server: Server

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        return self.server.find_token(token_string, token_type_hint)

    def check_permission(self, token: Token, client: Client, request: OAuth2Request) -> bool:
        # a token of another client, or of a user banned since, reads as inactive
        return token.check_client(client) and self.server.snap.user(token.row.user_id) is not None

    def introspect_token(self, token: Token) -> dict[str, Any]:
        row = token.row
        client = token.get_client()
        return {
            "active": True, "client_id": client.app.client_id if client else None, "scope": row.scope,
            "sub": row.user_id, "iss": self.server.issuer, "token_type": "refresh_token" if token.refresh else "access_token",
            "iat": row.issued_at // 1000, "exp": (row.refresh_expires_at or 0) // 1000 if token.refresh else row.expires_at // 1000,
            **{k: v for k, v in self.server.snap.org_claims(row.organization_id, row.scope).items() if k == "org_id"},
        }  # fmt: skip


class _Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = TOKEN_AUTH_METHODS
    server: Server

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        return self.server.find_token(token_string, token_type_hint)

    def revoke_token(self, token: Token, request: OAuth2Request) -> None:
        # RFC 7009 §2.1: revoking a refresh token (or, here, an access token) ends the whole grant
        self.server.snap.revoked_grants.append(token.row.grant_id)


class _Bearer(BearerTokenValidator):
    def __init__(self, server: Server) -> None:
        super().__init__()
        self.server = server

    def authenticate_token(self, token_string: str) -> Token | None:
        snap = self.server.snap
        token = snap.token(snap.by_access, refresh=False)
        if token is None or not same_digest(token.row.access_token_sha256, token_string):
            return None
        if snap.user(token.row.user_id) is None:
            return None
        return token


class Server(AuthorizationServer):
    """Authlib's authorization server over one request's snapshot (made per request; holds no I/O)."""

    def __init__(self, snap: Snapshot, key: RSAKey, kid: str, issuer: str) -> None:
        super().__init__(scopes_supported=None)
        self.snap = snap
        self.key = key
        self.kid = kid
        self.issuer = issuer
        self.register_token_generator("default", BearerTokenGenerator(
            lambda **_: secrets.token_urlsafe(32), lambda **_: secrets.token_urlsafe(40), self._expires_in,
        ))  # fmt: skip
        self.register_grant(_CodeGrant, [_PKCE(required=True), _OpenID(self)])
        self.register_grant(_RefreshGrant)
        self.register_endpoint(_Introspection)
        self.register_endpoint(_Revocation)
        self.protector = ResourceProtector()
        self.protector.register_token_validator(_Bearer(self))

    @staticmethod
    def _expires_in(client: Client, grant_type: str) -> int:
        return ACCESS_SECONDS

    def query_client(self, client_id: str) -> Client | None:
        return self.snap.clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        now = now_ms()
        previous: Token | None = request.refresh_token
        code: Code | None = request.authorization_code
        if previous is not None:
            grant_id, auth_time, org_id = (
                previous.row.grant_id,
                previous.row.auth_time,
                previous.row.organization_id,
            )
        else:
            assert code is not None
            grant_id, auth_time, org_id = code.row.code_sha256, code.row.auth_time, code.row.organization_id
        refresh = token.get("refresh_token")
        self.snap.tokens.append(OAuthToken(
            id=new_id("oat"), access_token_sha256=db.digest(token["access_token"]),
            refresh_token_sha256=db.digest(refresh) if refresh else None, application_id=request.client.app.id,
            user_id=request.user.id, grant_id=grant_id, scope=token.get("scope") or "", auth_time=auth_time,
            issued_at=now, expires_at=now + int(token["expires_in"]) * 1000,
            refresh_expires_at=now + REFRESH_SECONDS * 1000 if refresh else None, refreshed_at=None, revoked_at=None,
            organization_id=org_id,
        ))  # fmt: skip

    def find_token(self, token_string: str, hint: str | None) -> Token | None:
        """The loaded token this string is (an access token, or a refresh token)."""
        snap = self.snap
        if (
            hint != "refresh_token"
            and snap.by_access
            and same_digest(snap.by_access.access_token_sha256, token_string)
        ):
            return snap.token(snap.by_access, refresh=False)
        if (
            hint != "access_token"
            and snap.by_refresh
            and same_digest(snap.by_refresh.refresh_token_sha256, token_string)
        ):
            return snap.token(snap.by_refresh, refresh=True)
        return None

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def handle_response(
        self, status: int, body: Any, headers: list[tuple[str, str]]
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        return status, body, list(headers)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None
