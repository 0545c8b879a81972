"""Authlib's view of hookline's OAuth rows: the request, the client, the code and the token.

These objects hold only what was loaded; none of them does I/O (see ``oauth_provider``).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from authlib.oauth2 import OAuth2Request
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Payload, TokenMixin
from authlib.oauth2.rfc6749.models import AuthorizationCodeMixin

from hookline.identity.resources import User, now_ms
from hookline.store import oauth as db
from hookline.store.oauth import OAuthApp, OAuthCode, OAuthToken

TOKEN_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
GRANT_TYPES = ("authorization_code", "refresh_token")


def same_digest(stored: str | None, presented: str) -> bool:
    """True when ``presented`` (a secret, code or token) hashes to the ``stored`` digest; constant time."""
    return stored is not None and hmac.compare_digest(stored, db.digest(presented))


class Payload(OAuth2Payload):
    """Request parameters (query or form), keeping repeated ones so Authlib can refuse them."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._data: dict[str, str] = {}
        self._datalist: dict[str, list[str]] = {}
        for k, v in items:
            self._data.setdefault(k, v)
            self._datalist.setdefault(k, []).append(v)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._datalist


class Request(OAuth2Request):
    """An HTTP request already read (method, URL on the issuer, headers, parameters)."""

    def __init__(
        self, method: str, uri: str, headers: Mapping[str, str], items: list[tuple[str, str]]
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self.payload = Payload(items)

    @property
    def args(self) -> dict[str, str]:
        return self.payload.data

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data


def basic_credentials(headers: Mapping[str, str]) -> tuple[str | None, str | None] | None:
    """``(client_id, secret)`` of an ``Authorization: Basic`` header, ``(None, None)`` without one, and
    None when it is malformed (so that a hostile header is a 401, never an exception inside Authlib)."""
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    return unquote(user), unquote(password) if sep else None


class Client(ClientMixin):
    """An OAuth application as Authlib sees it."""

    def __init__(self, app: OAuthApp) -> None:
        self.app = app
        self.client_id = app.client_id

    def get_client_id(self) -> str:
        return self.app.client_id

    def get_default_redirect_uri(self) -> str | None:
        # with several registered URIs the request must name one (RFC 6749 §3.1.2.3)
        return self.app.redirect_uris[0] if len(self.app.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        allowed = self.app.scopes.split()
        if not scope:
            return " ".join(allowed)
        wanted = scope.split()
        # every scope asked for is granted or the request is refused: none is dropped silently
        return " ".join(dict.fromkeys(wanted)) if set(wanted) <= set(allowed) else None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.app.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return same_digest(self.app.client_secret_sha256, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.app.public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES


class Code(AuthorizationCodeMixin):
    """A stored authorization code."""

    def __init__(self, row: OAuthCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str | None:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce

    def get_auth_time(self) -> int:
        return self.row.auth_time // 1000

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> list[str]:
        return ["pwd"]


class Token(TokenMixin):
    """A stored token, found by its access token or by its refresh token (``refresh``)."""

    def __init__(self, row: OAuthToken, client: Client | None, user: User | None, refresh: bool) -> None:
        self.row = row
        self.client = client
        self.user = user
        self.refresh = refresh
        self.scope = row.scope

    def check_client(self, client: Client) -> bool:
        return client.app.id == self.row.application_id

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return (self.row.expires_at - self.row.issued_at) // 1000

    def is_expired(self) -> bool:
        end = self.row.refresh_expires_at if self.refresh else self.row.expires_at
        return end is None or end <= now_ms()

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None or (self.refresh and self.row.refreshed_at is not None)

    def get_user(self) -> User | None:
        return self.user

    def get_client(self) -> Client | None:
        return self.client


class Clients(dict[str, Client]):
    """Loaded clients by ``client_id``, also reachable by application id."""

    def get_app(self, app_id: str) -> Client | None:
        """The loaded client of application ``app_id``."""
        return next((c for c in self.values() if c.app.id == app_id), None)


def user_claims(user: User, scope: str) -> dict[str, Any]:
    """The claims of ``user`` that ``scope`` grants (for the ID token and ``/oauth/userinfo``)."""
    scopes = set(scope.split())
    claims: dict[str, Any] = {"sub": user.id}
    if "profile" in scopes:
        name = " ".join(p for p in (user.first_name, user.last_name) if p)
        claims.update({
            "user_id": user.id, "name": name or None, "given_name": user.first_name, "family_name": user.last_name,
            "preferred_username": user.username, "username": user.username, "picture": "",
            "updated_at": user.updated_at // 1000,
        })  # fmt: skip
    if "email" in scopes:
        primary = next((e for e in user.email_addresses if e.id == user.primary_email_address_id), None)
        claims["email"] = primary.email_address if primary else None
        claims["email_verified"] = bool(primary and primary.verification_status == "verified")
    if "public_metadata" in scopes:
        claims["public_metadata"] = user.public_metadata
    if "private_metadata" in scopes:
        claims["private_metadata"] = user.private_metadata
    return claims
