"""Secrets and keys: generation and parsing of ``whsec_``, ``whsk_`` and ``whpk_`` strings."""

from __future__ import annotations

import base64
import binascii
import secrets as _random
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hookline.signing._errors import InvalidSecretError

SECRET_PREFIX = "whsec_"
SIGNING_KEY_PREFIX = "whsk_"
PUBLIC_KEY_PREFIX = "whpk_"
MIN_SECRET_BYTES = 24
MAX_SECRET_BYTES = 64


def _b64decode(text: str, what: str) -> bytes:
    """Decode standard or url-safe base64, tolerating missing padding; raise a clear error otherwise."""
    cleaned = text.strip()
    if not cleaned:
        raise InvalidSecretError(f"{what} is empty")
    padded = cleaned + "=" * (-len(cleaned) % 4)
    try:
        if "-" in padded or "_" in padded:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidSecretError(f"{what} is not valid base64 ({exc})") from None


def generate_secret(nbytes: int = 24) -> str:
    """Return a new ``whsec_`` secret of ``nbytes`` random bytes (24 to 64)."""
    if not MIN_SECRET_BYTES <= nbytes <= MAX_SECRET_BYTES:
        raise InvalidSecretError(f"secret length must be {MIN_SECRET_BYTES}-{MAX_SECRET_BYTES} bytes")
    return SECRET_PREFIX + base64.b64encode(_random.token_bytes(nbytes)).decode("ascii")


def parse_secret(secret: str | bytes) -> bytes:
    """Return the HMAC key of a ``whsec_`` secret (the base64-decoded bytes); raw bytes pass through."""
    if isinstance(secret, bytes | bytearray):
        if not secret:
            raise InvalidSecretError("webhook secret is empty")
        return bytes(secret)
    if not isinstance(secret, str):
        raise InvalidSecretError(f"webhook secret must be str or bytes, not {type(secret).__name__}")
    if secret.startswith((SIGNING_KEY_PREFIX, PUBLIC_KEY_PREFIX)):
        raise InvalidSecretError("this is an ed25519 key (whsk_/whpk_), not an HMAC secret (whsec_)")
    body = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    key = _b64decode(body, "webhook secret")
    if len(key) < 1:
        raise InvalidSecretError("webhook secret decodes to no bytes")
    return key


@dataclass(frozen=True)
class KeyPair:
    """An ed25519 key pair serialized as Standard Webhooks presents it."""

    signing_key: str
    public_key: str


def generate_keypair() -> KeyPair:
    """Return a new ed25519 pair: ``whsk_`` (32-byte seed, base64) and ``whpk_`` (32-byte public key)."""
    private = Ed25519PrivateKey.generate()
    return KeyPair(serialize_signing_key(private), serialize_public_key(private.public_key()))


def serialize_signing_key(key: Ed25519PrivateKey) -> str:
    """Return ``whsk_`` + base64 of the private key's 32-byte seed."""
    from cryptography.hazmat.primitives import serialization

    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return SIGNING_KEY_PREFIX + base64.b64encode(raw).decode("ascii")


def serialize_public_key(key: Ed25519PublicKey) -> str:
    """Return ``whpk_`` + base64 of the 32-byte public key."""
    from cryptography.hazmat.primitives import serialization

    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PUBLIC_KEY_PREFIX + base64.b64encode(raw).decode("ascii")


def parse_signing_key(key: str) -> Ed25519PrivateKey:
    """Parse a ``whsk_`` key: a 32-byte seed, or the 64-byte seed+public form libsodium emits."""
    if not isinstance(key, str) or not key.startswith(SIGNING_KEY_PREFIX):
        raise InvalidSecretError("an ed25519 signing key must start with 'whsk_'")
    raw = _b64decode(key[len(SIGNING_KEY_PREFIX) :], "ed25519 signing key")
    if len(raw) == 64:
        raw = raw[:32]
    if len(raw) != 32:
        raise InvalidSecretError(f"ed25519 signing key must be 32 or 64 bytes, got {len(raw)}")
    return Ed25519PrivateKey.from_private_bytes(raw)


def parse_public_key(key: str) -> Ed25519PublicKey:
    """Parse a ``whpk_`` public key (32 raw bytes, base64)."""
    if not isinstance(key, str) or not key.startswith(PUBLIC_KEY_PREFIX):
        raise InvalidSecretError("an ed25519 public key must start with 'whpk_'")
    raw = _b64decode(key[len(PUBLIC_KEY_PREFIX) :], "ed25519 public key")
    if len(raw) != 32:
        raise InvalidSecretError(f"ed25519 public key must be 32 bytes, got {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)
