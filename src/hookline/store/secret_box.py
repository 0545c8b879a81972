"""Secrets at rest: values sealed with AES-256-GCM under HOOKLINE_ENCRYPTION_KEY before they are stored.

A sealed value reads ``enc1:<key id>:<base64url(nonce + ciphertext)>``; the key id (the first
8 hex digits of the key's SHA-256) says which key sealed it, so several keys can be held at once
while one replaces another (rotation). A value without the prefix was stored before encryption
existed; it is read as it is, and sealed again when the server starts.

Opening is cached by sealed text: a value is decrypted once per process however often it is read,
so signing a delivery costs a dictionary look-up, not a decryption.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hookline.bounded import BoundedDict
from hookline.store.errors import StoreError

PREFIX = "enc1:"
KEY_BYTES = 32
_AAD = b"hookline secret v1"
_CACHE_LIMIT = 100_000


class SecretKeyError(StoreError):
    """A sealed value cannot be opened with the keys this process holds."""

    code = "encryption_key"


def new_key() -> str:
    """A fresh encryption key as HOOKLINE_ENCRYPTION_KEY takes it: 32 random bytes, base64url."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode().rstrip("=")


def parse_keys(text: str) -> list[bytes]:
    """Keys from ``key1,key2`` (base64url of 32 bytes each; the first seals); ValueError naming a bad one."""
    keys = []
    for n, part in enumerate(p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != KEY_BYTES:
            raise ValueError(
                f"key {n + 1} is not base64url of {KEY_BYTES} bytes (make one with `openssl rand -base64 32`)"
            )
        keys.append(raw)
    return keys


def key_id(key: bytes) -> str:
    """A short public name of a key (it reveals nothing of the key)."""
    return hashlib.sha256(b"hookline key id:" + key).hexdigest()[:8]


class SecretBox:
    """Seals with the first key; opens with any. ``SecretBox([])`` stores and reads plain text only."""

    def __init__(self, keys: Sequence[bytes] = ()) -> None:
        self._keys = {key_id(k): AESGCM(k) for k in keys}
        self.primary = key_id(keys[0]) if keys else None
        self._opened: BoundedDict[str, str] = BoundedDict(_CACHE_LIMIT)

    @property
    def key_ids(self) -> list[str]:
        """The ids of the keys held, the sealing one first."""
        return list(self._keys)

    def seal(self, plaintext: str) -> str:
        """``plaintext`` sealed with the first key (returned as it is when no key is held)."""
        if self.primary is None:
            return plaintext
        nonce = os.urandom(12)
        sealed = self._keys[self.primary].encrypt(nonce, plaintext.encode(), _AAD)
        token = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{PREFIX}{self.primary}:{token}"

    def open(self, stored: str) -> str:
        """The plain text of a stored value (sealed or, from before encryption, plain)."""
        if not stored.startswith(PREFIX):
            return stored
        plain = self._opened.get(stored)
        if plain is None:
            plain = self._opened.put(stored, self._open(stored))
        return plain

    def _open(self, stored: str) -> str:
        kid, _, token = stored[len(PREFIX) :].partition(":")
        aead = self._keys.get(kid)
        if aead is None:
            raise SecretKeyError(
                f"a stored secret is sealed with encryption key {kid}, which HOOKLINE_ENCRYPTION_KEY does not hold"
            )
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            return aead.decrypt(raw[:12], raw[12:], _AAD).decode()
        except (InvalidTag, ValueError, binascii.Error):
            raise SecretKeyError(f"a stored secret sealed with key {kid} does not open (damaged)") from None

    def fresh(self, stored: str) -> bool:
        """True when ``stored`` is sealed with the sealing key (nothing to do on rotation)."""
        return self.primary is None or stored.startswith(f"{PREFIX}{self.primary}:")
