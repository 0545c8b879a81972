"""Standard Webhooks signatures: sign, verify, and the headers that carry them."""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature

from hookline.signing._errors import (
    InvalidHeadersError,
    InvalidPayloadError,
    InvalidSecretError,
    MissingHeadersError,
    NoMatchingSignatureError,
    TimestampTooNewError,
    TimestampTooOldError,
)
from hookline.signing._secrets import (
    PUBLIC_KEY_PREFIX,
    SIGNING_KEY_PREFIX,
    parse_public_key,
    parse_secret,
    parse_signing_key,
)

DEFAULT_TOLERANCE = 300  # seconds, both ways, as Standard Webhooks recommends
HEADER_FAMILIES = ("webhook", "svix")


def _as_bytes(data: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, bytearray | memoryview):
        return bytes(data)
    raise InvalidPayloadError(f"webhook body must be bytes or str, not {type(data).__name__}")


def _timestamp_int(timestamp: datetime | int | float) -> int:
    if isinstance(timestamp, datetime):
        # naive datetimes are read as UTC, as standardwebhooks does
        aware = timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=UTC)
        return int(aware.timestamp())
    return int(timestamp)


def signed_content(msg_id: str, timestamp: int | str, body: bytes) -> bytes:
    """Return the exact bytes that are signed: ``{msg_id}.{timestamp}.{body}``."""
    return f"{msg_id}.{timestamp}.".encode() + body


def sign_v1(key: bytes, msg_id: str, timestamp: int | str, body: bytes) -> str:
    """Return a ``v1,`` HMAC-SHA256 signature with a raw HMAC key."""
    digest = hmac.digest(key, signed_content(msg_id, timestamp, body), hashlib.sha256)
    return "v1," + binascii.b2a_base64(digest, newline=False).decode("ascii")


def signature_headers(msg_id: str, timestamp: int, signature: str) -> dict[str, str]:
    """Return the delivery headers in both families (``webhook-*`` and the ``svix-*`` aliases)."""
    ts = str(timestamp)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": ts,
        "webhook-signature": signature,
        "svix-id": msg_id,
        "svix-timestamp": ts,
        "svix-signature": signature,
    }


