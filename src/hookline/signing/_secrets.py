"""Secrets and keys: generation and parsing of ``whsec_``, ``whsk_`` and ``whpk_`` strings."""

from __future__ import annotations

import base64
import binascii
import re
import secrets as _random
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hookline.signing._errors import InvalidSecretError

SECRET_PREFIX = "whsec_"
SIGNING_KEY_PREFIX = "whsk_"
PUBLIC_KEY_PREFIX = "whpk_"
MIN_SECRET_BYTES = 24
MAX_SECRET_BYTES = 64
_URLSAFE_TO_STANDARD = str.maketrans("-_", "+/")
_LOOKS_PREFIXED = re.compile(r"wh[a-z]{0,4}_")


def _b64decode(text: str, what: str) -> bytes:
    """Decode standard or url-safe base64, tolerating missing padding; raise a clear error otherwise."""
    cleaned = text.strip()
    if not cleaned:
        raise InvalidSecretError(f"{what} is empty")
    if not cleaned.isascii():
        raise InvalidSecretError(f"{what} contains non-ASCII characters; copy it again")
    # Strict alphabet check, url-safe folded into standard: a lenient decoder would silently drop a
    # stray character (a typo, a quote) and yield a different key instead of an error.
    padded = cleaned.translate(_URLSAFE_TO_STANDARD) + "=" * (-len(cleaned) % 4)
    try:
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
    # Secrets pasted into environment files often carry a newline or surrounding spaces.
    text = secret.strip()
    if text.startswith((SIGNING_KEY_PREFIX, PUBLIC_KEY_PREFIX)):
        raise InvalidSecretError("this is an ed25519 key (whsk_/whpk_), not an HMAC secret (whsec_)")
    if text.startswith(SECRET_PREFIX):
        body = text[len(SECRET_PREFIX) :]
    elif _LOOKS_PREFIXED.match(text):
        # 'whsek_…' would otherwise decode, as bare url-safe base64, to a different key without a word
        raise InvalidSecretError(f"unknown secret prefix {text.split('_', 1)[0]!r}_; expected 'whsec_'")
    else:
        body = text  # bare base64 is accepted, as standardwebhooks accepts it
    key = _b64decode(body, "webhook secret")
    if not key:
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
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return SIGNING_KEY_PREFIX + base64.b64encode(raw).decode("ascii")


def serialize_public_key(key: Ed25519PublicKey) -> str:
    """Return ``whpk_`` + base64 of the 32-byte public key."""
    return PUBLIC_KEY_PREFIX + base64.b64encode(_raw_public(key)).decode("ascii")


def parse_signing_key(key: str) -> Ed25519PrivateKey:
    """Parse a ``whsk_`` key: a 32-byte seed, or the 64-byte seed+public form libsodium emits."""
    text = key.strip() if isinstance(key, str) else ""
    if not text.startswith(SIGNING_KEY_PREFIX):
        raise InvalidSecretError("an ed25519 signing key must start with 'whsk_'")
    raw = _b64decode(text[len(SIGNING_KEY_PREFIX) :], "ed25519 signing key")
    if len(raw) not in (32, 64):
        raise InvalidSecretError(f"ed25519 signing key must be 32 or 64 bytes, got {len(raw)}")
    private = Ed25519PrivateKey.from_private_bytes(raw[:32])
    if len(raw) == 64 and _raw_public(private.public_key()) != raw[32:]:
        # the second half of the libsodium form is the public key; a mismatch means a corrupted key
        raise InvalidSecretError("ed25519 signing key's public half does not match its seed")
    return private


def verification_key(secret: str) -> str:
    """What a receiver verifies with: a ``whsec_`` secret itself, the ``whpk_`` key of a ``whsk_`` key."""
    text = secret.strip()
    if text.startswith(SIGNING_KEY_PREFIX):
        return serialize_public_key(parse_signing_key(text).public_key())
    return text


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def parse_public_key(key: str) -> Ed25519PublicKey:
    """Parse a ``whpk_`` public key (32 raw bytes, base64)."""
    text = key.strip() if isinstance(key, str) else ""
    if not text.startswith(PUBLIC_KEY_PREFIX):
        raise InvalidSecretError("an ed25519 public key must start with 'whpk_'")
    raw = _b64decode(text[len(PUBLIC_KEY_PREFIX) :], "ed25519 public key")
    if len(raw) != 32:
        raise InvalidSecretError(f"ed25519 public key must be 32 bytes, got {len(raw)}")
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise InvalidSecretError(f"ed25519 public key is not a valid curve point ({exc})") from None
