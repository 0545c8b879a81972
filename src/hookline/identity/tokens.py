"""Session tokens: RS256 JWTs with Clerk's claims, signed by a key pair made on first start; JWKS."""

from __future__ import annotations

import json
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from hookline.identity.errors import IdentityError
from hookline.store.store import Store

KEY_SETTING = "identity_signing_key_pem"
TOKEN_SECONDS = 60  # Clerk's session tokens live for 60 s; clients refresh them from the session
NOT_BEFORE_SKEW = 10


def _new_private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@dataclass(frozen=True)
class SessionClaims:
    """What a verified session token says."""

    sub: str
    sid: str
    iss: str
    iat: int
    exp: int
    nbf: int
    azp: str | None = None


class Signer:
    """Signs and verifies session tokens with the instance's RSA key; ``kid`` is the instance id, as Clerk's."""

    def __init__(self, private_pem: str, kid: str, issuer: str) -> None:
        key = serialization.load_pem_private_key(private_pem.encode(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError("the stored identity signing key is not an RSA key")
        self._private = key
        self.public = key.public_key()
        self.kid = kid
        self.issuer = issuer

    @classmethod
    async def load(cls, store: Store, kid: str, issuer: str) -> Signer:
        """The stored key pair, generated and stored (sealed with the store's encryption key) on the first start."""
        pem = await store.get_setting(KEY_SETTING)
        if pem is None:
            pem, _ = await store.setting_or_default(KEY_SETTING, store.box.seal(_new_private_pem()))
        return cls(store.box.open(pem), kid, issuer)

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        """The private key (the OAuth provider signs ID tokens with it, under the same ``kid``)."""
        return self._private

    @property
    def public_pem(self) -> str:
        """The public key as PEM (``verify_token(..., jwt_key=...)`` takes it)."""
        return self.public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def sign(self, claims: dict[str, Any]) -> str:
        """Any claims signed with the instance key (JWT templates build their own claims)."""
        return jwt.encode(claims, self._private, algorithm="RS256", headers={"kid": self.kid})

    def jwks(self) -> dict[str, Any]:
        """The JSON Web Key Set served at ``/v1/jwks``."""
        jwk = json.loads(RSAAlgorithm.to_jwk(self.public))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    def issue(
        self, user_id: str, session_id: str, azp: str | None = None, lifetime: int = TOKEN_SECONDS,
        act: dict[str, Any] | None = None, extra: dict[str, Any] | None = None,
    ) -> str:  # fmt: skip
        """A session token for ``session_id``: ``sub``, ``sid``, ``iss``, ``iat``, ``nbf``, ``exp`` (and ``azp``);
        ``extra`` adds claims (the active organization's ``o`` and ``fea``)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": user_id,
            "sid": session_id,
            "iss": self.issuer,
            "iat": now,
            "nbf": now - NOT_BEFORE_SKEW,
            "exp": now + lifetime,
            "v": 2,
        }
        if azp:
            claims["azp"] = azp
        if act:  # an impersonated session: who acts, as Clerk's ``act`` claim
            claims["act"] = act
        claims.update(extra or {})
        return jwt.encode(claims, self._private, algorithm="RS256", headers={"kid": self.kid})

    def verify(
        self, token: str, authorized_parties: Collection[str] | None = None, *, expired_ok: bool = False
    ) -> SessionClaims:
        """Check signature, times and issuer (and, given ``authorized_parties``, that an ``azp`` is one
        of them); 401 ``token_invalid`` / ``token_expired`` with the reason otherwise. ``expired_ok``
        takes a token past its expiry (one presented to be refreshed)."""
        try:
            claims = jwt.decode(token, self.public, algorithms=["RS256"], issuer=self.issuer,
                                options={"require": ["exp", "sub", "sid", "iss"], "verify_exp": not expired_ok},
                                leeway=5)  # fmt: skip
        except jwt.ExpiredSignatureError:
            raise IdentityError(
                401, "token_expired", "Session token expired", "The session token has expired."
            ) from None
        except jwt.InvalidTokenError as exc:
            raise IdentityError(
                401, "token_invalid", "Invalid session token", f"The session token is invalid: {exc}"
            ) from None
        azp = claims.get("azp")
        if azp is not None and authorized_parties is not None and str(azp).lower() not in authorized_parties:
            raise IdentityError(
                401,
                "token_invalid",
                "Invalid session token",
                f"The session token's azp {azp!r} is not authorized.",
            )
        return SessionClaims(
            sub=claims["sub"], sid=claims["sid"], iss=claims.get("iss", ""), iat=claims.get("iat", 0),
            exp=claims["exp"], nbf=claims.get("nbf", 0), azp=claims.get("azp"),
        )  # fmt: skip