def read_headers(headers: Mapping[str, str]) -> tuple[str, str, str]:
    """Return (id, timestamp, signature) from ``webhook-*`` or ``svix-*`` headers, in any case."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for family in HEADER_FAMILIES:
        msg_id = lowered.get(f"{family}-id")
        ts = lowered.get(f"{family}-timestamp")
        sig = lowered.get(f"{family}-signature")
        if msg_id and ts and sig:
            return msg_id, ts, sig
    present = sorted(k for k in lowered if k.startswith(("webhook-", "svix-")))
    raise MissingHeadersError(
        "missing webhook-id/webhook-timestamp/webhook-signature (or svix-*) headers"
        + (f"; found only {', '.join(present)}" if present else "")
    )


def check_timestamp(ts_header: str, tolerance: int = DEFAULT_TOLERANCE, now: float | None = None) -> int:
    """Parse the timestamp header and check it is within ``tolerance`` seconds of now."""
    try:
        ts = int(ts_header)
    except (TypeError, ValueError):
        try:
            ts = int(float(ts_header))
        except (TypeError, ValueError):
            raise InvalidHeadersError(
                f"webhook-timestamp must be integer unix seconds, got {ts_header!r:.40}"
            ) from None
    current = time.time() if now is None else now
    if ts < current - tolerance:
        raise TimestampTooOldError(
            f"message timestamp is {int(current - ts)} s old (tolerance {tolerance} s)"
        )
    if ts > current + tolerance:
        raise TimestampTooNewError(
            f"message timestamp is {int(ts - current)} s in the future (tolerance {tolerance} s)"
        )
    return ts


def parse_signatures(header: str) -> list[tuple[str, bytes]]:
    """Split a signature header into (version, raw signature bytes); malformed entries are skipped."""
    out: list[tuple[str, bytes]] = []
    for item in header.split(" "):
        version, sep, b64 = item.partition(",")
        if not sep:
            continue
        try:
            out.append((version, binascii.a2b_base64(b64)))
        except (binascii.Error, ValueError):
            continue
    return out


class Webhook:
    """Signs and verifies one endpoint's webhooks; a drop-in for ``standardwebhooks.Webhook``.

    ``Webhook("whsec_...")`` signs and verifies ``v1`` (HMAC); ``Webhook("whsk_...")`` signs ``v1a``
    (ed25519) and verifies it; ``Webhook("whpk_...")`` only verifies ``v1a``.
    """

    __slots__ = ("_key", "_private", "_public", "tolerance")

    def __init__(self, whsecret: str | bytes, *, tolerance: int = DEFAULT_TOLERANCE) -> None:
        self.tolerance = tolerance
        self._key: bytes | None = None
        self._private = None
        self._public = None
        if isinstance(whsecret, str) and whsecret.startswith(SIGNING_KEY_PREFIX):
            self._private = parse_signing_key(whsecret)
            self._public = self._private.public_key()
        elif isinstance(whsecret, str) and whsecret.startswith(PUBLIC_KEY_PREFIX):
            self._public = parse_public_key(whsecret)
        else:
            self._key = parse_secret(whsecret)

    def sign(self, msg_id: str, timestamp: datetime | int | float, data: str | bytes) -> str:
        """Return the signature (``v1,…`` or ``v1a,…``) for this message id, timestamp and body."""
        ts = _timestamp_int(timestamp)
        body = _as_bytes(data)
        if self._key is not None:
            return sign_v1(self._key, msg_id, ts, body)
        if self._private is None:
            raise InvalidSecretError("a whpk_ public key can verify but cannot sign")
        raw = self._private.sign(signed_content(msg_id, ts, body))
        return "v1a," + binascii.b2a_base64(raw, newline=False).decode("ascii")

    def verify(self, data: bytes | str, headers: Mapping[str, str], *, json_parse: bool = True) -> Any:
        """Verify the raw body against the headers; return the parsed JSON (or None if not ``json_parse``)."""
        body = _as_bytes(data)
        msg_id, ts_header, sig_header = read_headers(headers)
        check_timestamp(ts_header, self.tolerance)
        if not self._matches(msg_id, ts_header, body, sig_header):
            raise NoMatchingSignatureError("no signature in the header matches the secret")
        if not json_parse:
            return None
        try:
            return json.loads(body)
        except ValueError as exc:
            raise InvalidPayloadError(f"body is not valid JSON: {exc}") from None

    def _matches(self, msg_id: str, ts_header: str, body: bytes, sig_header: str) -> bool:
        content = signed_content(msg_id, ts_header, body)
        if self._key is not None:
            expected = hmac.digest(self._key, content, hashlib.sha256)
            matched = False
            for version, sig in parse_signatures(sig_header):
                # keep comparing after a match so timing does not reveal which entry matched
                if version == "v1" and hmac.compare_digest(expected, sig):
                    matched = True
            return matched
        assert self._public is not None
        for version, sig in parse_signatures(sig_header):
            if version != "v1a":
                continue
            try:
                self._public.verify(sig, content)
                return True
            except InvalidSignature:
                continue
        return False


def sign(secret: str | bytes, msg_id: str, timestamp: datetime | int, body: str | bytes) -> str:
    """Sign one message with one secret or signing key."""
    return Webhook(secret).sign(msg_id, timestamp, body)


def verify(
    secrets: str | bytes | Iterable[str | bytes],
    body: bytes | str,
    headers: Mapping[str, str],
    *,
    tolerance: int = DEFAULT_TOLERANCE,
) -> Any:
    """Verify against any of several secrets (e.g. during rotation); return the parsed JSON."""
    candidates = [secrets] if isinstance(secrets, str | bytes) else list(secrets)
    if not candidates:
        raise InvalidSecretError("no secret given")
    last: Exception | None = None
    for candidate in candidates:
        try:
            return Webhook(candidate, tolerance=tolerance).verify(body, headers)
        except NoMatchingSignatureError as exc:
            last = exc
    assert last is not None
    raise last
